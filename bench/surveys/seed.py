"""Loading a survey: defined and launched through Palabre's own service, then thousands of
answer sets bulk-loaded with Core inserts in large transactions.

One citizen per answer set; the response carries the profile copied at completion
(arrondissement, gender, age band, as `complete` does) and one answer per question. A further
5% began and stopped midway (their answers must not count). The data imitates a real survey:
uneven arrondissements and about 6% who did not give one, genders and age bands with about 10%
unsaid, a few groups under five people (which the results must hide), ratings skewed to the
middle, free answers from long sentences to "RAS", and about 5% spoken (a voice note with an
empty text; most transcribed, some failed or still waiting). `invited` is set to three times
the completed sets, as a launch with an invitation would have recorded (no broadcast is sent).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import SQLModel, col

from bench.common.database import BulkRows, database_mb, settle
from bench.common.measures import Picker
from bench.common.report import progress
from core.citizens.models import Citizen
from core.communes.models import Arrondissement
from core.messages.models import Attachment
from core.surveys import service as surveys
from core.surveys.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from core.transcripts.models import Transcription, TranscriptionStatus
from dialogs.flows.onboarding import AGE_BANDS, GENDERS
from palabre.bootstrap import App

CHUNK = 10_000
COTONOU = "BJ-LI-COT"
OPENED_DAYS = 21  # the survey opened three weeks ago and is still open
INCOMPLETE_SHARE = 0.05  # citizens who began and stopped midway
INVITED_PER_COMPLETED = 3
MODELS: tuple[type[SQLModel], ...] = (Citizen, SurveyResponse, Attachment, Transcription,
                                      SurveyAnswer)  # in the order of their foreign keys

# --- what the data looks like -----------------------------------------------------------------

QUESTIONS = (
    surveys.NewQuestion(QuestionKind.RATING, {
        "fr": "Comment jugez-vous la propreté de votre quartier ?",
        "en": "How clean is your neighbourhood?"}),
    surveys.NewQuestion(QuestionKind.RATING, {
        "fr": "Comment jugez-vous l'accueil à la mairie ?",
        "en": "How were you received at the town hall?"}),
    surveys.NewQuestion(QuestionKind.CHOICE, {
        "fr": "Quel service la mairie doit-elle améliorer en premier ?",
        "en": "Which service should the town hall improve first?"}, [
        {"fr": "Ramassage des ordures", "en": "Waste collection"},
        {"fr": "Curage des caniveaux", "en": "Drain clearing"},
        {"fr": "Éclairage public", "en": "Street lighting"},
        {"fr": "État civil", "en": "Civil registry"}]),
    surveys.NewQuestion(QuestionKind.YES_NO, {
        "fr": "Avez-vous déjà signalé un problème à la mairie ?",
        "en": "Have you ever reported a problem to the town hall?"}),
    surveys.NewQuestion(QuestionKind.FREE, {
        "fr": "Que faudrait-il changer en priorité ?",
        "en": "What should change first?"}),
    surveys.NewQuestion(QuestionKind.FREE, {
        "fr": "Avez-vous autre chose à dire ?", "en": "Anything else to say?"}),
)
RATING = Picker(((1, 9), (2, 16), (3, 31), (4, 29), (5, 15)))
CHOICE = Picker(((1, 41), (2, 27), (3, 20), (4, 12)))
YES = Picker(((1, 38), (0, 62)))
GENDER = Picker((("woman", 46), ("man", 44), (None, 10)))  # "other": a small group, below
AGE = Picker((("18_24", 24), ("25_34", 31), ("35_49", 25), ("50_plus", 10), (None, 10)))
CHANNEL = Picker((("whatsapp", 63), ("telegram", 37)))
LANGUAGE = Picker((("fr", 85), ("en", 15)))
# Groups under SMALLEST_GROUP people, placed on the first answer sets: the results hide them
# (and the next smallest groups until the hidden ones hold five people together).
SMALL_GROUPS = (("arrondissement", None, 3), ("gender", "other", 4), ("age_band", "under_18", 2))
NO_ARRONDISSEMENT = 0.06
VOICE = 0.05  # a free answer spoken: empty text and a voice note
HEARD = Picker(((TranscriptionStatus.DONE, 85), (TranscriptionStatus.FAILED, 8),
                (TranscriptionStatus.PENDING, 7)))
SHORT = ("RAS", "Rien à ajouter", "Merci", "Non", "ok", "Rien", "Merci à la mairie",
         "Courage", "Pas d'avis", "Tout va bien")
WANTS = ("Il faut ramasser les ordures plus souvent", "Curer les caniveaux avant la saison des "
         "pluies", "Réparer les lampadaires de la rue principale", "Aller plus vite pour les "
         "actes de naissance", "Mettre des poubelles au marché", "Boucher les nids de poule",
         "Que les agents soient à l'heure au guichet", "Éclairer les ruelles la nuit",
         "Afficher les tarifs à la mairie", "Répondre aux messages des citoyens")
WHERE = ("dans notre quartier", "près du marché", "vers la gare routière", "devant l'école",
         "au carrefour", "partout à Cotonou", "")
WHY = ("Les enfants tombent malades.", "C'est dangereux la nuit.", "On attend depuis des mois.",
       "Les commerçants se plaignent.", "Merci de nous écouter.", "")
HEARD_TEXTS = ("Bonjour, moi je veux dire que les caniveaux sont bouchés depuis longtemps",
               "Il faut venir voir le marché, les ordures sont partout",
               "La mairie doit réparer la route, on ne peut plus passer",
               "Merci pour le sondage, il faut continuer comme ça")


@dataclass
class Seeded:
    """What was loaded and how long it took."""

    survey_id: int
    completed: int
    begun: int  # all answer sets, completed or not
    answers: int  # of completed sets
    voice: int
    load_seconds: float
    after_seconds: float
    after_what: str
    size_mb: float
    groups: dict[str, dict[str, int]]  # breakdown → group → completed sets, as loaded


def define_survey(app: App, now: datetime, completed: int) -> tuple[int, list[SurveyQuestion],
                                                                    list[str]]:
    """The survey, defined and launched through the service; its questions and the commune's
    arrondissements."""
    with app.uow_factory() as uow:
        survey = surveys.define(uow=uow, new=surveys.NewSurvey(
            commune_id=COTONOU, created_by="bench",
            title={"fr": "Votre avis sur les services de la mairie",
                   "en": "Your view of the town hall's services"},
            intro={"fr": "Six questions, deux minutes."}, questions=list(QUESTIONS)))
        assert survey.id is not None
        surveys.launch(uow=uow, survey_id=survey.id, actor="bench",
                       opens_at=now - timedelta(days=OPENED_DAYS),
                       closes_at=now + timedelta(days=9))
        uow.commit()
        survey_id = survey.id
        asked = surveys.questions(uow=uow, survey_id=survey_id)
        arrondissements = sorted(a.id for a in uow.session.execute(
            select(Arrondissement).where(col(Arrondissement.commune_id) == COTONOU)).scalars())
        # what a launch with an invitation to the commune would have recorded
        uow.session.execute(update(Survey).where(Survey.id == survey_id)  # type: ignore[arg-type]
                            .values(invited=completed * INVITED_PER_COMPLETED))
        uow.commit()
    if len(arrondissements) < 3:
        raise SystemExit(f"the reference data has too few arrondissements for {COTONOU}")
    return survey_id, asked, arrondissements


def free_text(rng: random.Random, question: int) -> str:
    """A typed free answer: often a few words, sometimes a sentence or two."""
    short = 0.3 if question == 0 else 0.65  # "anything else?" is mostly short
    if rng.random() < short:
        return rng.choice(SHORT)
    words = f"{rng.choice(WANTS)} {rng.choice(WHERE)}".strip() + "."
    return f"{words} {rng.choice(WHY)}".strip()


class AnswerSets:
    """The answer sets of one survey, waiting for a bulk insert; every random draw in a fixed
    order, so that a seed always gives the same rows."""

    def __init__(self, app: App, rng: random.Random, now: datetime, survey_id: int,
                 asked: list[SurveyQuestion], arrondissements: list[str]) -> None:
        self.bulk = BulkRows(app.engine, MODELS)
        self.rng, self.now, self.survey_id, self.asked = rng, now, survey_id, asked
        self.opened = now - timedelta(days=OPENED_DAYS)
        self.span = (now - self.opened).total_seconds() - 3600
        # the last arrondissement is the small group; the others uneven
        self.place = Picker([(a, 1 + (i * 7) % 5) for i, a in enumerate(arrondissements[:-1])])
        self.small = {name: (arrondissements[-1] if group is None else group, size)
                      for name, group, size in SMALL_GROUPS}
        assert self.small["gender"][0] in GENDERS and self.small["age_band"][0] in AGE_BANDS
        self.groups: dict[str, dict[str, int]] = {"arrondissement": {}, "gender": {},
                                                  "age_band": {}}
        self.answers = self.voice = 0  # of completed sets

    def add(self, number: int, done: bool) -> None:
        """One citizen's answer set, completed or left midway, with its answers."""
        rng = self.rng
        profile = self.profile(number)
        started, finished = self.moments()
        citizen = self.bulk.add(Citizen, **self.citizen(profile, started, finished))
        response = self.bulk.add(
            SurveyResponse, survey_id=self.survey_id, citizen_id=citizen,
            channel=CHANNEL(rng), started_at=started, completed_at=finished if done else None,
            arrondissement_id=profile["arrondissement"],
            gender=profile["gender"] if done else None,
            age_band=profile["age_band"] if done else None)
        if done:
            for name, given in profile.items():
                key = given or "not_said"
                self.groups[name][key] = self.groups[name].get(key, 0) + 1
        answered = len(self.asked) if done else rng.randint(1, len(self.asked) - 1)
        self.answer(response, citizen, started, (finished - started) / (answered + 1),
                    answered, done)

    def profile(self, number: int) -> dict[str, str | None]:
        """Arrondissement, gender and age band; the small groups come first."""
        rng = self.rng
        profile: dict[str, str | None] = {
            "arrondissement": self.place(rng) if rng.random() >= NO_ARRONDISSEMENT else None,
            "gender": GENDER(rng), "age_band": AGE(rng)}
        for name, (group, size) in self.small.items():
            offset = {"arrondissement": 0, "gender": 3, "age_band": 7}[name]
            if offset <= number < offset + size:
                profile[name] = group
        return profile

    def moments(self) -> tuple[datetime, datetime]:
        """When the set was begun (most early on) and finished (some came back later)."""
        rng = self.rng
        started = self.opened + timedelta(seconds=self.span * rng.random() ** 1.5)
        finished = started + timedelta(seconds=rng.uniform(40, 900))
        if rng.random() < 0.1:  # left and came back later
            finished += timedelta(hours=rng.uniform(1, 30))
        return started, min(finished, self.now - timedelta(seconds=1))

    def citizen(self, profile: dict[str, str | None], started: datetime,
                finished: datetime) -> dict[str, Any]:
        """The citizen's row: consented a month before, known for longer."""
        return {"language": LANGUAGE(self.rng), "commune_id": COTONOU, "display_name": None,
                "consent_at": started - timedelta(days=30), "gender": profile["gender"],
                "age_band": profile["age_band"], "disability": None,
                "broadcast_opt_out": False, "blocked": False,
                "created_at": started - timedelta(days=self.rng.uniform(30, 400)),
                "last_seen_at": finished}

    def answer(self, response: int, citizen: int, started: datetime, step: timedelta,
               answered: int, done: bool) -> None:
        """The first `answered` questions' answers, evenly spaced between start and finish."""
        free_index = 0
        for position, question in enumerate(self.asked[:answered], start=1):
            assert question.id is not None
            at = started + step * position
            value, words, attachment_id = self.answer_to(question, free_index, citizen, at,
                                                         done)
            free_index += question.kind == QuestionKind.FREE
            self.bulk.add(SurveyAnswer, response_id=response, question_id=question.id,
                          value=value, text=words, attachment_id=attachment_id, answered_at=at)
            self.answers += done

    def answer_to(self, question: SurveyQuestion, free_index: int, citizen: int, at: datetime,
                  done: bool) -> tuple[int | None, str, int | None]:
        """A value for a rating, choice or yes/no; words or a voice note for a free one."""
        if question.kind == QuestionKind.RATING:
            return RATING(self.rng), "", None
        if question.kind == QuestionKind.CHOICE:
            return CHOICE(self.rng), "", None
        if question.kind == QuestionKind.YES_NO:
            return YES(self.rng), "", None
        if self.rng.random() < VOICE:
            self.voice += done
            return None, "", self.voice_note(citizen, at)
        return None, free_text(self.rng, free_index), None

    def voice_note(self, citizen: int, at: datetime) -> int:
        """A spoken answer's attachment and its transcription (done, failed or waiting)."""
        rng, number = self.rng, self.bulk.ids[Attachment]
        attachment = self.bulk.add(
            Attachment, inbound_id=None, submission_id=None, kind="voice",
            content_type="audio/ogg", size=20_000 + rng.randrange(60_000),
            sha256=f"{number:064x}", path=f"bench/survey-{number}.ogg", original_name=None,
            remote=None, fetch_error=None, created_at=at)
        status = HEARD(rng)
        heard = status == TranscriptionStatus.DONE
        self.bulk.add(
            Transcription, attachment_id=attachment, citizen_id=citizen, language_hint="fr",
            notify=True, status=status, text=rng.choice(HEARD_TEXTS) if heard else None,
            language="fr" if heard else None,
            confidence=round(rng.uniform(0.5, 0.95), 2) if heard else None,
            duration_s=round(rng.uniform(3, 45), 1), backend="faster-whisper", model="base",
            processing_ms=rng.randrange(800, 12_000) if heard else None,
            attempts=0 if status == TranscriptionStatus.PENDING else 1,
            reason="failed" if status == TranscriptionStatus.FAILED else None,
            last_error=None, claimed_by=None, claimed_until=None, next_attempt_at=at,
            created_at=at, finished_at=None if status == TranscriptionStatus.PENDING
            else at + timedelta(seconds=20))
        return attachment


def seed(app: App, completed: int, seed_value: int) -> Seeded:
    """Define and launch the survey, then bulk-load citizens, answer sets, answers and the
    voice notes' attachments and transcriptions; then settle the database."""
    now = datetime.now(UTC).replace(microsecond=0)
    survey_id, asked, arrondissements = define_survey(app, now, completed)
    sets = AnswerSets(app, random.Random(seed_value), now, survey_id, asked, arrondissements)
    incomplete = max(1, round(completed * INCOMPLETE_SHARE))
    started = time.perf_counter()
    for number in range(completed + incomplete):
        sets.add(number, done=number < completed)
        if len(sets.bulk.waiting[SurveyAnswer]) >= CHUNK * 3:
            sets.bulk.flush()
        if (number + 1) % 10_000 == 0:
            progress(f"{app.engine.dialect.name}: {number + 1:,} answer sets loaded "
                     f"({time.perf_counter() - started:.0f} s)")
    sets.bulk.flush()
    loaded = time.perf_counter()
    after_what = settle(app.engine, [table.name for table in sets.bulk.tables.values()])
    return Seeded(survey_id, completed, completed + incomplete, sets.answers, sets.voice,
                  loaded - started, time.perf_counter() - loaded, after_what,
                  database_mb(app.engine), sets.groups)

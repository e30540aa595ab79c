"""Survey results on 20,000 answer sets: results() and the CSV export beside a plain read.

What a moderator waits for when a survey's results are shown (`core.surveys.results.results`,
behind the survey results page of the API) or downloaded as CSV (`export_rows`, written
row by row into a csv writer). Each backend gets a fresh database built by the real migrations
and reference data (`palabre.bootstrap.prepare`); one survey of Cotonou (BJ-LI-COT) is defined
and launched through Palabre's own service (6 questions: 2 ratings, a choice among 4, a yes/no
and 2 free answers; opened three weeks ago, still open), then `--responses` completed answer
sets (default 20,000) are bulk-loaded with Core inserts in large transactions, never the ORM
row by row: one citizen each, the response with the profile copied at completion
(arrondissement, gender, age band, as `complete` does), and one answer per question. A further
5% of citizens began and stopped midway (their answers must not count). The data imitates a
real survey: uneven arrondissements and about 6% who did not give one, genders and age bands
as the onboarding asks them with about 10% unsaid, a few groups under five people (which the
results must hide), ratings skewed to the middle, free answers from long sentences to "RAS",
and about 5% spoken (a voice note with an empty text; most transcribed, some failed or still
waiting). `invited` is set to three times the completed sets, as a launch with an invitation
would have recorded (no broadcast is sent).

Then, in rounds so that a noisy moment of the shared machine falls on all of them alike, each
round in a fresh unit of work like one HTTP request:

* the baseline: every answer of the survey's completed sets read once (survey_answer joined to
  survey_response, fetched into Python as rows): the least any results computation must do;
* `results(uow=…, survey_id=…)`;
* `export_rows(uow=…, survey_id=…)` consumed fully into `csv.writer(io.StringIO())`.

Each is first called once under tracemalloc for its peak Python memory (this also warms up the
caches and is not timed), then `--repeat` rounds (default 5) are timed; the table gives the
median and p95 (nearest rank: with 5 rounds, the slowest) in ms, and the ratio of each median
to the baseline's median of the same run. Garbage is collected with Python's default
thresholds; `--serve-gc` collects it as `palabre serve` does (`palabre.web.settle_memory`:
gc.freeze after the load, young collections every 50,000 allocations), which is what the
moderators' API runs under. The figures are checked against what was loaded
(completed and begun sets, answers per question, groups hidden, CSV rows). `--profile` prints
where one results() call spends its time (cProfile).

Run it from the repository root (the default run takes a minute or two per backend):

    .venv/bin/python -m bench.surveys --quick                # 2,000 answer sets, 3 rounds
    .venv/bin/python bench/surveys.py --responses 50000 --sqlite-only --profile
    .venv/bin/python -m bench.surveys --pg-url postgresql://postgres@127.0.0.1:5432/test

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a
server on this machine; the database in the URL is only used to create and drop the temporary
one. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import io
import logging
import os
import platform
import pstats
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, select, update
from sqlmodel import SQLModel, col

if __package__ in (None, ""):  # run as `python bench/surveys.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inbox import Picker, database_mb, outside_transaction  # noqa: E402
from bench.pipeline import (  # noqa: E402
    Latencies,
    on_each_backend,
    postgres_problem,
    progress,
    server_version,
)
from core.citizens.models import Citizen  # noqa: E402
from core.communes.models import Arrondissement  # noqa: E402
from core.communes.seed import PILOT_COMMUNES  # noqa: E402
from core.messages.models import Attachment  # noqa: E402
from core.submissions.stats import SMALLEST_GROUP  # noqa: E402
from core.surveys import service as surveys  # noqa: E402
from core.surveys.models import (  # noqa: E402
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from core.surveys.results import SurveyResults, export_rows, results  # noqa: E402
from core.transcripts.models import Transcription, TranscriptionStatus  # noqa: E402
from dialogs.flows.onboarding import AGE_BANDS, GENDERS  # noqa: E402
from palabre.bootstrap import App, bootstrap, prepare  # noqa: E402
from palabre.settings import Settings  # noqa: E402
from palabre.web import GC_THRESHOLDS, settle_memory  # noqa: E402

DEFAULT_RESPONSES = 20_000
QUICK_RESPONSES = 2_000
DEFAULT_REPEAT = 5
QUICK_REPEAT = 3
CHUNK = 10_000
SEED = 2026
COTONOU = "BJ-LI-COT"
OPENED_DAYS = 21  # the survey opened three weeks ago and is still open
INCOMPLETE_SHARE = 0.05  # citizens who began and stopped midway
INVITED_PER_COMPLETED = 3

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


@dataclass
class Measured:
    """One measure's timed calls, what it returned and its peak Python memory."""

    name: str
    latencies: Latencies = field(default_factory=Latencies)
    rows: int = 0
    peak_bytes: int = 0
    kept: Any = None  # what the warm-up call returned (results(): checked afterwards)

    def median_ms(self) -> float:
        return statistics.median(self.latencies.seconds) * 1000


@dataclass
class Result:
    backend: str
    version: str
    seeded: Seeded
    measured: list[Measured]  # baseline first
    checks: list[str]
    load: tuple[float, float]
    profile: str = ""


# --- seeding ----------------------------------------------------------------------------------


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


def next_id(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0)))
                   .scalar_one()) + 1


def free_text(rng: random.Random, question: int) -> str:
    """A typed free answer: often a few words, sometimes a sentence or two."""
    short = 0.3 if question == 0 else 0.65  # "anything else?" is mostly short
    if rng.random() < short:
        return rng.choice(SHORT)
    words = f"{rng.choice(WANTS)} {rng.choice(WHERE)}".strip() + "."
    return f"{words} {rng.choice(WHY)}".strip()


def seed(app: App, completed: int, seed_value: int, path: Path | None) -> Seeded:
    """Define and launch the survey, then bulk-load citizens, answer sets, answers and the
    voice notes' attachments and transcriptions; then settle the database."""
    engine = app.engine
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    survey_id, asked, arrondissements = define_survey(app, now, completed)
    opened = now - timedelta(days=OPENED_DAYS)
    span = (now - opened).total_seconds() - 3600
    models: tuple[type[SQLModel], ...] = (Citizen, SurveyResponse, Attachment, Transcription,
                                          SurveyAnswer)  # in the order of their foreign keys
    tables: dict[type[SQLModel], Table] = {
        model: model.__table__ for model in models}  # type: ignore[attr-defined]
    ids = {model: next_id(engine, table) for model, table in tables.items()}
    # the last arrondissement is the small group; the others uneven
    place = Picker([(a, 1 + (i * 7) % 5) for i, a in enumerate(arrondissements[:-1])])
    small = {name: (arrondissements[-1] if group is None else group, size)
             for name, group, size in SMALL_GROUPS}
    assert small["gender"][0] in GENDERS and small["age_band"][0] in AGE_BANDS
    groups: dict[str, dict[str, int]] = {"arrondissement": {}, "gender": {}, "age_band": {}}
    incomplete = max(1, round(completed * INCOMPLETE_SHARE))
    rows: dict[type[SQLModel], list[dict[str, Any]]] = {model: [] for model in tables}
    counted = {"answers": 0, "voice": 0}
    started_load = time.perf_counter()

    def flush(final: bool = False) -> None:
        if not final and len(rows[SurveyAnswer]) < CHUNK * 3:
            return
        with engine.begin() as connection:
            for model, table in tables.items():  # in the order of their foreign keys
                if rows[model]:
                    connection.execute(table.insert(), rows[model])
                    rows[model].clear()

    for number in range(completed + incomplete):
        done = number < completed
        citizen_id, response_id = ids[Citizen], ids[SurveyResponse]
        ids[Citizen] += 1
        ids[SurveyResponse] += 1
        profile: dict[str, str | None] = {
            "arrondissement": place(rng) if rng.random() >= NO_ARRONDISSEMENT else None,
                   "gender": GENDER(rng), "age_band": AGE(rng)}
        for name, (group, size) in small.items():  # the small groups come first
            offset = {"arrondissement": 0, "gender": 3, "age_band": 7}[name]
            if offset <= number < offset + size:
                profile[name] = group
        started = opened + timedelta(seconds=span * rng.random() ** 1.5)  # most early on
        finished = started + timedelta(seconds=rng.uniform(40, 900))
        if rng.random() < 0.1:  # left and came back later
            finished += timedelta(hours=rng.uniform(1, 30))
        finished = min(finished, now - timedelta(seconds=1))
        rows[Citizen].append({
            "id": citizen_id, "language": LANGUAGE(rng), "commune_id": COTONOU,
            "display_name": None, "consent_at": started - timedelta(days=30),
            "gender": profile["gender"], "age_band": profile["age_band"], "disability": None,
            "broadcast_opt_out": False, "blocked": False,
            "created_at": started - timedelta(days=rng.uniform(30, 400)),
            "last_seen_at": finished})
        rows[SurveyResponse].append({
            "id": response_id, "survey_id": survey_id, "citizen_id": citizen_id,
            "channel": CHANNEL(rng), "started_at": started,
            "completed_at": finished if done else None,
            "arrondissement_id": profile["arrondissement"],
            "gender": profile["gender"] if done else None,
            "age_band": profile["age_band"] if done else None})
        if done:
            for name, given in profile.items():
                key = given or "not_said"
                groups[name][key] = groups[name].get(key, 0) + 1
        answered = len(asked) if done else rng.randint(1, len(asked) - 1)
        step = (finished - started) / (answered + 1)
        free_index = 0
        for position, question in enumerate(asked[:answered], start=1):
            assert question.id is not None
            value: int | None = None
            words, attachment_id = "", None
            at = started + step * position
            if question.kind == QuestionKind.RATING:
                value = RATING(rng)
            elif question.kind == QuestionKind.CHOICE:
                value = CHOICE(rng)
            elif question.kind == QuestionKind.YES_NO:
                value = YES(rng)
            elif rng.random() < VOICE:
                attachment_id = ids[Attachment]
                ids[Attachment] += 1
                rows[Attachment].append({
                    "id": attachment_id, "inbound_id": None, "submission_id": None,
                    "kind": "voice", "content_type": "audio/ogg",
                    "size": 20_000 + rng.randrange(60_000), "sha256": f"{attachment_id:064x}",
                    "path": f"bench/survey-{attachment_id}.ogg", "original_name": None,
                    "remote": None, "fetch_error": None, "created_at": at})
                status = HEARD(rng)
                heard = status == TranscriptionStatus.DONE
                rows[Transcription].append({
                    "id": ids[Transcription], "attachment_id": attachment_id,
                    "citizen_id": citizen_id, "language_hint": "fr", "notify": True,
                    "status": status, "text": rng.choice(HEARD_TEXTS) if heard else None,
                    "language": "fr" if heard else None,
                    "confidence": round(rng.uniform(0.5, 0.95), 2) if heard else None,
                    "duration_s": round(rng.uniform(3, 45), 1),
                    "backend": "faster-whisper", "model": "base",
                    "processing_ms": rng.randrange(800, 12_000) if heard else None,
                    "attempts": 0 if status == TranscriptionStatus.PENDING else 1,
                    "reason": "failed" if status == TranscriptionStatus.FAILED else None,
                    "last_error": None, "claimed_by": None, "claimed_until": None,
                    "next_attempt_at": at, "created_at": at,
                    "finished_at": None if status == TranscriptionStatus.PENDING
                    else at + timedelta(seconds=20)})
                ids[Transcription] += 1
                counted["voice"] += done
            else:
                words = free_text(rng, free_index)
            if question.kind == QuestionKind.FREE:
                free_index += 1
            rows[SurveyAnswer].append({
                "id": ids[SurveyAnswer], "response_id": response_id,
                "question_id": question.id, "value": value, "text": words,
                "attachment_id": attachment_id, "answered_at": at})
            ids[SurveyAnswer] += 1
            counted["answers"] += done
        flush()
        if (number + 1) % 10_000 == 0:
            progress(f"{engine.dialect.name}: {number + 1:,} answer sets loaded "
                     f"({time.perf_counter() - started_load:.0f} s)")
    flush(final=True)
    loaded = time.perf_counter()
    if engine.dialect.name == "sqlite":
        outside_transaction(engine, ["PRAGMA wal_checkpoint(TRUNCATE)"])
        after_what = "WAL checkpoint"
    else:
        outside_transaction(engine, [
            *(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) "
              f"FROM {table.name}))" for table in tables.values()),
            "VACUUM ANALYZE"])
        after_what = "VACUUM ANALYZE"
    settled = time.perf_counter()
    return Seeded(survey_id, completed, completed + incomplete, counted["answers"],
                  counted["voice"], loaded - started_load, settled - loaded, after_what,
                  database_mb(engine, path), groups)


# --- what is measured -------------------------------------------------------------------------


def read_answers(app: App, survey_id: int) -> tuple[int, None]:
    """The baseline: every answer of the completed sets, fetched once into Python."""
    answer, response = SurveyAnswer.__table__, SurveyResponse.__table__  # type: ignore[attr-defined]
    with app.uow_factory() as uow:
        found = uow.session.execute(
            select(answer.c.response_id, answer.c.question_id, answer.c.value, answer.c.text,
                   answer.c.attachment_id, answer.c.answered_at)
            .join(response, response.c.id == answer.c.response_id)
            .where(response.c.survey_id == survey_id, response.c.completed_at.is_not(None))
        ).all()
    return len(found), None


def compute_results(app: App, survey_id: int) -> SurveyResults:
    with app.uow_factory() as uow:
        return results(uow=uow, survey_id=survey_id)


def count_results(app: App, survey_id: int) -> tuple[int, SurveyResults]:
    """results(); the answers it counted."""
    found = compute_results(app, survey_id)
    return sum(q.answered for q in found.questions), found


def write_csv(app: App, survey_id: int) -> tuple[int, None]:
    """export_rows() consumed into a csv writer; the rows written, header included."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    written = 0
    with app.uow_factory() as uow:
        for line in export_rows(uow=uow, survey_id=survey_id):
            writer.writerow(line)
            written += 1
    return written, None


MEASURES: tuple[tuple[str, Callable[[App, int], tuple[int, Any]]], ...] = (
    ("baseline: read the answers", read_answers),
    ("results()", count_results),
    ("export_rows() → csv", write_csv),
)


def measure(app: App, survey_id: int, repeat: int) -> list[Measured]:
    """First one call of each under tracemalloc, for its peak Python memory: this also warms
    up the caches, and is not timed. Then rounds of every measure, the order turning each
    round so that none always comes first."""
    measured = [Measured(name) for name, _ in MEASURES]
    for index, (name, call) in enumerate(MEASURES):
        progress(f"{app.engine.dialect.name}: {name} under tracemalloc (warm-up)")
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            measured[index].rows, measured[index].kept = call(app, survey_id)
            measured[index].peak_bytes = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    for round_number in range(repeat):
        order = list(range(len(MEASURES)))
        shift = round_number % len(order)
        for index in order[shift:] + order[:shift]:
            started = time.perf_counter()
            rows, _ = MEASURES[index][1](app, survey_id)
            measured[index].latencies.seconds.append(time.perf_counter() - started)
            if rows != measured[index].rows:
                raise SystemExit(f"{MEASURES[index][0]}: {measured[index].rows} rows, then "
                                 f"{rows}")
        progress(f"{app.engine.dialect.name}: round {round_number + 1}/{repeat}")
    return measured


def check(seeded: Seeded, measured: list[Measured]) -> list[str]:
    """What the results and the export say, against what was loaded."""
    found: SurveyResults = measured[1].kept
    problems = []
    if (found.completed, found.started) != (seeded.completed, seeded.begun):
        problems.append(f"completed/started {found.completed}/{found.started}, loaded "
                        f"{seeded.completed}/{seeded.begun}")
    for question in found.questions:
        shown = (len(question.free_answers) if question.kind == QuestionKind.FREE
                 else sum(question.distribution.values()))
        if question.answered != seeded.completed or shown != seeded.completed:
            problems.append(f"question {question.position}: {question.answered} answered, "
                            f"{shown} shown")
    hidden = {name: sorted(set(seeded.groups[name]) - set(groups))  # left out of the results
              for name, groups in found.breakdowns.items()}
    for name, groups in seeded.groups.items():
        small = {g for g, n in groups.items() if n < SMALLEST_GROUP}
        if not small <= set(hidden[name]):
            problems.append(f"{name}: groups {sorted(small - set(hidden[name]))} not hidden")
    baseline, _, export = measured
    if baseline.rows != seeded.answers:
        problems.append(f"the baseline read {baseline.rows} answers, loaded {seeded.answers}")
    if export.rows != seeded.answers + 1:
        problems.append(f"the CSV has {export.rows} rows, expected {seeded.answers + 1}")
    spoken = [a for q in found.questions for a in q.free_answers if a["voice_url"]]
    lines = [f"results: {found.completed:,} completed of {found.started:,} begun, response "
             f"rate {found.response_rate}; {len(spoken):,} spoken free answers "
             f"({sum(1 for a in spoken if a['transcript']):,} with a transcript); hidden "
             "groups: " + "; ".join(f"{name} {', '.join(groups) or 'none'}"
                                    for name, groups in hidden.items())]
    lines.append("checks: " + ("all as loaded" if not problems else "PROBLEMS: "
                               + "; ".join(problems)))
    return lines


def profile_results(app: App, survey_id: int, top: int = 18) -> str:
    """Where one results() call spends its time: the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    compute_results(app, survey_id)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("core/surveys|core/transcripts", top)
    return out.getvalue()


# --- one backend ------------------------------------------------------------------------------


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    """Migrate a fresh database, load the survey, measure, check."""
    settings = Settings(database_url=url, media_dir=media, enabled_communes=",".join(
        PILOT_COMMUNES), console_commune="", _env_file=None)  # type: ignore[call-arg]
    app = bootstrap(settings)
    path = Path(url.removeprefix("sqlite:///")) if backend == "sqlite" else None
    try:
        progress(f"{backend}: migrating and loading the communes")
        prepare(app)
        progress(f"{backend}: loading {args.responses:,} answer sets")
        seeded = seed(app, args.responses, args.seed, path)
        if args.serve_gc:
            settle_memory()  # as `palabre serve` does before serving
        version = server_version(app.engine)
        before = os.getloadavg()[0]
        measured = measure(app, seeded.survey_id, args.repeat)
        load = (before, os.getloadavg()[0])
        checks = check(seeded, measured)
        shown = profile_results(app, seeded.survey_id) if args.profile else ""
        return Result(backend, version, seeded, measured, checks, load, shown)
    finally:
        app.engine.dispose()


# --- report -----------------------------------------------------------------------------------


def row(cells: Sequence[str]) -> str:
    """One line of the table: the first two columns left-aligned, the numbers right-aligned."""
    widths = (10, 28, 3, 9, 10, 10, 7, 9)
    return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                     for i, (cell, w) in enumerate(zip(cells, widths, strict=True))).rstrip()


def table(result: Result) -> list[str]:
    baseline = result.measured[0].median_ms()
    lines = [row(("backend", "measure", "n", "rows", "median ms", "p95 ms", "÷ base",
                  "peak MiB")),
             row(("-" * 10, "-" * 28, "-" * 3, "-" * 9, "-" * 10, "-" * 10, "-" * 7, "-" * 9))]
    for m in result.measured:
        lines.append(row((result.backend, m.name, str(len(m.latencies.seconds)),
                          f"{m.rows:,}", f"{m.median_ms():.1f}", f"{m.latencies.ms(95):.1f}",
                          f"{m.median_ms() / baseline:.1f}",
                          f"{m.peak_bytes / 2**20:.1f}")))
    return lines


def report(results_: Sequence[Result], args: argparse.Namespace, skipped: str | None) -> str:
    lines = [
        f"Palabre survey results benchmark: one survey of {COTONOU} with {len(QUESTIONS)} "
        f"questions and {args.responses:,} completed answer sets per backend, each call in its "
        "own unit of work",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{args.repeat} timed rounds after one warm-up call of each (under tracemalloc), the "
        "order of the measures turning each round; garbage collection "
        + (f"as `palabre serve` sets it (gc.freeze, thresholds {GC_THRESHOLDS})"
           if args.serve_gc else f"with Python's defaults {gc.get_threshold()}"),
    ]
    for result in results_:
        s = result.seeded
        lines += [
            "",
            f"{result.backend}: {result.version}",
            f"  load {s.load_seconds:.1f} s ({s.begun:,} answer sets, {s.completed:,} "
            f"completed, {s.answers:,} answers of completed sets, {s.voice:,} spoken), "
            f"{s.after_what} {s.after_seconds:.1f} s, database {s.size_mb:,.0f} MB",
            "  groups loaded: " + "; ".join(
                f"{name} " + ", ".join(f"{g} {n:,}" for g, n in sorted(groups.items()))
                for name, groups in s.groups.items()),
            f"  1-minute load average before / after the timed rounds: {result.load[0]:.2f} / "
            f"{result.load[1]:.2f} on {os.cpu_count()} CPUs",
            *(f"  {line}" for line in result.checks),
            "",
            *table(result),
        ]
    lines += ["",
              "rows: answers read (baseline), answers counted over the questions (results()), "
              "CSV rows with the header (export)",
              "÷ base: median divided by the baseline's median of the same run (every answer of "
              "the completed sets read once); compare these across runs",
              f"p95: nearest rank (with {args.repeat} rounds, the slowest); peak MiB: Python "
              "allocations during one call (tracemalloc), not the process's resident memory"]
    for result in results_:
        if result.profile:
            lines += ["", f"profile of one results() call, {result.backend}:", result.profile]
    if skipped:
        lines += ["", skipped]
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.surveys", description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=None,
                        help=f"completed answer sets to load per backend (default "
                             f"{DEFAULT_RESPONSES:,}, {QUICK_RESPONSES:,} with --quick)")
    parser.add_argument("--repeat", type=int, default=None,
                        help=f"timed rounds (default {DEFAULT_REPEAT}, {QUICK_REPEAT} with "
                             "--quick)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_RESPONSES:,} answer sets and {QUICK_REPEAT} rounds")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated data")
    parser.add_argument("--profile", action="store_true",
                        help="print where one results() call spends its time (cProfile)")
    parser.add_argument("--serve-gc", action="store_true",
                        help="collect garbage as `palabre serve` does (gc.freeze after the "
                             f"load, thresholds {GC_THRESHOLDS}) rather than with Python's "
                             "defaults")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server to create the temporary database on "
                             "(default: TEST_DATABASE_URL or BENCH_DATABASE_URL)")
    args = parser.parse_args(argv)
    args.responses = args.responses or (QUICK_RESPONSES if args.quick else DEFAULT_RESPONSES)
    args.repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)
    if args.responses < 20:
        parser.error("--responses must be at least 20 (the small groups come first)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    problem = postgres_problem(args.pg_url) if args.pg_url and not args.sqlite_only else None
    if problem:
        parser.error(f"--pg-url: {problem}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the report."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    measured, skipped = on_each_backend(
        args.pg_url, args.sqlite_only,
        lambda name, url, media: run_backend(name, url, media, args))
    print(report(measured, args, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())

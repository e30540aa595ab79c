"""Surveys: written by moderators (questions may change while it is a draft), launched for a
period with an optional invitation to an audience (a broadcast), answered in the bot one
question at a time (each answer kept at once, so a citizen can stop and resume), completed
once per citizen, then counted (core/surveys/results.py).

Texts are per language ({"fr": …, "en": …}); French is required.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select

from core import errors
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Audience, BroadcastStatus
from core.citizens.models import Citizen
from core.communes.models import Arrondissement, MunicipalService
from core.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from core.uow import UnitOfWork

MAX_QUESTIONS = 20
MAX_CHOICES = 9  # a numbered menu a citizen can read on a small screen
RATINGS = range(1, 6)
INVITE_KEY = "survey.invite"


@dataclass(frozen=True)
class NewQuestion:
    kind: QuestionKind
    text: dict[str, str]
    choices: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class NewSurvey:
    commune_id: str
    title: dict[str, str]
    questions: list[NewQuestion]
    created_by: str
    intro: dict[str, str] = field(default_factory=dict)
    service_id: int | None = None


@dataclass(frozen=True)
class Invitation:
    """Who is invited when the survey opens (a broadcast): the commune, an arrondissement,
    or a topic's followers."""

    audience: Audience = Audience.COMMUNE
    arrondissement_id: str | None = None
    topic: str | None = None


def define(*, uow: UnitOfWork, new: NewSurvey) -> Survey:
    """A draft survey with its questions."""
    _check_service(uow, new.commune_id, new.service_id)
    now = uow.clock.now()
    survey = Survey(commune_id=new.commune_id, service_id=new.service_id,
                    title=_texts(new.title, "title", 200), intro=_texts(new.intro, "intro", 500,
                                                                         required=False),
                    created_by=new.created_by[:80], created_at=now, updated_at=now)
    uow.session.add(survey)
    uow.session.flush()
    _replace_questions(uow, survey, new.questions)
    return survey


def redefine(*, uow: UnitOfWork, survey_id: int, new: NewSurvey) -> Survey:
    """Change a draft's texts, service and questions (a launched survey keeps its questions,
    so that answers keep their meaning)."""
    survey = get(uow=uow, survey_id=survey_id)
    if survey.status != SurveyStatus.DRAFT:
        raise errors.Conflict("Only a draft survey can be changed; this one is "
                              f"{survey.status}.")
    _check_service(uow, survey.commune_id, new.service_id)
    survey.title = _texts(new.title, "title", 200)
    survey.intro = _texts(new.intro, "intro", 500, required=False)
    survey.service_id, survey.updated_at = new.service_id, uow.clock.now()
    uow.session.add(survey)
    _replace_questions(uow, survey, new.questions)
    return survey


def get(*, uow: UnitOfWork, survey_id: int) -> Survey:
    found = uow.session.get(Survey, survey_id)
    if found is None:
        raise errors.NotFound(f"No survey {survey_id}.")
    return found


def questions(*, uow: UnitOfWork, survey_id: int) -> list[SurveyQuestion]:
    return list(uow.session.exec(select(SurveyQuestion).where(
        SurveyQuestion.survey_id == survey_id).order_by(col(SurveyQuestion.position))).all())


def launch(*, uow: UnitOfWork, survey_id: int, closes_at: datetime, actor: str,
           opens_at: datetime | None = None, invite: Invitation | None = None) -> Survey:
    """Open a draft from `opens_at` (now by default) until `closes_at`; with an invitation,
    the audience is told when it opens (an announcement, with its opt-outs and quiet hours)."""
    survey = get(uow=uow, survey_id=survey_id)
    if survey.status != SurveyStatus.DRAFT:
        raise errors.Conflict(f"This survey is {survey.status}, not a draft.")
    asked = questions(uow=uow, survey_id=survey_id)
    if not asked:
        raise errors.Invalid("A survey needs at least one question before it is launched.",
                             field="questions", reason="no_question")
    now = uow.clock.now()
    opens = opens_at or now
    for name, moment in (("opens_at", opens), ("closes_at", closes_at)):
        if moment.tzinfo is None:
            raise errors.Invalid(f"{name} needs a time zone, e.g. 2026-12-01T08:00:00+01:00.",
                                 field=name, reason="time_zone")
    if closes_at <= max(opens, now):
        raise errors.Invalid("closes_at must come after the opening, in the future.",
                             field="closes_at", reason="closes_before")
    survey.status, survey.opens_at, survey.closes_at = SurveyStatus.OPEN, opens, closes_at
    survey.updated_at = now
    if invite is not None:  # the title in each citizen's language (the renderer picks it)
        sent = broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
            commune_id=survey.commune_id, text=f"Survey: {survey.title['fr']}",
            created_by=actor, audience=invite.audience,
            arrondissement_id=invite.arrondissement_id, topic=invite.topic,
            send_at=max(opens, now), key=INVITE_KEY,
            params={"title": dict(survey.title), "questions": len(asked)}))
        survey.invited, survey.invitation_id = sent.recipients, sent.id
    uow.session.add(survey)
    return survey


def close(*, uow: UnitOfWork, survey_id: int) -> Survey:
    """Close an open survey before its time; answers already given are kept."""
    survey = get(uow=uow, survey_id=survey_id)
    if survey.status != SurveyStatus.OPEN:
        raise errors.Conflict(f"This survey is {survey.status}, not open.")
    now = uow.clock.now()
    survey.status, survey.updated_at = SurveyStatus.CLOSED, now
    if survey.closes_at is None or survey.closes_at > now:
        survey.closes_at = now
    uow.session.add(survey)
    if survey.invitation_id is not None:  # not yet sent: nobody is invited to a closed survey
        invitation = broadcasts.get(uow=uow, broadcast_id=survey.invitation_id)
        if invitation.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.QUEUED):
            broadcasts.cancel(uow=uow, broadcast_id=survey.invitation_id)
    return survey


def is_open(survey: Survey, now: datetime) -> bool:
    return (survey.status == SurveyStatus.OPEN and survey.opens_at is not None
            and survey.closes_at is not None and survey.opens_at <= now < survey.closes_at)


def open_surveys(*, uow: UnitOfWork, commune_id: str) -> list[Survey]:
    """The commune's surveys citizens can answer now, the one closing first first."""
    now = uow.clock.now()
    rows = uow.session.exec(select(Survey).where(
        Survey.commune_id == commune_id, Survey.status == SurveyStatus.OPEN,
        col(Survey.opens_at) <= now, col(Survey.closes_at) > now)
        .order_by(col(Survey.closes_at))).all()
    return list(rows)


def response_of(*, uow: UnitOfWork, survey_id: int, citizen_id: int) -> SurveyResponse | None:
    return uow.session.exec(select(SurveyResponse).where(
        SurveyResponse.survey_id == survey_id,
        SurveyResponse.citizen_id == citizen_id)).first()


def answers_of(*, uow: UnitOfWork, response_id: int) -> dict[int, SurveyAnswer]:
    """A response's answers by question id."""
    rows = uow.session.exec(select(SurveyAnswer).where(
        SurveyAnswer.response_id == response_id)).all()
    return {row.question_id: row for row in rows}


def start(*, uow: UnitOfWork, survey_id: int, citizen_id: int, channel: str,
          arrondissement_id: str | None = None) -> SurveyResponse:
    """Begin (or find again) the citizen's answer set; refused when the survey is not open
    or they already completed it."""
    survey = _open(uow, survey_id)
    response = response_of(uow=uow, survey_id=survey_id, citizen_id=citizen_id)
    if response is not None and response.completed_at is not None:
        raise errors.SurveyAnswered("This citizen already answered this survey.")
    if arrondissement_id is not None:
        found = uow.session.get(Arrondissement, arrondissement_id)
        if found is None or found.commune_id != survey.commune_id:
            raise errors.Invalid("arrondissement_id must be an arrondissement of the commune.")
    if response is None:
        response = SurveyResponse(survey_id=survey_id, citizen_id=citizen_id,
                                  channel=channel[:16], started_at=uow.clock.now())
    if arrondissement_id is not None:
        response.arrondissement_id = arrondissement_id
    uow.session.add(response)
    uow.session.flush()
    return response


def answer(*, uow: UnitOfWork, survey_id: int, citizen_id: int, question_id: int,
           value: int | None = None, text: str = "", attachment_id: int | None = None,
           channel: str = "") -> SurveyAnswer:
    """Keep one answer (a later answer to the same question replaces it, until the set is
    complete); refused when out of range, or the survey is closed or already answered."""
    response = start(uow=uow, survey_id=survey_id, citizen_id=citizen_id, channel=channel)
    question = uow.session.get(SurveyQuestion, question_id)
    if question is None or question.survey_id != survey_id:
        raise errors.NotFound(f"No question {question_id} in survey {survey_id}.")
    _check_answer(question, value, text, attachment_id)
    assert response.id is not None
    kept = answers_of(uow=uow, response_id=response.id).get(question_id) or SurveyAnswer(
        response_id=response.id, question_id=question_id, answered_at=uow.clock.now())
    kept.value, kept.text, kept.attachment_id = value, text.strip()[:2000], attachment_id
    kept.answered_at = uow.clock.now()
    uow.session.add(kept)
    uow.session.flush()
    return kept


def complete(*, uow: UnitOfWork, survey_id: int, citizen_id: int) -> SurveyResponse:
    """The set is complete once every question has an answer; the citizen's profile of that
    moment (arrondissement given, gender, age band) is what the results count."""
    _open(uow, survey_id)
    response = response_of(uow=uow, survey_id=survey_id, citizen_id=citizen_id)
    if response is None:
        raise errors.Invalid("Nothing was answered.")
    if response.completed_at is not None:
        raise errors.SurveyAnswered("This citizen already answered this survey.")
    assert response.id is not None
    given = answers_of(uow=uow, response_id=response.id)
    missing = [q.position for q in questions(uow=uow, survey_id=survey_id) if q.id not in given]
    if missing:
        raise errors.Invalid(f"Questions {missing} have no answer yet.")
    citizen = uow.session.get_one(Citizen, citizen_id)
    response.gender, response.age_band = citizen.gender, citizen.age_band
    response.completed_at = uow.clock.now()
    uow.session.add(response)
    return response


def _open(uow: UnitOfWork, survey_id: int) -> Survey:
    survey = get(uow=uow, survey_id=survey_id)
    if not is_open(survey, uow.clock.now()):
        raise errors.SurveyClosed("This survey is not open.")
    return survey


def _check_answer(question: SurveyQuestion, value: int | None, text: str,
                  attachment_id: int | None) -> None:
    kind = question.kind
    if kind == QuestionKind.RATING and value not in RATINGS:
        raise errors.Invalid("A rating is a whole number from 1 to 5.")
    if kind == QuestionKind.CHOICE and (value is None or not 1 <= value <= len(question.choices)):
        raise errors.Invalid(f"The choice is a number from 1 to {len(question.choices)}.")
    if kind == QuestionKind.YES_NO and value not in (0, 1):
        raise errors.Invalid("A yes/no answer is 1 (yes) or 0 (no).")
    if kind == QuestionKind.FREE and (value is not None or not (text.strip() or attachment_id)):
        raise errors.Invalid("A free answer has words or a voice note.")


def _replace_questions(uow: UnitOfWork, survey: Survey, asked: list[NewQuestion]) -> None:
    if len(asked) > MAX_QUESTIONS:
        raise errors.Invalid(f"A survey has at most {MAX_QUESTIONS} questions.",
                             field="questions", reason="too_many", most=MAX_QUESTIONS)
    checked = [_question(number, q) for number, q in enumerate(asked, start=1)]
    assert survey.id is not None
    for old in questions(uow=uow, survey_id=survey.id):
        uow.session.delete(old)
    uow.session.flush()
    for number, (kind, text, choices) in enumerate(checked, start=1):
        uow.session.add(SurveyQuestion(survey_id=survey.id, position=number, kind=kind,
                                       text=text, choices=choices))
    uow.session.flush()


def _question(number: int, question: NewQuestion) -> tuple[str, dict[str, str],
                                                           list[dict[str, str]]]:
    kind = QuestionKind(question.kind)
    text = _texts(question.text, f"question {number}", 300, field=f"q{number}")
    choices = [_texts(c, f"question {number}'s choice {i}", 80, field=f"q{number}")
               for i, c in enumerate(question.choices, start=1)]
    if kind == QuestionKind.CHOICE and not 2 <= len(choices) <= MAX_CHOICES:
        raise errors.Invalid(f"Question {number} needs 2 to {MAX_CHOICES} choices.",
                             field=f"q{number}", reason="choices_count", most=MAX_CHOICES)
    if kind != QuestionKind.CHOICE and choices:
        raise errors.Invalid(f"Question {number} is {kind.value}: it takes no choices.",
                             field=f"q{number}", reason="no_choices")
    return kind, text, choices


def _texts(given: dict[str, str], what: str, limit: int, *, required: bool = True,
           field: str | None = None) -> dict[str, str]:
    kept = {str(k)[:8]: " ".join(str(v).split()) for k, v in given.items()
            if str(v).strip()}
    if required and not kept.get("fr"):
        raise errors.Invalid(f"The {what} needs its French text ('fr').", field=field or what,
                             reason="french_required")
    too_long = [k for k, v in kept.items() if len(v) > limit]
    if too_long:
        raise errors.Invalid(f"The {what} has at most {limit} characters ({too_long[0]}).",
                             field=field or what, reason="too_long", most=limit)
    return kept


def _check_service(uow: UnitOfWork, commune_id: str, service_id: int | None) -> None:
    if service_id is None:
        return
    found = uow.session.get(MunicipalService, service_id)
    if found is None or found.commune_id != commune_id:
        raise errors.Invalid("service_id must be a service of the commune.")

"""What a survey's completed answer sets say: per question the count, the distribution and
the average (ratings), the share of yes; the response rate against the invitations; the same
per arrondissement, gender and age band with groups under five people hidden; the free
answers with the transcripts of the spoken ones; and rows for a CSV without personal data.

Only completed answer sets count: a set left midway may still change. Under five completed
sets, the figures are withheld (the counts and free answers stay). Answers are read as
plain rows in one query (no ORM objects: a survey may have tens of thousands of sets, see
bench/surveys/) and every figure is made in one pass over them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select as select_columns
from sqlmodel import col, func, select

from core.communes.models import label
from core.submissions.stats import SMALLEST_GROUP, hidden_groups
from core.surveys.models import QuestionKind, SurveyAnswer, SurveyQuestion, SurveyResponse
from core.surveys.service import get, questions
from core.transcripts import service as transcripts
from core.uow import UnitOfWork

BREAKDOWNS = ("arrondissement", "gender", "age_band")
NOT_SAID = "not_said"
SCORED = (QuestionKind.RATING, QuestionKind.YES_NO)  # questions with an average


@dataclass
class QuestionResult:
    position: int
    kind: str
    text: str
    answered: int
    distribution: dict[str, int] = field(default_factory=dict)  # value → answer sets
    average: float | None = None  # ratings: 1 to 5; yes/no: the share of yes
    free_answers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GroupResult:
    """One group of a breakdown shown (five people or more): how many completed, and each
    rating and yes/no question's average."""

    completed: int
    averages: dict[int, float | None] = field(default_factory=dict)  # position → average


@dataclass
class SurveyResults:
    survey_id: int
    started: int
    completed: int
    invited: int
    response_rate: float | None  # completed / invited, when invitations were sent
    questions: list[QuestionResult]
    # Per arrondissement, gender and age band; the groups too small to show are left out
    # (`hidden` says how many people they hold together).
    breakdowns: dict[str, dict[str, GroupResult]]
    hidden: dict[str, int] = field(default_factory=dict)
    withheld: bool = False  # fewer than five completed sets: no distributions nor breakdowns


class _Set(NamedTuple):
    """A completed answer set as the results see it: its number and the groups it is in."""

    id: int
    completed_at: datetime
    groups: tuple[str, str, str]  # arrondissement, gender, age band (NOT_SAID when unsaid)


class _Answer(NamedTuple):
    set_id: int
    question_id: int
    value: int | None
    text: str
    attachment_id: int | None
    answered_at: datetime


def results(*, uow: UnitOfWork, survey_id: int, language: str = "fr",
            words: bool = True) -> SurveyResults:
    """The survey's figures; the words of free answers only with `words` (not to analysts)."""
    survey = get(uow=uow, survey_id=survey_id)
    asked = questions(uow=uow, survey_id=survey_id)
    started = uow.session.exec(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey_id)).one()
    done = _completed(uow, survey_id)
    kept = {one.id for one in done}  # a set completed after this read waits for the next
    by_question: dict[int, list[_Answer]] = defaultdict(list)
    for answer in _answers(uow, survey_id):
        if answer.set_id in kept:
            by_question[answer.question_id].append(answer)
    heard = _heard(uow, by_question.values()) if words else {}
    withheld = len(done) < SMALLEST_GROUP
    per_question = [_question(q, by_question.get(q.id or 0, []), language, heard, withheld,
                              words) for q in asked]
    scored = [q for q in asked if q.kind in SCORED]
    breakdowns: dict[str, dict[str, GroupResult]] = {}
    hidden: dict[str, int] = {}
    for index, name in enumerate(BREAKDOWNS):
        if not withheld:
            breakdowns[name], hidden[name] = _breakdown(done, index, scored, by_question)
    rate = round(len(done) / survey.invited, 3) if survey.invited else None
    assert survey.id is not None
    return SurveyResults(survey_id=survey.id, started=int(started), completed=len(done),
                         invited=survey.invited, response_rate=rate, questions=per_question,
                         breakdowns=breakdowns, hidden=hidden, withheld=withheld)


def export_rows(*, uow: UnitOfWork, survey_id: int,
                words: bool = True) -> Iterable[list[str]]:
    """One row per completed answer set and question, with a running number instead of the
    citizen; arrondissement, gender and age band only when five people or more share that
    combination (else all three are empty), so that nobody is singled out by them; a free
    answer's words only with `words` (not to analysts)."""
    asked = {q.id: q for q in questions(uow=uow, survey_id=survey_id)}
    done = _completed(uow, survey_id)
    profiles = _profiles(done)
    kept = {one.id for one in done}
    answers: dict[int, list[_Answer]] = defaultdict(list)
    for answer in _answers(uow, survey_id):
        if answer.set_id in kept:
            answers[answer.set_id].append(answer)
    heard = _heard(uow, answers.values()) if words else {}
    yield ["response", "completed_on", "arrondissement", "gender", "age_band", "question",
           "kind", "question_text", "value", "answer"]
    for number, one in enumerate(done, start=1):
        profile = profiles[one.id]
        day = one.completed_at.date().isoformat()
        given = sorted(answers.get(one.id, []), key=lambda a: asked[a.question_id].position)
        for answer in given:
            question = asked[answer.question_id]
            yield [str(number), day, *profile, str(question.position), question.kind,
                   label(question.text, "fr"),
                   "" if answer.value is None else str(answer.value),
                   _words(question, answer, heard, "fr")
                   if words or question.kind != QuestionKind.FREE else ""]


def _completed(uow: UnitOfWork, survey_id: int) -> list[_Set]:
    rows = uow.session.execute(select_columns(
        col(SurveyResponse.id), col(SurveyResponse.completed_at),
        col(SurveyResponse.arrondissement_id), col(SurveyResponse.gender),
        col(SurveyResponse.age_band)).where(
        col(SurveyResponse.survey_id) == survey_id, col(SurveyResponse.completed_at).is_not(None))
        .order_by(col(SurveyResponse.completed_at), col(SurveyResponse.id))).all()
    return [_Set(i, at, (a or NOT_SAID, g or NOT_SAID, b or NOT_SAID))
            for i, at, a, g, b in rows]


def _answers(uow: UnitOfWork, survey_id: int) -> Iterable[_Answer]:
    """Every answer of the survey's completed sets, as plain rows."""
    rows = uow.session.execute(select_columns(
        col(SurveyAnswer.response_id), col(SurveyAnswer.question_id), col(SurveyAnswer.value),
        col(SurveyAnswer.text), col(SurveyAnswer.attachment_id), col(SurveyAnswer.answered_at))
        .join(SurveyResponse, col(SurveyResponse.id) == col(SurveyAnswer.response_id))
        .where(col(SurveyResponse.survey_id) == survey_id,
               col(SurveyResponse.completed_at).is_not(None)))
    return (_Answer(*row) for row in rows)


def _heard(uow: UnitOfWork, groups: Iterable[list[_Answer]]) -> dict[int, Any]:
    spoken = [a.attachment_id for answers in groups for a in answers if a.attachment_id]
    return transcripts.of_attachments(uow=uow, attachment_ids=spoken)


def _question(question: SurveyQuestion, given: list[_Answer], language: str,
              heard: dict[int, Any], withheld: bool, words: bool) -> QuestionResult:
    result = QuestionResult(position=question.position, kind=question.kind,
                            text=label(question.text, language), answered=len(given))
    if question.kind == QuestionKind.FREE:
        result.free_answers = [_free(a, heard) for a in sorted(given, key=_when)] if words \
            else []
        return result
    if withheld:
        return result
    counts: dict[int | None, int] = defaultdict(int)
    for answer in given:
        counts[answer.value] += 1
    result.distribution = {_value_label(question, value, language): counts.get(value, 0)
                           for value in _values(question)}
    result.average = _average(question, given)
    return result


def _when(answer: _Answer) -> datetime:
    return answer.answered_at


def _free(answer: _Answer, heard: dict[int, Any]) -> dict[str, Any]:
    transcript = heard.get(answer.attachment_id or 0)
    return {"text": answer.text or None,
            "voice_url": f"/api/v1/attachments/{answer.attachment_id}"
            if answer.attachment_id else None,
            "transcript": getattr(transcript, "text", None) or None,
            "answered_at": answer.answered_at}


def _values(question: SurveyQuestion) -> list[int]:
    """Every possible answer in its natural order (those nobody chose count 0)."""
    if question.kind == QuestionKind.RATING:
        return list(range(1, 6))
    if question.kind == QuestionKind.YES_NO:
        return [1, 0]
    return list(range(1, len(question.choices) + 1))


def _value_label(question: SurveyQuestion, value: int | None, language: str) -> str:
    if question.kind == QuestionKind.CHOICE and value is not None:
        return label(question.choices[value - 1], language)
    if question.kind == QuestionKind.YES_NO:
        return "yes" if value == 1 else "no"
    return str(value)


def _average(question: SurveyQuestion, given: Iterable[_Answer]) -> float | None:
    values = [a.value for a in given if a.value is not None]
    if question.kind not in SCORED or not values:
        return None
    return round(sum(values) / len(values), 2)


def _sizes(done: list[_Set], index: int) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for one in done:
        sizes[one.groups[index]] += 1
    return dict(sizes)


def _profiles(done: list[_Set]) -> dict[int, list[str]]:
    """What the export may say of each set's arrondissement, gender and age band: each value
    of a group big enough on its own, and only when five or more sets share the combination;
    otherwise nothing."""
    hidden = [hidden_groups(_sizes(done, index)) for index in range(len(BREAKDOWNS))]
    shown = {one.id: tuple("" if g in hidden[i] else g for i, g in enumerate(one.groups))
             for one in done}
    together: dict[tuple[str, ...], int] = defaultdict(int)
    for profile in shown.values():
        together[profile] += 1
    blank = tuple("" for _ in BREAKDOWNS)
    return {i: list(p if together[p] >= SMALLEST_GROUP else blank) for i, p in shown.items()}


def _breakdown(done: list[_Set], index: int, scored: list[SurveyQuestion],
               by_question: dict[int, list[_Answer]]) -> tuple[dict[str, GroupResult], int]:
    """The groups shown, and how many people the hidden ones hold together."""
    group_of = {one.id: one.groups[index] for one in done}
    sizes = _sizes(done, index)
    hidden = hidden_groups(sizes)
    sums: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])  # total, count
    for question in scored:
        for answer in by_question.get(question.id or 0, []):
            if answer.value is not None:
                tally = sums[(group_of[answer.set_id], question.position)]
                tally[0] += answer.value
                tally[1] += 1
    shown = {group: GroupResult(completed=sizes[group], averages={
        q.position: _mean(sums.get((group, q.position))) for q in scored})
        for group in sorted(sizes) if group not in hidden}
    return shown, sum(sizes[group] for group in hidden)


def _mean(tally: list[int] | None) -> float | None:
    return round(tally[0] / tally[1], 2) if tally and tally[1] else None


def _words(question: SurveyQuestion, given: _Answer, heard: dict[int, Any],
           language: str) -> str:
    if question.kind == QuestionKind.FREE:
        transcript = heard.get(given.attachment_id or 0)
        return given.text or getattr(transcript, "text", "") or (
            "(voice note)" if given.attachment_id else "")
    return _value_label(question, given.value, language)

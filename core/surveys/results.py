"""What a survey's completed answer sets say: per question the count, the distribution and
the average (ratings), the share of yes; the response rate against the invitations; the same
per arrondissement, gender and age band with groups under five people hidden; the free
answers with the transcripts of the spoken ones; and rows for a CSV without personal data.

Only completed answer sets count: a set left midway may still change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

from core.communes.models import label
from core.submissions.stats import SMALLEST_GROUP
from core.surveys.models import QuestionKind, SurveyAnswer, SurveyQuestion, SurveyResponse
from core.surveys.service import get, questions
from core.transcripts import service as transcripts
from core.uow import UnitOfWork

BREAKDOWNS = ("arrondissement", "gender", "age_band")
NOT_SAID = "not_said"


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
    """One group of a breakdown: how many completed, and each rating question's average;
    None everywhere when the group has fewer than five people."""

    completed: int | None
    averages: dict[int, float | None] = field(default_factory=dict)  # position → average


@dataclass
class SurveyResults:
    survey_id: int
    started: int
    completed: int
    invited: int
    response_rate: float | None  # completed / invited, when invitations were sent
    questions: list[QuestionResult]
    breakdowns: dict[str, dict[str, GroupResult]]


def results(*, uow: UnitOfWork, survey_id: int, language: str = "fr") -> SurveyResults:
    survey = get(uow=uow, survey_id=survey_id)
    asked = questions(uow=uow, survey_id=survey_id)
    started = uow.session.exec(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey_id)).one()
    done = _completed(uow, survey_id)
    answers = _answers(uow, [r.id for r in done if r.id is not None])
    heard = transcripts.of_attachments(uow=uow, attachment_ids=[
        a.attachment_id for per in answers.values() for a in per.values() if a.attachment_id])
    per_question = [_question(q, [answers[r.id][q.id] for r in done
                                  if r.id in answers and q.id in answers[r.id]],
                              language, heard) for q in asked]
    rated = [q for q in asked if q.kind in (QuestionKind.RATING, QuestionKind.YES_NO)]
    breakdowns = {name: _breakdown(done, name, rated, answers) for name in BREAKDOWNS}
    rate = round(len(done) / survey.invited, 3) if survey.invited else None
    assert survey.id is not None
    return SurveyResults(survey_id=survey.id, started=int(started), completed=len(done),
                         invited=survey.invited, response_rate=rate, questions=per_question,
                         breakdowns=breakdowns)


def export_rows(*, uow: UnitOfWork, survey_id: int) -> Iterable[list[str]]:
    """One row per completed answer set and question, with a running number instead of the
    citizen; arrondissement, gender and age band only when their group has five people or
    more (else empty), so that nobody is singled out."""
    asked = questions(uow=uow, survey_id=survey_id)
    done = _completed(uow, survey_id)
    answers = _answers(uow, [r.id for r in done if r.id is not None])
    heard = transcripts.of_attachments(uow=uow, attachment_ids=[
        a.attachment_id for per in answers.values() for a in per.values() if a.attachment_id])
    sizes = {name: _sizes(done, name) for name in BREAKDOWNS}
    yield ["response", "completed_on", "arrondissement", "gender", "age_band", "question",
           "kind", "question_text", "value", "answer"]
    for number, response in enumerate(done, start=1):
        profile = [_shown(_group(response, name), sizes[name]) for name in BREAKDOWNS]
        assert response.completed_at is not None and response.id is not None
        for question in asked:
            given = answers.get(response.id, {}).get(question.id or 0)
            if given is None:
                continue
            yield [str(number), response.completed_at.date().isoformat(), *profile,
                   str(question.position), question.kind, label(question.text, "fr"),
                   "" if given.value is None else str(given.value),
                   _words(question, given, heard, "fr")]


def _completed(uow: UnitOfWork, survey_id: int) -> list[SurveyResponse]:
    return list(uow.session.exec(select(SurveyResponse).where(
        SurveyResponse.survey_id == survey_id, col(SurveyResponse.completed_at).is_not(None))
        .order_by(col(SurveyResponse.completed_at), col(SurveyResponse.id))).all())


def _answers(uow: UnitOfWork, response_ids: list[int]) -> dict[int, dict[int, SurveyAnswer]]:
    found: dict[int, dict[int, SurveyAnswer]] = defaultdict(dict)
    for start in range(0, len(response_ids), 500):
        rows = uow.session.exec(select(SurveyAnswer).where(
            col(SurveyAnswer.response_id).in_(response_ids[start:start + 500]))).all()
        for row in rows:
            found[row.response_id][row.question_id] = row
    return found


def _question(question: SurveyQuestion, given: list[SurveyAnswer], language: str,
              heard: dict[int, Any]) -> QuestionResult:
    result = QuestionResult(position=question.position, kind=question.kind,
                            text=label(question.text, language), answered=len(given))
    if question.kind == QuestionKind.FREE:
        result.free_answers = [_free(a, heard) for a in sorted(given, key=_when)]
        return result
    counts: dict[str, int] = {}
    for answer in given:
        key = _value_label(question, answer.value, language)
        counts[key] = counts.get(key, 0) + 1
    result.distribution = _ordered(question, counts, language)
    result.average = _average(question, given)
    return result


def _when(answer: SurveyAnswer) -> datetime:
    return answer.answered_at


def _free(answer: SurveyAnswer, heard: dict[int, Any]) -> dict[str, Any]:
    transcript = heard.get(answer.attachment_id or 0)
    return {"text": answer.text or None,
            "voice_url": f"/api/v1/attachments/{answer.attachment_id}"
            if answer.attachment_id else None,
            "transcript": getattr(transcript, "text", None) or None,
            "answered_at": answer.answered_at}


def _value_label(question: SurveyQuestion, value: int | None, language: str) -> str:
    if question.kind == QuestionKind.CHOICE and value is not None:
        return label(question.choices[value - 1], language)
    if question.kind == QuestionKind.YES_NO:
        return "yes" if value == 1 else "no"
    return str(value)


def _ordered(question: SurveyQuestion, counts: dict[str, int],
             language: str) -> dict[str, int]:
    """Every possible answer in its natural order, those nobody chose at 0."""
    if question.kind == QuestionKind.RATING:
        keys = [str(v) for v in range(1, 6)]
    elif question.kind == QuestionKind.YES_NO:
        keys = ["yes", "no"]
    else:
        keys = [label(c, language) for c in question.choices]
    return {key: counts.get(key, 0) for key in keys}


def _average(question: SurveyQuestion, given: list[SurveyAnswer]) -> float | None:
    values = [a.value for a in given if a.value is not None]
    if question.kind not in (QuestionKind.RATING, QuestionKind.YES_NO) or not values:
        return None
    return round(sum(values) / len(values), 2)


def _group(response: SurveyResponse, name: str) -> str:
    value = {"arrondissement": response.arrondissement_id, "gender": response.gender,
             "age_band": response.age_band}[name]
    return value or NOT_SAID


def _sizes(done: list[SurveyResponse], name: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for response in done:
        group = _group(response, name)
        sizes[group] = sizes.get(group, 0) + 1
    return sizes


def _hidden(sizes: dict[str, int]) -> set[str]:
    """Groups under five, and when only one is, the next smallest too (else the total would
    give the hidden one away)."""
    hidden = {g for g, n in sizes.items() if n < SMALLEST_GROUP}
    visible = sorted((n, g) for g, n in sizes.items() if g not in hidden)
    if len(hidden) == 1 and visible:
        hidden.add(visible[0][1])
    return hidden


def _shown(group: str, sizes: dict[str, int]) -> str:
    return "" if group in _hidden(sizes) else group


def _breakdown(done: list[SurveyResponse], name: str, rated: list[SurveyQuestion],
               answers: dict[int, dict[int, SurveyAnswer]]) -> dict[str, GroupResult]:
    sizes = _sizes(done, name)
    hidden = _hidden(sizes)
    out: dict[str, GroupResult] = {}
    for group in sorted(sizes):
        if group in hidden:
            out[group] = GroupResult(completed=None,
                                     averages={q.position: None for q in rated})
            continue
        members = [r for r in done if _group(r, name) == group]
        out[group] = GroupResult(completed=sizes[group], averages={
            q.position: _average(q, [answers[r.id][q.id] for r in members
                                     if r.id in answers and q.id in answers[r.id]])
            for q in rated})
    return out


def _words(question: SurveyQuestion, given: SurveyAnswer, heard: dict[int, Any],
           language: str) -> str:
    if question.kind == QuestionKind.FREE:
        transcript = heard.get(given.attachment_id or 0)
        return given.text or getattr(transcript, "text", "") or (
            "(voice note)" if given.attachment_id else "")
    return _value_label(question, given.value, language)

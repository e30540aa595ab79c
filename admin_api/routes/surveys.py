"""Service-satisfaction surveys: define (a draft may change), launch for a period with an
optional invitation, close early, and read the results (small groups hidden) or export them
as CSV without personal data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlmodel import col, select

from admin_api import schemas
from admin_api.deps import ReaderDep, RowId, StaffDep, UowDep, visible_commune
from admin_api.errors import DocumentedRoute
from core.broadcasts.models import Audience
from core.moderation import service as moderation
from core.moderation.models import Moderator, Role
from core.surveys import results as survey_results
from core.surveys import service as surveys
from core.surveys.models import QuestionKind, Survey
from core.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["surveys"], route_class=DocumentedRoute)


def _public(uow: UnitOfWork, row: Survey) -> schemas.SurveyPublic:
    assert row.id is not None
    asked = [schemas.SurveyQuestionPublic.model_validate(q, from_attributes=True)
             for q in surveys.questions(uow=uow, survey_id=row.id)]
    return schemas.SurveyPublic(**row.model_dump(), questions=asked)


def _visible(uow: UnitOfWork, moderator: Moderator, survey_id: int) -> Survey:
    row = uow.session.get(Survey, survey_id)
    if row is None or not moderation.may_see(moderator, row.commune_id):
        raise HTTPException(404, f"No survey {survey_id}.")
    return row


def _definition(commune_id: str, body: schemas.SurveyIn | schemas.SurveyChange,
                moderator: Moderator) -> surveys.NewSurvey:
    return surveys.NewSurvey(
        commune_id=commune_id, title=body.title, intro=body.intro, service_id=body.service_id,
        created_by=moderator.name,
        questions=[surveys.NewQuestion(kind=QuestionKind(q.kind), text=q.text,
                                       choices=q.choices) for q in body.questions])


def _audit(uow: UnitOfWork, moderator: Moderator, row: Survey, action: str) -> None:
    moderation.record(uow=uow, moderator=moderator, action=action, target_type="survey",
                      target_id=str(row.id), commune_id=row.commune_id,
                      after={"status": row.status, "title": row.title.get("fr", "")})


@router.post("/surveys", response_model=schemas.SurveyPublic, status_code=201)
def define(body: schemas.SurveyIn, uow: UowDep, moderator: StaffDep) -> schemas.SurveyPublic:
    """A draft survey; launch it when its questions are right."""
    commune = visible_commune(uow, moderator, body.commune_id)
    row = surveys.define(uow=uow, new=_definition(commune, body, moderator))
    _audit(uow, moderator, row, "survey_defined")
    uow.commit()
    return _public(uow, row)


@router.get("/surveys", response_model=list[schemas.SurveyPublic])
def list_surveys(uow: UowDep, moderator: ReaderDep,
                 commune: Annotated[str | None, Query(max_length=16)] = None,
                 ) -> list[schemas.SurveyPublic]:
    """Surveys, the newest first."""
    query = select(Survey)
    visible = moderation.communes_visible_to(moderator)
    if visible is not None:
        query = query.where(col(Survey.commune_id).in_(visible))
    if commune:
        query = query.where(Survey.commune_id == commune)
    rows = uow.session.exec(query.order_by(col(Survey.id).desc()).limit(200)).all()
    return [_public(uow, row) for row in rows]


@router.get("/surveys/{survey_id}", response_model=schemas.SurveyPublic)
def get_survey(survey_id: RowId, uow: UowDep, moderator: ReaderDep) -> schemas.SurveyPublic:
    return _public(uow, _visible(uow, moderator, survey_id))


@router.put("/surveys/{survey_id}", response_model=schemas.SurveyPublic)
def redefine(survey_id: RowId, body: schemas.SurveyChange, uow: UowDep,
             moderator: StaffDep) -> schemas.SurveyPublic:
    """Rewrite a draft (409 once it is launched: answers keep their questions)."""
    row = _visible(uow, moderator, survey_id)
    surveys.redefine(uow=uow, survey_id=survey_id,
                     new=_definition(row.commune_id, body, moderator))
    _audit(uow, moderator, row, "survey_changed")
    uow.commit()
    return _public(uow, row)


@router.post("/surveys/{survey_id}/launch", response_model=schemas.SurveyPublic)
def launch(survey_id: RowId, body: schemas.SurveyLaunch, uow: UowDep,
           moderator: StaffDep) -> schemas.SurveyPublic:
    """Open it from `opens_at` (now) to `closes_at`; with `invite`, that audience is told
    when it opens (opt-outs, quiet hours and WhatsApp's templates apply)."""
    row = _visible(uow, moderator, survey_id)
    invite = None if body.invite is None else surveys.Invitation(
        audience=Audience(body.invite.audience), arrondissement_id=body.invite.arrondissement_id,
        topic=body.invite.topic)
    surveys.launch(uow=uow, survey_id=survey_id, closes_at=body.closes_at,
                   opens_at=body.opens_at, invite=invite, actor=moderator.name)
    _audit(uow, moderator, row, "survey_launched")
    uow.commit()
    return _public(uow, row)


@router.post("/surveys/{survey_id}/close", response_model=schemas.SurveyPublic)
def close(survey_id: RowId, uow: UowDep, moderator: StaffDep) -> schemas.SurveyPublic:
    """Close it now; the answers given stay counted."""
    row = _visible(uow, moderator, survey_id)
    surveys.close(uow=uow, survey_id=survey_id)
    _audit(uow, moderator, row, "survey_closed")
    uow.commit()
    return _public(uow, row)


@router.get("/surveys/{survey_id}/results", response_model=schemas.SurveyResultsPublic)
def results(survey_id: RowId, uow: UowDep, moderator: ReaderDep,
            language: Annotated[str, Query(pattern="^[a-z]{2,3}$")] = "fr",
            ) -> schemas.SurveyResultsPublic:
    """Completed answer sets: counts, distributions, averages, the response rate, the same
    per arrondissement, gender and age band (groups under 5 hidden), and free answers with
    the transcripts of spoken ones (their count only, for analysts)."""
    _visible(uow, moderator, survey_id)
    found = survey_results.results(uow=uow, survey_id=survey_id, language=language,
                                   words=moderator.role != Role.ANALYST)
    return schemas.SurveyResultsPublic.model_validate(asdict(found))


@router.get("/surveys/{survey_id}/export.csv", response_class=StreamingResponse)
def export(survey_id: RowId, uow: UowDep, moderator: ReaderDep) -> StreamingResponse:
    """One row per completed answer set and question; a running number instead of the
    citizen, and arrondissement, gender and age band only for groups of five or more."""
    _visible(uow, moderator, survey_id)
    rows = list(survey_results.export_rows(uow=uow, survey_id=survey_id,
                                           words=moderator.role != Role.ANALYST))
    return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="palabre-survey-{survey_id}.csv"'})


def _csv(rows: list[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()

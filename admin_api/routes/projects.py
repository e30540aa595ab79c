"""Investment-plan projects (PAI/PDC): save one, import the plan's CSV, report progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import col, select

from admin_api import schemas
from admin_api.deps import ReaderDep, RowId, StaffDep, UowDep, visible_commune
from admin_api.errors import DocumentedRoute
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.projects import service as projects
from core.projects.models import Project
from core.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["projects"], route_class=DocumentedRoute)
MAX_SHEET_BYTES = 5_000_000


def _public(row: Project) -> schemas.ProjectPublic:
    return schemas.ProjectPublic.model_validate(row, from_attributes=True)



@router.post("/projects", response_model=schemas.ProjectPublic)
def save_project(body: schemas.ProjectIn, uow: UowDep,
                 moderator: StaffDep) -> schemas.ProjectPublic:
    """Create a project, or update the one with this code."""
    commune = visible_commune(uow, moderator, body.commune_id)
    row, created = projects.save(uow=uow, commune_id=commune,
                                 values=body.model_dump(exclude={"commune_id"}))
    moderation.record(uow=uow, moderator=moderator,
                      action="project_created" if created else "project_updated",
                      target_type="project", target_id=str(row.id), commune_id=commune,
                      after={"code": row.code, "progress": row.progress})
    uow.commit()
    return _public(row)


@router.post("/communes/{commune_id}/projects/import", response_model=schemas.ImportReportPublic,
             openapi_extra={"requestBody": {"content": {
                 "text/csv": {"schema": {"type": "string"}},
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                     "schema": {"type": "string", "format": "binary"}},
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "file": {"type": "string", "format": "binary"}}}}}}})
async def import_projects(commune_id: str, request: Request, uow: UowDep,
                          moderator: StaffDep) -> schemas.ImportReportPublic:
    """Import the plan's spreadsheet: an XLSX workbook (its first sheet) or a CSV file (`,` or
    `;`, UTF-8 or Windows-1252), sent as the body or as the `file` field of a form
    (`curl -F file=@pai.xlsx`). Columns: code, title, plan, sector, arrondissement, latitude,
    longitude, budget_fcfa, funding_source, starts_on, ends_on, status, progress, description
    (code, title and sector required; a column left out leaves that value unchanged). Valid
    rows are imported (a known code is updated, its followers told of a new progress or
    status); the others are reported with their line and every reason."""
    data = await _spreadsheet(request)
    # the database work in a worker thread, so that the event loop is never held by it
    return await run_in_threadpool(_import, commune_id, data, uow, moderator)


async def _spreadsheet(request: Request) -> bytes:
    """The file's bytes, from the body or from a form's `file` field."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(400, "Send the spreadsheet as the form's `file` field.")
        data = await upload.read(MAX_SHEET_BYTES + 1)
    else:
        data = await request.body()
    if len(data) > MAX_SHEET_BYTES:
        raise HTTPException(413, f"The file is over {MAX_SHEET_BYTES // 1_000_000} MB.")
    return data


def _import(commune_id: str, data: bytes, uow: UnitOfWork,
            moderator: Moderator) -> schemas.ImportReportPublic:
    commune = visible_commune(uow, moderator, commune_id)
    report = projects.import_sheet(uow=uow, commune_id=commune, data=data, actor=moderator.name)
    moderation.record(uow=uow, moderator=moderator, action="projects_imported",
                      target_type="commune", target_id=commune, commune_id=commune,
                      after={"created": report.created, "updated": report.updated,
                             "unchanged": report.unchanged, "rejected": len(report.rejected)})
    uow.commit()
    return schemas.ImportReportPublic(
        created=report.created, updated=report.updated, unchanged=report.unchanged,
        rejected=[{"line": line, "reason": reason} for line, reason in report.rejected])


@router.get("/projects", response_model=list[schemas.ProjectPublic])
def list_projects(uow: UowDep, moderator: ReaderDep,
                  commune: Annotated[str | None, Query(max_length=16)] = None,
                  sector: Annotated[str | None, Query(max_length=60)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  ) -> list[schemas.ProjectPublic]:
    query = select(Project)
    visible = moderation.communes_visible_to(moderator)
    if visible is not None:
        query = query.where(col(Project.commune_id).in_(visible))
    if commune:
        query = query.where(Project.commune_id == commune)
    if sector:
        query = query.where(Project.sector == sector)
    return [_public(r) for r in uow.session.exec(query.order_by(col(Project.id)).limit(limit))]


@router.post("/projects/{project_id}/progress", response_model=schemas.ProjectPublic)
def report_progress(project_id: RowId, body: schemas.ProgressIn, uow: UowDep,
                    moderator: StaffDep) -> schemas.ProjectPublic:
    """Report progress; the citizens who follow the project are told."""
    row = uow.session.get(Project, project_id)
    if row is None or not moderation.may_see(moderator, row.commune_id):
        raise HTTPException(404, f"No project {project_id}.")
    before = row.progress
    projects.report_progress(uow=uow, project_id=project_id, progress=body.progress,
                             status=body.status, note=body.note, actor=moderator.name)
    moderation.record(uow=uow, moderator=moderator, action="project_progress",
                      target_type="project", target_id=str(project_id),
                      commune_id=row.commune_id, before={"progress": before},
                      after={"progress": row.progress, "status": row.status})
    uow.commit()
    return _public(row)

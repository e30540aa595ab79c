"""The commune's investment plan in the console: its projects as a list and on a map, the
plan's spreadsheet imported through a preview that shows every refused row with its line and
reasons (and what each update changes) before anything is saved, and one project's page with
its followers, its history and a progress update that tells them. Everything through
core.projects, audited as the API's routes are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func
from sqlmodel import col, select

from admin_api.console.auth import SignedInDep
from admin_api.console.communes import chosen_commune, communes_row
from admin_api.console.item import SentDep
from admin_api.console.pages import check_csrf, redirect, render, with_pictures_from
from admin_api.deps import UowDep
from core import errors
from core.broadcasts.models import Subscription
from core.communes.models import Arrondissement
from core.moderation import once
from core.moderation import service as moderation
from core.projects import service as projects
from core.projects.models import Project, ProjectStatus, ProjectUpdate
from core.projects.sheets import MAX_BYTES
from core.uow import UnitOfWork

router = APIRouter(prefix="/console/projects", include_in_schema=False)
UPLOADED = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.bin$")  # a sheet kept between its preview
# and its import, in the media store under its hash
SHEET_TYPE = "application/x-palabre-plan"  # stored as .bin: never served, never a photo


@dataclass(frozen=True)
class Line:
    project: Project
    arrondissement: str
    followers: int


@router.get("", response_class=HTMLResponse)
def listing(request: Request, uow: UowDep, moderator: SignedInDep,
            commune: Annotated[str, Query(max_length=16)] = "",
            status: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    """The plan's projects, by arrondissement, with their progress and followers."""
    chosen, mine = chosen_commune(uow, moderator, commune)
    query = select(Project).where(Project.commune_id == chosen.id)
    if status in set(ProjectStatus):
        query = query.where(Project.status == status)
    rows = list(uow.session.exec(query.order_by(col(Project.code))).all())
    return render(request, "projects.html", moderator=moderator, commune=chosen, communes=mine,
                  lines=_lines(uow, rows), status=status, statuses=list(ProjectStatus),
                  notice=request.query_params.get("done"))


@router.get("/map", response_class=HTMLResponse)
def project_map(request: Request, uow: UowDep, moderator: SignedInDep,
                commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    chosen, _ = chosen_commune(uow, moderator, commune)
    placed = [p for p in uow.session.exec(select(Project).where(
        Project.commune_id == chosen.id).order_by(col(Project.code))).all()
        if p.latitude is not None]
    tiles: str = getattr(request.app.state, "map_tiles", "")
    return with_pictures_from(render(request, "projects_map.html", moderator=moderator,
                                     commune=chosen, placed=placed, tiles=tiles), tiles)


@router.get("/map.json")
def project_points(uow: UowDep, moderator: SignedInDep,
                   commune: Annotated[str, Query(max_length=16)] = "") -> JSONResponse:
    """[id, latitude, longitude, status, title] of the commune's placed projects."""
    chosen, _ = chosen_commune(uow, moderator, commune)
    rows = uow.session.exec(select(Project).where(Project.commune_id == chosen.id,
                                                  col(Project.latitude).is_not(None))).all()
    return JSONResponse({"points": [[p.id, p.latitude, p.longitude, p.status, p.title]
                                    for p in rows]}, headers={"Cache-Control": "no-store"})


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, uow: UowDep, moderator: SignedInDep,
                commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    chosen, _ = chosen_commune(uow, moderator, commune)
    return render(request, "projects_import.html", moderator=moderator, commune=chosen,
                  plan=None, columns=projects.COLUMNS, most_mb=MAX_BYTES // 1_000_000)


@router.post("/import/preview", response_class=HTMLResponse)
async def preview(request: Request, uow: UowDep, moderator: SignedInDep,
                  commune: Annotated[str, Form(max_length=16)],
                  sheet: UploadFile, csrf: Annotated[str | None, Form()] = None
                  ) -> HTMLResponse:
    """What the import would do, row by row; nothing is saved but the file, kept for the
    import that follows."""
    check_csrf(request, csrf)
    chosen, _ = chosen_commune(uow, moderator, commune, strict=True)
    data = await sheet.read(MAX_BYTES + 1)
    try:
        plan = projects.plan_import(uow=uow, commune_id=chosen.id, data=data)
    except errors.Invalid as refused:
        return render(request, "projects_import.html", status_code=422, moderator=moderator,
                      commune=chosen, plan=None, columns=projects.COLUMNS,
                      most_mb=MAX_BYTES // 1_000_000, refused=refused,
                      filename=sheet.filename or "")
    kept = uow.media.put(data, content_type=SHEET_TYPE).path
    return render(request, "projects_import.html", moderator=moderator, commune=chosen,
                  plan=plan, columns=projects.COLUMNS, kept=kept, filename=sheet.filename or "",
                  most_mb=MAX_BYTES // 1_000_000)


@router.post("/import")
def apply(request: Request, uow: UowDep, moderator: SignedInDep, sent: SentDep,
          commune: Annotated[str, Form(max_length=16)],
          kept: Annotated[str, Form(max_length=80)]) -> Response:
    """Import the valid rows of the file previewed (once, however often the form is sent)."""
    chosen, _ = chosen_commune(uow, moderator, commune, strict=True)
    if not UPLOADED.match(kept):
        raise HTTPException(422, "error.invalid")
    path = Path(uow.media.absolute(kept))
    if not once.first_use(uow=uow, moderator=moderator, nonce=sent):
        return redirect(request, f"/console/projects?commune={chosen.id}&done=imported")
    if not path.exists():
        raise HTTPException(404, "projects.sheet_gone")
    plan = projects.plan_import(uow=uow, commune_id=chosen.id, data=path.read_bytes())
    report = projects.apply_import(uow=uow, commune_id=chosen.id, plan=plan,
                                   actor=moderator.name)
    moderation.record(uow=uow, moderator=moderator, action="projects_imported",
                      target_type="commune", target_id=chosen.id, commune_id=chosen.id,
                      after={"created": report.created, "updated": report.updated,
                             "unchanged": report.unchanged, "rejected": len(report.rejected)})
    uow.commit()
    uow.media.delete(kept)
    return redirect(request, f"/console/projects?commune={chosen.id}&done=imported")


@router.get("/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: int, uow: UowDep,
                 moderator: SignedInDep) -> HTMLResponse:
    project = communes_row(uow, moderator, Project, project_id)
    history = uow.session.exec(select(ProjectUpdate).where(
        ProjectUpdate.project_id == project_id).order_by(col(ProjectUpdate.at).desc())
        .limit(30)).all()
    return render(request, "project.html", moderator=moderator, project=project,
                  line=_lines(uow, [project])[0], history=history,
                  statuses=list(ProjectStatus), notice=request.query_params.get("done"))


@router.post("/{project_id}/progress")
def progress(request: Request, project_id: int, uow: UowDep, moderator: SignedInDep,
             sent: SentDep, progress: Annotated[int, Form(ge=0, le=100)],
             status: Annotated[str, Form(max_length=16)] = "",
             note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """A progress update, kept in the project's history and told to its followers."""
    project = communes_row(uow, moderator, Project, project_id)
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        before = {"progress": project.progress, "status": project.status}
        update = projects.report_progress(
            uow=uow, project_id=project_id, progress=progress,
            status=status if status in set(ProjectStatus) else None, note=note,
            actor=moderator.name)
        moderation.record(uow=uow, moderator=moderator, action="project_progress",
                          target_type="project", target_id=str(project_id),
                          commune_id=project.commune_id, before=before,
                          after={"progress": update.progress, "status": update.status})
        uow.commit()
    return redirect(request, f"/console/projects/{project_id}?done=progress")


def _lines(uow: UnitOfWork, rows: list[Project]) -> list[Line]:
    """Each project with its arrondissement's name and its followers, in two queries."""
    topics = {projects.topic(p.id or 0): p.id for p in rows}
    followers = dict(uow.session.exec(select(Subscription.topic, func.count()).where(
        col(Subscription.topic).in_(list(topics))).group_by(col(Subscription.topic))).all()) \
        if topics else {}
    places = {a.id: a.name for a in uow.session.exec(select(Arrondissement).where(
        col(Arrondissement.id).in_({p.arrondissement_id for p in rows
                                    if p.arrondissement_id}))).all()}
    return [Line(p, places.get(p.arrondissement_id or "", ""),
                 int(followers.get(projects.topic(p.id or 0), 0))) for p in rows]

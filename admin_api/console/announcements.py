"""Announcements from the mairie: a composer that says, before anything is sent, how many
citizens will get it, on which channel, how many only through WhatsApp's template, how many
asked for no announcements, and when it will really start (quiet hours); then its progress,
updating by itself, and a cancel button. Everything through core's broadcasts service, as
the API's routes go, and audited the same way."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import col, select

from admin_api.console.auth import SignedInDep
from admin_api.console.communes import chosen_commune, communes_row
from admin_api.console.item import SentDep
from admin_api.console.pages import check_csrf, redirect, render
from admin_api.deps import UowDep
from core import errors
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Audience, Broadcast, BroadcastStatus
from core.communes.models import Arrondissement, Commune
from core.council.service import TOPIC as COUNCIL
from core.moderation import once
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.projects.models import Project
from core.projects.service import topic as project_topic
from core.submissions.service import LOCAL_TZ
from core.uow import UnitOfWork

router = APIRouter(prefix="/console/announcements", include_in_schema=False)
LISTED = 30
AUDIENCES = ("commune", "arrondissement", "council", "project")
Text = Annotated[str, Form(max_length=broadcasts.MAX_TEXT + 100)]
Short = Annotated[str, Form(max_length=40)]


@dataclass(frozen=True)
class Draft:
    """The composer's fields as typed (kept as they are when something is refused)."""

    commune: str = ""
    audience: str = "commune"
    arrondissement: str = ""
    project: str = ""
    text: str = ""
    urgent: bool = False
    when: str = ""  # empty: now; else 2026-03-14T18:00, in Benin's time

    def new(self, moderator: Moderator) -> broadcasts.NewBroadcast:
        """The announcement core is asked for; refused (with the field) when it is not one."""
        audience = {"arrondissement": Audience.ARRONDISSEMENT, "council": Audience.TOPIC,
                    "project": Audience.TOPIC}.get(self.audience, Audience.COMMUNE)
        topic = COUNCIL if self.audience == "council" else \
            project_topic(int(self.project)) if self.audience == "project" and \
            self.project.isdigit() else None
        return broadcasts.NewBroadcast(
            commune_id=self.commune, text=self.text, created_by=moderator.name,
            audience=audience, arrondissement_id=self.arrondissement or None, topic=topic,
            send_at=self._send_at(), urgent=self.urgent)

    def _send_at(self) -> datetime | None:
        if not self.when.strip():
            return None
        try:
            chosen = datetime.fromisoformat(self.when.strip())
        except ValueError:
            raise errors.Invalid("not a time", field="send_at", reason="send_at_format") \
                from None
        return chosen.replace(tzinfo=LOCAL_TZ) if chosen.tzinfo is None else chosen


@dataclass(frozen=True)
class Choices:
    communes: list[Commune]
    arrondissements: list[Arrondissement]
    projects: list[Project]


def draft_form(commune: Short = "", audience: Short = "commune", arrondissement: Short = "",
               project: Short = "", text: Text = "", urgent: Annotated[bool, Form()] = False,
               when: Short = "") -> Draft:
    return Draft(commune, audience if audience in AUDIENCES else "commune", arrondissement,
                 project, text, urgent, when)


DraftDep = Annotated[Draft, Depends(draft_form)]


@router.get("", response_class=HTMLResponse)
def announcements(request: Request, uow: UowDep, moderator: SignedInDep,
                  commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    """The composer, and the announcements already made with their progress."""
    chosen = chosen_commune(uow, moderator, commune)[0]
    return _composer(request, uow, moderator, Draft(commune=chosen.id))


@router.post("/preview", response_class=HTMLResponse)
def preview(request: Request, uow: UowDep, moderator: SignedInDep, draft: DraftDep,
            csrf: Annotated[str | None, Form()] = None) -> HTMLResponse:
    """Who would get it and when, before anything is sent; nothing is kept."""
    check_csrf(request, csrf)
    chosen_commune(uow, moderator, draft.commune, strict=True)[0]
    try:
        reach = broadcasts.reach(uow=uow, new=draft.new(moderator),
                                 free_text=getattr(request.app.state, "free_text", None))
    except errors.Invalid as refused:
        return _composer(request, uow, moderator, draft, refused=refused)
    return _composer(request, uow, moderator, draft, reach=reach)


@router.post("")
def send(request: Request, uow: UowDep, moderator: SignedInDep, sent: SentDep,
         draft: DraftDep) -> Response:
    """Make the announcement (once, however often the form is sent) and show its progress."""
    commune = chosen_commune(uow, moderator, draft.commune, strict=True)[0].id
    if not once.first_use(uow=uow, moderator=moderator, nonce=sent):
        latest = uow.session.exec(select(Broadcast).where(
            Broadcast.created_by == moderator.name).order_by(col(Broadcast.id).desc())).first()
        return redirect(request, f"/console/announcements/{latest.id}" if latest else
                        "/console/announcements")
    try:
        row = broadcasts.create(uow=uow, new=draft.new(moderator))
    except errors.Invalid as refused:
        uow.rollback()
        return _composer(request, uow, moderator, draft, refused=refused, status_code=422)
    moderation.record(uow=uow, moderator=moderator, action="broadcast_created",
                      target_type="broadcast", target_id=str(row.id), commune_id=commune,
                      after={"audience": row.audience, "send_at": row.send_at.isoformat(),
                             "recipients": row.recipients, "urgent": row.urgent})
    uow.commit()
    return redirect(request, f"/console/announcements/{row.id}?done=announced")


@router.get("/{broadcast_id}", response_class=HTMLResponse)
def announcement(request: Request, broadcast_id: int, uow: UowDep,
                 moderator: SignedInDep) -> HTMLResponse:
    row = communes_row(uow, moderator, Broadcast, broadcast_id)
    return render(request, "announcement.html", moderator=moderator, row=row,
                  progress=broadcasts.progress(uow=uow, broadcast_id=broadcast_id),
                  audience=_audience_words(uow, row), finished=_finished(uow, row),
                  notice=request.query_params.get("done"))


@router.get("/{broadcast_id}/progress")
def progress(broadcast_id: int, uow: UowDep, moderator: SignedInDep) -> JSONResponse:
    """Where its messages are (the page's script asks every few seconds until all are)."""
    row = communes_row(uow, moderator, Broadcast, broadcast_id)
    done = broadcasts.progress(uow=uow, broadcast_id=broadcast_id)
    return JSONResponse({**asdict(done), "status": row.status,
                         "finished": _finished(uow, row)},
                        headers={"Cache-Control": "no-store"})


@router.post("/{broadcast_id}/cancel")
def cancel(request: Request, broadcast_id: int, uow: UowDep, moderator: SignedInDep,
           sent: SentDep) -> Response:
    row = communes_row(uow, moderator, Broadcast, broadcast_id)
    if once.first_use(uow=uow, moderator=moderator, nonce=sent) and \
            row.status != BroadcastStatus.CANCELLED:
        before = row.status
        broadcasts.cancel(uow=uow, broadcast_id=broadcast_id)
        moderation.record(uow=uow, moderator=moderator, action="broadcast_cancelled",
                          target_type="broadcast", target_id=str(broadcast_id),
                          commune_id=row.commune_id, before={"status": before},
                          after={"status": row.status})
        uow.commit()
    return redirect(request, f"/console/announcements/{broadcast_id}?done=cancelled")


def _composer(request: Request, uow: UnitOfWork, moderator: Moderator, draft: Draft, *,
              reach: broadcasts.Reach | None = None, refused: errors.Invalid | None = None,
              status_code: int = 200) -> HTMLResponse:
    chosen = chosen_commune(uow, moderator, draft.commune)[0]
    rows = uow.session.exec(select(Broadcast).where(Broadcast.commune_id == chosen.id)
                            .order_by(col(Broadcast.id).desc()).limit(LISTED)).all()
    made = [(row, broadcasts.progress(uow=uow, broadcast_id=row.id or 0)) for row in rows]
    return render(request, "announcements.html", status_code=status_code,
                  moderator=moderator, draft=draft, commune=chosen, reach=reach,
                  choices=_choices(uow, moderator, chosen.id), made=made,
                  refused_field=refused.details.get("field") if refused else None,
                  refused_reason=refused.details.get("reason", "invalid") if refused else None,
                  most=broadcasts.MAX_TEXT)


def _choices(uow: UnitOfWork, moderator: Moderator, commune_id: str) -> Choices:
    return Choices(
        communes=chosen_commune(uow, moderator, commune_id)[1],
        arrondissements=list(uow.session.exec(select(Arrondissement).where(
            Arrondissement.commune_id == commune_id).order_by(col(Arrondissement.name))).all()),
        projects=list(uow.session.exec(select(Project).where(
            Project.commune_id == commune_id).order_by(col(Project.title))).all()))


def _finished(uow: UnitOfWork, row: Broadcast) -> bool:
    """Nothing more will change but delivery reports: cancelled, failed, or all sent."""
    if row.status in (BroadcastStatus.CANCELLED, BroadcastStatus.FAILED):
        return True
    return row.status == BroadcastStatus.QUEUED and \
        broadcasts.progress(uow=uow, broadcast_id=row.id or 0).waiting == 0


def _audience_words(uow: UnitOfWork, row: Broadcast) -> tuple[str, str]:
    """(catalog key, name) of whom it was for."""
    if row.audience == Audience.ARRONDISSEMENT:
        place = uow.session.get(Arrondissement, row.arrondissement_id or "")
        return "announce.to_arrondissement", place.name if place else ""
    if row.topic == COUNCIL:
        return "announce.to_council", ""
    if row.topic and row.topic.startswith("project:") and row.topic[8:].isdigit():
        project = uow.session.get(Project, int(row.topic[8:]))
        return "announce.to_project", project.title if project else row.topic
    if row.audience == Audience.TOPIC:
        return "announce.to_topic", row.topic or ""
    return "announce.to_commune", ""

"""The council's sittings in the console, made for a phone in the council chamber: plan, move
or cancel a sitting; go live; post updates with a photo from the phone's camera (brought
within what WhatsApp takes); the citizens' questions in the order they came, numbered per
sitting as the citizens were told, voice questions playable with their transcript, marked
answered; end with the decisions. Each update shows how far it got to the followers.
Everything through core.council, audited as the API's routes are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from sqlalchemy import func
from sqlmodel import col, select

from admin_api.console.auth import SignedInDep
from admin_api.console.communes import chosen_commune, communes_row
from admin_api.console.item import SentDep
from admin_api.console.pages import redirect, render
from admin_api.console.thumbnails import fitted
from admin_api.deps import UowDep
from core import errors
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Subscription
from core.citizens.models import Citizen
from core.communes.models import Commune
from core.council import service as council
from core.council.models import (
    CouncilQuestion,
    CouncilSession,
    CouncilUpdate,
    SessionKind,
    SessionStatus,
)
from core.messages.models import Attachment
from core.moderation import once
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.submissions.service import LOCAL_TZ
from core.transcripts import service as transcripts
from core.transcripts.models import Transcription
from core.uow import UnitOfWork

router = APIRouter(prefix="/console/council", include_in_schema=False)
Line = Annotated[str, Form(max_length=300)]
Lines = Annotated[str, Form(max_length=15_000)]


@dataclass(frozen=True)
class Planned:
    """A sitting's form as typed, kept when something is refused."""

    kind: str = SessionKind.ORDINARY.value
    title: str = ""
    when: str = ""  # 2026-12-07T09:00, Benin's time
    place: str = ""
    agenda: str = ""  # one item a line
    stream_url: str = ""

    def starts_at(self) -> datetime:
        try:
            chosen = datetime.fromisoformat(self.when.strip())
        except ValueError:
            raise errors.Invalid("not a time", field="starts_at", reason="format") from None
        return chosen.replace(tzinfo=LOCAL_TZ) if chosen.tzinfo is None else chosen

    def items(self) -> list[str]:
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]

    @classmethod
    def of(cls, row: CouncilSession) -> Planned:
        return cls(row.kind, row.title, row.starts_at.astimezone(LOCAL_TZ).strftime(
            "%Y-%m-%dT%H:%M"), row.place, "\n".join(row.agenda), row.stream_url or "")


@dataclass(frozen=True)
class Question:
    number: int  # in its sitting, as the citizen was told
    row: CouncilQuestion
    transcript: str | None


@router.get("", response_class=HTMLResponse)
def sittings(request: Request, uow: UowDep, moderator: SignedInDep,
             commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    chosen, mine = chosen_commune(uow, moderator, commune)
    return _list(request, uow, moderator, chosen, mine, Planned())


@router.post("", response_class=HTMLResponse)
def plan(request: Request, uow: UowDep, moderator: SignedInDep, sent: SentDep,
         commune: Annotated[str, Form(max_length=16)], kind: Annotated[str, Form(max_length=16)],
         title: Line, when: Annotated[str, Form(max_length=20)], place: Line = "",
         agenda: Lines = "", stream_url: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Plan a sitting; its followers get reminders before it."""
    chosen, mine = chosen_commune(uow, moderator, commune, strict=True)
    typed = Planned(kind, title, when, place, agenda, stream_url)
    try:
        if not once.first_use(uow=uow, moderator=moderator, nonce=sent):
            return redirect(request, f"/console/council?commune={chosen.id}")
        row = council.create(uow=uow, new=council.NewSession(
            commune_id=chosen.id, kind=_kind(kind), title=title,
            starts_at=typed.starts_at(), created_by=moderator.name, place=place,
            agenda=typed.items(), stream_url=stream_url.strip() or None))
    except errors.Invalid as refused:
        uow.rollback()
        return _list(request, uow, moderator, chosen, mine, typed, refused=refused)
    _audit(uow, moderator, row, "council_session_created",
           starts_at=row.starts_at.isoformat())
    uow.commit()
    return redirect(request, f"/console/council/{row.id}?done=planned")


@router.get("/{session_id}", response_class=HTMLResponse)
def sitting(request: Request, session_id: int, uow: UowDep,
            moderator: SignedInDep) -> HTMLResponse:
    row = communes_row(uow, moderator, CouncilSession, session_id)
    return _sitting(request, uow, moderator, row)


@router.post("/{session_id}/edit", response_class=HTMLResponse)
def move(request: Request, session_id: int, uow: UowDep, moderator: SignedInDep,
         sent: SentDep, kind: Annotated[str, Form(max_length=16)], title: Line,
         when: Annotated[str, Form(max_length=20)], place: Line = "", agenda: Lines = "",
         stream_url: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Change a planned sitting; a new time moves its reminders and tells its followers."""
    row = communes_row(uow, moderator, CouncilSession, session_id)
    typed = Planned(kind, title, when, place, agenda, stream_url)
    try:
        if once.first_use(uow=uow, moderator=moderator, nonce=sent):
            changes = {"kind": _kind(kind), "title": title, "starts_at": typed.starts_at(),
                       "place": place.strip(), "agenda": typed.items(),
                       "stream_url": stream_url.strip() or None}
            council.edit(uow=uow, session_id=session_id, changes=changes, actor=moderator.name)
            _audit(uow, moderator, row, "council_session_changed",
                   **{k: str(v) for k, v in changes.items()})
            uow.commit()
    except errors.Invalid as refused:
        uow.rollback()
        return _sitting(request, uow, moderator, row, typed=typed, refused=refused)
    return redirect(request, f"/console/council/{session_id}?done=changed")


@router.post("/{session_id}/cancel")
def cancel(request: Request, session_id: int, uow: UowDep, moderator: SignedInDep,
           sent: SentDep) -> Response:
    """Call a planned sitting off: no reminders; its followers are told."""
    return _act(request, uow, moderator, session_id, sent, "cancel")


@router.post("/{session_id}/live")
def go_live(request: Request, session_id: int, uow: UowDep, moderator: SignedInDep,
            sent: SentDep) -> Response:
    """The sitting starts: its followers and the commune's chats are told, with the link."""
    return _act(request, uow, moderator, session_id, sent, "go_live")


def _act(request: Request, uow: UnitOfWork, moderator: Moderator, session_id: int,
         nonce: str, action: str) -> Response:
    row = communes_row(uow, moderator, CouncilSession, session_id)
    if once.first_use(uow=uow, moderator=moderator, nonce=nonce):
        getattr(council, action)(uow=uow, session_id=session_id, actor=moderator.name)
        _audit(uow, moderator, row, f"council_session_{action}")
        uow.commit()
    return redirect(request, f"/console/council/{session_id}?done={action}")


@router.post("/{session_id}/updates", response_class=HTMLResponse)
async def post_update(request: Request, session_id: int, uow: UowDep, moderator: SignedInDep,
                      sent: SentDep, text: Annotated[str, Form(max_length=2100)],
                      photo: UploadFile | None = None) -> Response:
    """A live update, with the photo just taken when there is one."""
    row = communes_row(uow, moderator, CouncilSession, session_id)
    data = await photo.read(20_000_000) if photo is not None and photo.filename else None
    try:
        picture = fitted(data) if data else None
    except ValueError:
        return _sitting(request, uow, moderator, row, draft=text, refused=errors.Invalid(
            "not a picture", field="photo", reason="photo_type"))
    try:
        if once.first_use(uow=uow, moderator=moderator, nonce=sent):
            update = council.post_update(uow=uow, session_id=session_id, text=text,
                                         actor=moderator.name, photo=picture)
            _audit(uow, moderator, row, "council_update_posted", update=update.id)
            uow.commit()
    except errors.Invalid as refused:
        uow.rollback()
        return _sitting(request, uow, moderator, row, draft=text, refused=refused)
    return redirect(request, f"/console/council/{session_id}?done=posted#updates")


@router.post("/{session_id}/questions/{question_id}/answered")
def answered(request: Request, session_id: int, question_id: int, uow: UowDep,
             moderator: SignedInDep, sent: SentDep) -> Response:
    communes_row(uow, moderator, CouncilSession, session_id)
    question = uow.session.get(CouncilQuestion, question_id) if question_id < 2**31 else None
    if question is None or question.session_id != session_id:
        raise HTTPException(404, "error.not_found")
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        council.answer(uow=uow, question_id=question_id, actor=moderator.name)
        uow.commit()
    return redirect(request, f"/console/council/{session_id}#questions")


@router.post("/{session_id}/end")
def end(request: Request, session_id: int, uow: UowDep, moderator: SignedInDep,
        sent: SentDep, decisions: Lines = "") -> Response:
    """The sitting is over: its decisions are announced and stay in the bot."""
    row = communes_row(uow, moderator, CouncilSession, session_id)
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        council.end(uow=uow, session_id=session_id, actor=moderator.name,
                    decisions=[d.strip() for d in decisions.splitlines() if d.strip()])
        _audit(uow, moderator, row, "council_session_end")
        uow.commit()
    return redirect(request, f"/console/council/{session_id}?done=ended")


@router.get("/{session_id}/poll")
def poll(request: Request, session_id: int, uow: UowDep, moderator: SignedInDep,
         after: Annotated[int, Query(ge=0, le=2_147_483_647)]) -> Response:
    """How many questions came after the newest shown (the page asks every half minute)."""
    communes_row(uow, moderator, CouncilSession, session_id)
    arrived = int(uow.session.exec(select(func.count()).select_from(CouncilQuestion).where(
        CouncilQuestion.session_id == session_id, col(CouncilQuestion.id) > after)).one())
    tag = f'"{arrived}"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": "no-cache"})
    return JSONResponse({"new": arrived}, headers={"ETag": tag, "Cache-Control": "no-cache"})


@router.get("/{session_id}/questions/{question_id}/voice")
def voice(session_id: int, question_id: int, uow: UowDep,
          moderator: SignedInDep) -> Response:
    """A voice question's recording (the player loads it only when pressed)."""
    communes_row(uow, moderator, CouncilSession, session_id)
    question = uow.session.get(CouncilQuestion, question_id) if question_id < 2**31 else None
    attachment = uow.session.get(Attachment, question.attachment_id) \
        if question is not None and question.session_id == session_id and \
        question.attachment_id else None
    if attachment is None or attachment.erased_at is not None:
        raise HTTPException(404, "file.missing")
    path = uow.media.absolute(attachment.path)
    if not path.exists():
        raise HTTPException(404, "file.missing")
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


def _list(request: Request, uow: UnitOfWork, moderator: Moderator, chosen: Commune,
          mine: list[Commune], typed: Planned, *,
          refused: errors.Invalid | None = None) -> HTMLResponse:
    rows = uow.session.exec(select(CouncilSession).where(
        CouncilSession.commune_id == chosen.id).order_by(
        col(CouncilSession.starts_at).desc()).limit(50)).all()
    return render(request, "council.html", status_code=422 if refused else 200,
                  moderator=moderator, commune=chosen, communes=mine, rows=rows, typed=typed,
                  kinds=list(SessionKind), followers=_followers(uow, chosen.id),
                  **_refusal(refused), notice=request.query_params.get("done"))


def _sitting(request: Request, uow: UnitOfWork, moderator: Moderator, row: CouncilSession, *,
             typed: Planned | None = None, draft: str = "",
             refused: errors.Invalid | None = None) -> HTMLResponse:
    assert row.id is not None
    asked = council.questions(uow=uow, session_id=row.id)
    heard = transcripts.of_attachments(uow=uow, attachment_ids=[
        q.attachment_id for q in asked if q.attachment_id])
    posted = council.updates(uow=uow, session_id=row.id)
    return render(
        request, "sitting.html", status_code=422 if refused else 200, moderator=moderator,
        row=row, typed=typed or Planned.of(row), kinds=list(SessionKind), draft=draft,
        followers=_followers(uow, row.commune_id),
        questions=[Question(n, q, _heard(heard.get(q.attachment_id or 0)))
                   for n, q in enumerate(asked, start=1)],
        newest=max((q.id or 0 for q in asked), default=0),
        updates=[(u, _progress(uow, u)) for u in reversed(posted)],
        live=row.status == SessionStatus.LIVE, planned=row.status == SessionStatus.SCHEDULED,
        **_refusal(refused), notice=request.query_params.get("done"))


def _heard(transcription: Transcription | None) -> str | None:
    """A voice question's words: a moderator's transcript, else the machine's once heard and
    not doubted (a doubtful one is left to the audio)."""
    return transcripts.believed(transcription)


def _refusal(refused: errors.Invalid | None) -> dict[str, str | None]:
    return {"refused_field": refused.details.get("field") if refused else None,
            "refused_reason": str(refused.details.get("reason", "invalid")) if refused
            else None}


def _progress(uow: UnitOfWork, update: CouncilUpdate) -> broadcasts.Progress | None:
    return broadcasts.progress(uow=uow, broadcast_id=update.broadcast_id) \
        if update.broadcast_id else None


def _followers(uow: UnitOfWork, commune_id: str) -> int:
    """The commune's citizens following its council."""
    return int(uow.session.exec(select(func.count()).select_from(Subscription).join(
        Citizen, col(Citizen.id) == col(Subscription.citizen_id)).where(
        Subscription.topic == council.TOPIC, Citizen.commune_id == commune_id)).one())


def _kind(text: str) -> SessionKind:
    if text not in set(SessionKind):
        raise errors.Invalid("unknown kind", field="kind", reason="kind")
    return SessionKind(text)


def _audit(uow: UnitOfWork, moderator: Moderator, row: CouncilSession, action: str,
           **after: object) -> None:
    moderation.record(uow=uow, moderator=moderator, action=action,
                      target_type="council_session", target_id=str(row.id),
                      commune_id=row.commune_id, after={"status": row.status, **after})

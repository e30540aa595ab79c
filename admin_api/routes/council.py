"""Council sessions: plan, move, cancel, go live, post updates, read citizens' questions, end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse
from sqlmodel import col, select

from admin_api import schemas
from admin_api.deps import ReaderDep, RowId, StaffDep, UowDep, visible_commune
from admin_api.errors import DocumentedRoute
from core.council import service as council
from core.council.models import CouncilQuestion, CouncilSession, CouncilUpdate, SessionKind
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.transcripts import service as transcripts
from core.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["council"], route_class=DocumentedRoute)
public = APIRouter(tags=["council"])  # what citizens were sent, served without login


def _public(row: CouncilSession) -> schemas.CouncilSessionPublic:
    return schemas.CouncilSessionPublic.model_validate(row, from_attributes=True)


def _visible(uow: UnitOfWork, moderator: Moderator, session_id: int) -> CouncilSession:
    row = uow.session.get(CouncilSession, session_id)
    if row is None or not moderation.may_see(moderator, row.commune_id):
        raise HTTPException(404, f"No council session {session_id}.")
    return row


def _audit(uow: UnitOfWork, moderator: Moderator, row: CouncilSession, action: str,
           **after: object) -> None:
    moderation.record(uow=uow, moderator=moderator, action=action,
                      target_type="council_session", target_id=str(row.id),
                      commune_id=row.commune_id, after={"status": row.status, **after})


@router.post("/council-sessions", response_model=schemas.CouncilSessionPublic,
             status_code=201)
def create_session(body: schemas.CouncilSessionIn, uow: UowDep,
                   moderator: StaffDep) -> schemas.CouncilSessionPublic:
    """Plan a sitting; its followers get reminders the day before and an hour before."""
    commune = visible_commune(uow, moderator, body.commune_id)
    row = council.create(uow=uow, new=council.NewSession(
        commune_id=commune, kind=SessionKind(body.kind), title=body.title,
        starts_at=body.starts_at, created_by=moderator.name, place=body.place,
        agenda=body.agenda, stream_url=body.stream_url))
    _audit(uow, moderator, row, "council_session_created", starts_at=row.starts_at.isoformat())
    uow.commit()
    return _public(row)


@router.get("/council-sessions", response_model=list[schemas.CouncilSessionPublic])
def list_sessions(uow: UowDep, moderator: ReaderDep,
                  commune: Annotated[str | None, Query(max_length=16)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  ) -> list[schemas.CouncilSessionPublic]:
    """Sittings, the latest start first."""
    query = select(CouncilSession)
    visible = moderation.communes_visible_to(moderator)
    if visible is not None:
        query = query.where(col(CouncilSession.commune_id).in_(visible))
    if commune:
        query = query.where(CouncilSession.commune_id == commune)
    rows = uow.session.exec(query.order_by(col(CouncilSession.starts_at).desc())
                            .limit(limit)).all()
    return [_public(row) for row in rows]


@router.get("/council-sessions/{session_id}", response_model=schemas.CouncilSessionPublic)
def get_session(session_id: RowId, uow: UowDep,
                moderator: ReaderDep) -> schemas.CouncilSessionPublic:
    return _public(_visible(uow, moderator, session_id))


@router.patch("/council-sessions/{session_id}", response_model=schemas.CouncilSessionPublic)
def change_session(session_id: RowId, body: schemas.CouncilSessionChange, uow: UowDep,
                   moderator: StaffDep) -> schemas.CouncilSessionPublic:
    """Change a planned sitting; a new time moves its reminders and tells its followers."""
    row = _visible(uow, moderator, session_id)
    changes = body.model_dump(exclude_unset=True)
    council.edit(uow=uow, session_id=session_id, changes=changes, actor=moderator.name)
    _audit(uow, moderator, row, "council_session_changed",
           **{k: str(v) for k, v in changes.items()})
    uow.commit()
    return _public(row)


def _act(session_id: int, uow: UnitOfWork, moderator: Moderator, action: str,
         **more: object) -> schemas.CouncilSessionPublic:
    row = _visible(uow, moderator, session_id)
    getattr(council, action)(uow=uow, session_id=session_id, actor=moderator.name, **more)
    _audit(uow, moderator, row, f"council_session_{action}")
    uow.commit()
    return _public(row)


@router.post("/council-sessions/{session_id}/cancel",
             response_model=schemas.CouncilSessionPublic)
def cancel_session(session_id: RowId, uow: UowDep,
                   moderator: StaffDep) -> schemas.CouncilSessionPublic:
    """Call a planned sitting off: no reminders; followers are told."""
    return _act(session_id, uow, moderator, "cancel")


@router.post("/council-sessions/{session_id}/live",
             response_model=schemas.CouncilSessionPublic)
def go_live(session_id: RowId, uow: UowDep,
            moderator: StaffDep) -> schemas.CouncilSessionPublic:
    """The sitting starts: followers and the commune's Telegram chats are told, with the link;
    citizens may now send it questions."""
    return _act(session_id, uow, moderator, "go_live")


def _update(row: CouncilUpdate) -> schemas.CouncilUpdatePublic:
    assert row.id is not None
    return schemas.CouncilUpdatePublic(
        id=row.id, text=row.text, posted_by=row.posted_by, posted_at=row.posted_at,
        photo_url=council.PHOTO_PATH.format(id=row.id) if row.photo_path else None)


@router.post("/council-sessions/{session_id}/updates",
             response_model=schemas.CouncilUpdatePublic, status_code=201)
def post_update(session_id: RowId, body: schemas.CouncilUpdateIn, uow: UowDep,
                moderator: StaffDep) -> schemas.CouncilUpdatePublic:
    """A live update, to every follower (Telegram and WhatsApp) and the commune's chats."""
    _visible(uow, moderator, session_id)
    update = council.post_update(uow=uow, session_id=session_id, text=body.text,
                                 actor=moderator.name)
    uow.commit()
    return _update(update)


@router.post("/council-sessions/{session_id}/updates/upload",
             response_model=schemas.CouncilUpdatePublic, status_code=201)
def post_update_with_photo(session_id: RowId, uow: UowDep, moderator: StaffDep,
                           text: Annotated[str, Form(min_length=1, max_length=2000)],
                           photo: Annotated[UploadFile, File()],
                           ) -> schemas.CouncilUpdatePublic:
    """A live update with a photo (multipart: `text`, `photo` as JPEG or PNG up to 5 MB):
    Telegram followers and chats get the photo captioned, WhatsApp followers get it as media
    within their 24-hour window (the template, text only, outside it)."""
    _visible(uow, moderator, session_id)
    data = photo.file.read(council.PHOTO_MAX_BYTES + 1)  # a worker thread: the loop runs on
    update = council.post_update(uow=uow, session_id=session_id, text=text,
                                 actor=moderator.name, photo=data)
    uow.commit()
    return _update(update)


@router.get("/council-sessions/{session_id}/updates",
            response_model=list[schemas.CouncilUpdatePublic])
def list_updates(session_id: RowId, uow: UowDep,
                 moderator: ReaderDep) -> list[schemas.CouncilUpdatePublic]:
    """What was posted while the sitting was live, in order."""
    _visible(uow, moderator, session_id)
    return [_update(row) for row in council.updates(uow=uow, session_id=session_id)]


@public.get("/council-updates/{update_id}/photo", include_in_schema=False)
def public_photo(update_id: RowId, uow: UowDep) -> FileResponse:
    """A live update's photo, for anyone (it was sent to the citizens; Twilio fetches
    WhatsApp media from here)."""
    row = uow.session.get(CouncilUpdate, update_id)
    if row is None or row.photo_path is None:
        raise HTTPException(404, "No such photo.")
    return FileResponse(uow.media.absolute(row.photo_path), media_type=row.photo_type)


@router.post("/council-sessions/{session_id}/end", response_model=schemas.CouncilSessionPublic)
def end_session(session_id: RowId, body: schemas.CouncilEndIn, uow: UowDep,
                moderator: StaffDep) -> schemas.CouncilSessionPublic:
    """The sitting is over; its decisions are announced and stay browsable in the bot."""
    return _act(session_id, uow, moderator, "end", decisions=body.decisions)


@router.get("/council-sessions/{session_id}/questions",
            response_model=list[schemas.CouncilQuestionPublic])
def list_questions(session_id: RowId, uow: UowDep,
                   moderator: StaffDep) -> list[schemas.CouncilQuestionPublic]:
    """Citizens' questions in the order they came; a voice question with its transcript."""
    _visible(uow, moderator, session_id)
    rows = council.questions(uow=uow, session_id=session_id)
    heard = transcripts.of_attachments(uow=uow, attachment_ids=[
        r.attachment_id for r in rows if r.attachment_id])
    return [_question(row, number, heard) for number, row in enumerate(rows, start=1)]


def _question(row: CouncilQuestion, number: int,
              heard: Mapping[int, object]) -> schemas.CouncilQuestionPublic:
    assert row.id is not None
    transcript = heard.get(row.attachment_id or 0)
    return schemas.CouncilQuestionPublic(
        id=row.id, number=number, text=row.text,
        voice_url=f"/api/v1/attachments/{row.attachment_id}" if row.attachment_id else None,
        transcript=getattr(transcript, "text", None), asked_at=row.asked_at,
        answered_at=row.answered_at, answered_by=row.answered_by)


@router.post("/council-sessions/{session_id}/questions/{question_id}/answered",
             response_model=schemas.CouncilQuestionPublic)
def mark_answered(session_id: RowId, question_id: RowId, uow: UowDep,
                  moderator: StaffDep) -> schemas.CouncilQuestionPublic:
    """Mark a question answered (by whom and when)."""
    _visible(uow, moderator, session_id)
    rows = council.questions(uow=uow, session_id=session_id)
    number = next((n for n, r in enumerate(rows, start=1) if r.id == question_id), None)
    if number is None:
        raise HTTPException(404, f"No question {question_id} in this session.")
    row = council.answer(uow=uow, question_id=question_id, actor=moderator.name)
    uow.commit()
    return _question(row, number, {})

"""Council sessions: planned, moved or cancelled by moderators, reminded the day before and an
hour before, followed live (updates fan out to the council's followers and the commune's
Telegram chats), questioned by citizens while live, ended with decisions kept for the bot.

Followers are the citizens subscribed to the topic "council" of their commune (core/broadcasts);
every message to them is an announcement, so opt-outs, channels' limits, WhatsApp's templates
(`council_reminder`) and the outbox's retries apply. Live updates are urgent (a sitting may run
late); reminders and notices respect quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import col, select

from core import errors
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Audience, Broadcast
from core.council.models import (
    CouncilQuestion,
    CouncilSession,
    CouncilUpdate,
    SessionKind,
    SessionStatus,
)
from core.submissions.service import LOCAL_TZ
from core.uow import UnitOfWork

TOPIC = "council"
PHOTO_MAX_BYTES = 5_000_000  # WhatsApp's limit for an image (Telegram takes 10 MB)
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
PHOTO_PATH = "/council-updates/{id}/photo"  # served without login (admin_api), for Twilio
DAY_BEFORE, HOUR_BEFORE = timedelta(hours=24), timedelta(hours=1)
EDITABLE = ("kind", "title", "starts_at", "place", "agenda", "stream_url")


@dataclass(frozen=True)
class NewSession:
    commune_id: str
    kind: SessionKind
    title: str
    starts_at: datetime
    created_by: str
    place: str = ""
    agenda: list[str] = field(default_factory=list)
    stream_url: str | None = None


def create(*, uow: UnitOfWork, new: NewSession) -> CouncilSession:
    """Plan a session; refused in the past or without a title."""
    now = uow.clock.now()
    _check_time(new.starts_at, now)
    _check_title(new.title)
    session = CouncilSession(commune_id=new.commune_id, kind=new.kind, title=new.title.strip(),
                             starts_at=new.starts_at, place=new.place.strip(),
                             agenda=_agenda(new.agenda), stream_url=new.stream_url,
                             created_by=new.created_by[:80], created_at=now, updated_at=now)
    uow.session.add(session)
    uow.session.flush()
    return session


def get(*, uow: UnitOfWork, session_id: int) -> CouncilSession:
    found = uow.session.get(CouncilSession, session_id)
    if found is None:
        raise errors.NotFound(f"No council session {session_id}.")
    return found


def edit(*, uow: UnitOfWork, session_id: int, changes: dict[str, Any],
         actor: str) -> CouncilSession:
    """Change a planned session; moving it moves its reminders and tells the followers."""
    session = _in(uow, session_id, SessionStatus.SCHEDULED)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise errors.Invalid(f"Cannot change {', '.join(sorted(unknown))}.")
    moved = "starts_at" in changes and changes["starts_at"] != session.starts_at
    if moved:
        _check_time(changes["starts_at"], uow.clock.now())
    if "title" in changes:
        _check_title(changes["title"])
    for name, value in changes.items():
        setattr(session, name, _agenda(value) if name == "agenda" else value)
    session.updated_at = uow.clock.now()
    if moved:
        session.day_reminder_at = session.hour_reminder_at = None
        _tell(uow, session, "council.moved", actor)
    uow.session.add(session)
    return session


def cancel(*, uow: UnitOfWork, session_id: int, actor: str) -> CouncilSession:
    """Call a planned session off; no reminder goes out and the followers are told."""
    session = _in(uow, session_id, SessionStatus.SCHEDULED)
    session.status, session.updated_at = SessionStatus.CANCELLED, uow.clock.now()
    uow.session.add(session)
    _tell(uow, session, "council.cancelled", actor)
    return session


def go_live(*, uow: UnitOfWork, session_id: int, actor: str) -> CouncilSession:
    """The sitting starts: followers and the commune's Telegram chats hear it, with the link."""
    session = _in(uow, session_id, SessionStatus.SCHEDULED)
    now = uow.clock.now()
    session.status, session.live_at, session.updated_at = SessionStatus.LIVE, now, now
    uow.session.add(session)
    key = "council.live_stream" if session.stream_url else "council.live"
    _tell(uow, session, key, actor, urgent=True, chats=True)
    return session


def post_update(*, uow: UnitOfWork, session_id: int, text: str, actor: str,
                photo: bytes | None = None) -> CouncilUpdate:
    """A live update, optionally with a photo (JPEG or PNG, up to 5 MB), to every follower on
    their channel and to the commune's chats. Telegram gets the photo with the text as its
    caption; WhatsApp fetches it from its public address (a template outside 24 hours is
    text only)."""
    session = _in(uow, session_id, SessionStatus.LIVE)
    words = text.strip()
    if not words or len(words) > 2000:
        raise errors.Invalid("An update has 1 to 2000 characters.", field="text",
                             reason="update_length")
    update = CouncilUpdate(session_id=session_id, text=words, posted_by=actor[:80],
                           posted_at=uow.clock.now())
    if photo is not None:
        update.photo_type = _photo_type(photo)
        update.photo_path = uow.media.put(photo, content_type=update.photo_type).path
    uow.session.add(update)
    uow.session.flush()
    told = _tell(uow, session, "council.update", actor, urgent=True, chats=True, text=words,
                 photo=(update.photo_path, PHOTO_PATH.format(id=update.id)) if photo else None)
    update.broadcast_id = told.id if told is not None else None
    uow.session.add(update)
    return update


def _photo_type(data: bytes) -> str:
    if not data:
        raise errors.Invalid("The photo is empty.", field="photo", reason="photo_empty")
    if len(data) > PHOTO_MAX_BYTES:
        raise errors.Invalid(f"The photo is over {PHOTO_MAX_BYTES // 1_000_000} MB.",
                             field="photo", reason="photo_too_big")
    kind = next((kind for magic, kind in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise errors.Invalid("The photo must be a JPEG or PNG image.", field="photo",
                             reason="photo_type")
    return kind


def end(*, uow: UnitOfWork, session_id: int, decisions: list[str],
        actor: str) -> CouncilSession:
    """The sitting is over; its decisions stay browsable in the bot and are announced."""
    session = _in(uow, session_id, SessionStatus.LIVE)
    now = uow.clock.now()
    session.status, session.ended_at, session.updated_at = SessionStatus.ENDED, now, now
    session.decisions = _agenda(decisions)
    uow.session.add(session)
    _tell(uow, session, "council.ended", actor, urgent=True, chats=True,
          decisions="\n".join(f"• {d}" for d in session.decisions))
    return session


def ask(*, uow: UnitOfWork, session_id: int, citizen_id: int, text: str = "",
        attachment_id: int | None = None) -> CouncilQuestion:
    """A citizen's question (typed, or a voice note) to a live sitting."""
    _in(uow, session_id, SessionStatus.LIVE)
    if not text.strip() and attachment_id is None:
        raise errors.Invalid("A question needs words or a voice note.")
    question = CouncilQuestion(session_id=session_id, citizen_id=citizen_id,
                               text=text.strip()[:2000], attachment_id=attachment_id,
                               asked_at=uow.clock.now())
    uow.session.add(question)
    uow.session.flush()
    return question


def answer(*, uow: UnitOfWork, question_id: int, actor: str) -> CouncilQuestion:
    question = uow.session.get(CouncilQuestion, question_id)
    if question is None:
        raise errors.NotFound(f"No question {question_id}.")
    if question.answered_at is None:
        question.answered_at, question.answered_by = uow.clock.now(), actor[:80]
        uow.session.add(question)
    return question


def questions(*, uow: UnitOfWork, session_id: int) -> list[CouncilQuestion]:
    """The questions in the order they came."""
    return list(uow.session.exec(select(CouncilQuestion).where(
        CouncilQuestion.session_id == session_id).order_by(col(CouncilQuestion.id))).all())


def updates(*, uow: UnitOfWork, session_id: int) -> list[CouncilUpdate]:
    """What was posted while it was live, in order."""
    return list(uow.session.exec(select(CouncilUpdate).where(
        CouncilUpdate.session_id == session_id).order_by(col(CouncilUpdate.id))).all())


def upcoming(*, uow: UnitOfWork, commune_id: str, limit: int = 3) -> list[CouncilSession]:
    """The live sitting, if any, then the next planned ones."""
    rows = uow.session.exec(select(CouncilSession).where(
        CouncilSession.commune_id == commune_id,
        col(CouncilSession.status).in_((SessionStatus.LIVE, SessionStatus.SCHEDULED)),
        col(CouncilSession.starts_at) >= uow.clock.now() - timedelta(hours=12))
        .order_by(col(CouncilSession.starts_at)).limit(limit)).all()
    return sorted(rows, key=lambda s: s.status != SessionStatus.LIVE)


def live(*, uow: UnitOfWork, commune_id: str) -> CouncilSession | None:
    return uow.session.exec(select(CouncilSession).where(
        CouncilSession.commune_id == commune_id,
        CouncilSession.status == SessionStatus.LIVE)).first()


def last_ended(*, uow: UnitOfWork, commune_id: str) -> CouncilSession | None:
    return uow.session.exec(select(CouncilSession).where(
        CouncilSession.commune_id == commune_id, CouncilSession.status == SessionStatus.ENDED)
        .order_by(col(CouncilSession.ended_at).desc())).first()


def send_reminders(*, uow: UnitOfWork) -> int:
    """The day-before and hour-before reminders now due (each once per start time); how many
    went out. A session planned less than an hour ahead gets none; one planned less than a
    day ahead gets only the hour's."""
    now = uow.clock.now()
    due = uow.session.exec(select(CouncilSession).where(  # claimed: once, run twice at once
        CouncilSession.status == SessionStatus.SCHEDULED,
        col(CouncilSession.starts_at) > now,
        col(CouncilSession.starts_at) <= now + DAY_BEFORE).with_for_update(skip_locked=True)).all()
    sent = 0
    for session in due:  # one that fails is logged and tried again next minute
        sent += uow.attempt(partial(_remind, uow, session, now),
                            f"reminder of council session {session.id}", failed=0)
    return sent


def _remind(uow: UnitOfWork, session: CouncilSession, now: datetime) -> int:
    """The reminder this session is due now, if any (and not sent yet for this start): the
    early one says "today" or "tomorrow" as the calendar in Benin has it, and is left out
    for a sitting less than two hours ahead (the hour's reminder follows too soon)."""
    left = session.starts_at - now
    if left <= HOUR_BEFORE:
        if session.hour_reminder_at is not None:
            return 0
        session.hour_reminder_at = session.day_reminder_at = now
        key = "council.reminder_hour"
    elif session.day_reminder_at is None and left > 2 * HOUR_BEFORE:
        session.day_reminder_at = now
        same_day = session.starts_at.astimezone(LOCAL_TZ).date() == \
            now.astimezone(LOCAL_TZ).date()
        key = "council.reminder_today" if same_day else "council.reminder_day"
    else:
        return 0
    uow.session.add(session)
    _tell(uow, session, key, "palabre")
    return 1


def _tell(uow: UnitOfWork, session: CouncilSession, key: str, actor: str, *,
          urgent: bool = False, chats: bool = False,
          photo: tuple[str | None, str] | None = None, **more: str) -> Broadcast | None:
    """An announcement to the council's followers (and the commune's chats when asked), with
    a photo when given (its stored path and public address); None when nobody is there."""
    params = {"title": session.title, "starts_at": session.starts_at.isoformat(),
              "place": session.place, "link": session.stream_url or "", **more}
    try:
        return broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
            commune_id=session.commune_id, text=f"{session.title}: {key}", created_by=actor,
            audience=Audience.TOPIC, topic=TOPIC, urgent=urgent, key=key, params=params,
            commune_chats=chats, purpose="council_reminder",
            media_path=photo[0] if photo else None, media_url=photo[1] if photo else None))
    except errors.Invalid:  # nobody follows the council yet, and no chat to post to
        return None


def _in(uow: UnitOfWork, session_id: int, status: SessionStatus) -> CouncilSession:
    session = get(uow=uow, session_id=session_id)
    if session.status != status:
        raise errors.Conflict(f"This session is {session.status}, not {status}.")
    return session


def _check_time(starts_at: datetime, now: datetime) -> None:
    if starts_at.tzinfo is None:
        raise errors.Invalid("starts_at needs a time zone, e.g. 2026-12-07T09:00:00+01:00.",
                             field="starts_at", reason="time_zone")
    if starts_at <= now:
        raise errors.Invalid("starts_at is in the past.", field="starts_at", reason="past")


def _check_title(title: str) -> None:
    if not title.strip() or len(title.strip()) > 200:
        raise errors.Invalid("The title has 1 to 200 characters.", field="title",
                             reason="title")


def _agenda(items: list[str]) -> list[str]:
    kept = [" ".join(str(item).split()) for item in items]
    return [item[:300] for item in kept if item][:50]

"""Voice notes moderators send in their commune's staff chat to record a message of the bot:
stored when the update is read, then fetched from the provider and kept outside any
transaction (a slow download holds no lock), and answered in the chat. A failure to fetch is
tried again, three times at most; a note that is no recording is refused at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from core.moderation.models import AuditEntry
from core.prompts import service as prompts
from core.prompts.models import PromptUpload
from core.uow import UnitOfWork

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class NewUpload:
    """What the channel read from the staff chat's message."""

    channel: str
    account: str
    chat: str
    external_id: str
    remote: str
    commune_id: str
    language: str
    key: str
    sent_by: str


def queue(*, uow: UnitOfWork, new: NewUpload) -> bool:
    """Keep the upload to do; False when the provider sent this message before."""
    try:
        with uow.session.begin_nested():
            uow.session.add(PromptUpload(**new.__dict__, created_at=uow.clock.now()))
        return True
    except IntegrityError:
        return False


def waiting(*, uow: UnitOfWork, channel: str, limit: int = 10) -> list[PromptUpload]:
    """The uploads still to do on a channel, oldest first."""
    return list(uow.session.exec(select(PromptUpload).where(
        PromptUpload.channel == channel, PromptUpload.status == "pending")
        .order_by(col(PromptUpload.id)).limit(limit)).all())


def finish(*, uow: UnitOfWork, upload_id: int, error: str | None = None,
           retry: bool = False) -> PromptUpload:
    """Done (no error), failed for good, or counted and left for another try (`retry`, until
    MAX_ATTEMPTS)."""
    row = uow.session.get_one(PromptUpload, upload_id)
    row.attempts += 1
    row.error = error[:300] if error else None
    if error is None:
        row.status = "done"
    elif not retry or row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
    uow.session.add(row)
    return row


def keep(*, uow: UnitOfWork, upload: PromptUpload, voice: bytes, seconds: float) -> None:
    """The upload's recording kept (in place of any before it) and audited under the name of
    whoever sent it in the staff chat; the upload done."""
    assert upload.id is not None
    actor = f"{upload.sent_by} ({upload.channel})"[:80]
    recording = prompts.record(uow=uow, commune_id=upload.commune_id, language=upload.language,
                               key=upload.key, voice=voice, seconds=seconds, by=actor)
    uow.session.add(AuditEntry(moderator_id=None, actor=actor, action="prompt_recorded",
                               target_type="prompt", target_id=str(recording.id),
                               commune_id=upload.commune_id, before={},
                               after={"language": upload.language, "key": upload.key,
                                      "seconds": round(seconds, 1)}, at=uow.clock.now()))
    finish(uow=uow, upload_id=upload.id)

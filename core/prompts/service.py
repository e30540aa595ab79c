"""Recording the bot's messages in a language, and finding the recordings a reply carries.

A recording replaces the one before it for the same commune, language and message; the
file is erased once the change is committed, when no other recording uses it (the media store
names files by content) and no voice message waiting to go carries it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlmodel import col, select

from core import languages
from core.errors import Invalid
from core.messages.models import OutboundStatus, OutboxRecord
from core.prompts.models import PromptRecording
from core.uow import UnitOfWork

KEY = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)+$")  # a catalog key: menu.title
VOICE_TYPE = "audio/ogg"
VOICE_PURPOSE = "prompt_voice"  # an outbox message that is a recorded prompt
PUBLIC_PATH = "/prompts/{id}/voice"  # served without login (admin_api), for Twilio


def public_path(recording: PromptRecording) -> str:
    """Where anyone may fetch the recording (Twilio fetches WhatsApp media by URL)."""
    return PUBLIC_PATH.format(id=recording.id)


def record(*, uow: UnitOfWork, commune_id: str, language: str, key: str, voice: bytes,
           seconds: float, by: str) -> PromptRecording:
    """Keep `voice` (an OGG/Opus note) as what `language` speakers of the commune hear beside
    message `key`, in place of any recording before it."""
    if not KEY.match(key):
        raise Invalid(f"not a message key: {key!r}", field="key", reason="key")
    if not languages.is_code(language):
        raise Invalid(f"not a language code: {language!r}", field="language",
                      reason="language")
    stored = uow.media.put(voice, content_type=VOICE_TYPE)
    existing = _find(uow, commune_id, language, key)
    now = uow.clock.now()
    if existing is None:
        existing = PromptRecording(commune_id=commune_id, language=language, key=key,
                                   media_path=stored.path, seconds=seconds, recorded_by=by,
                                   created_at=now)
    else:
        replaced = existing.media_path
        existing.media_path, existing.seconds = stored.path, seconds
        existing.recorded_by, existing.created_at = by, now
        uow.session.add(existing)
        uow.session.flush()
        _erase_if_unused(uow, replaced)
    uow.session.add(existing)
    uow.session.flush()
    return existing


def remove(*, uow: UnitOfWork, recording: PromptRecording) -> None:
    """The recording gone; citizens read the message again."""
    uow.session.delete(recording)
    uow.session.flush()
    _erase_if_unused(uow, recording.media_path)


def recordings_for(*, uow: UnitOfWork, commune_id: str | None, language: str,
                   keys: Sequence[str]) -> list[PromptRecording]:
    """The commune's recordings in `language` of these messages, in the messages' order."""
    if commune_id is None or not keys:
        return []
    found = {row.key: row for row in uow.session.exec(select(PromptRecording).where(
        PromptRecording.commune_id == commune_id, PromptRecording.language == language,
        col(PromptRecording.key).in_(set(keys)))).all()}
    return [found[key] for key in dict.fromkeys(keys) if key in found]


def heard_lately(*, uow: UnitOfWork, identity_id: int, since: datetime,
                 paths: Sequence[str]) -> set[str]:
    """Which of these recordings went to this address since then (not sent twice in a
    sitting: each costs a phone on prepaid data a few dozen kilobytes)."""
    if not paths:
        return set()
    sent = uow.session.exec(select(OutboxRecord.media_path).where(
        OutboxRecord.identity_id == identity_id, OutboxRecord.purpose == VOICE_PURPOSE,
        col(OutboxRecord.created_at) >= since,
        col(OutboxRecord.media_path).in_(set(paths)))).all()
    return {path for path in sent if path}


def of_commune(*, uow: UnitOfWork, commune_id: str) -> list[PromptRecording]:
    """Every recording of a commune, by language and message."""
    return list(uow.session.exec(select(PromptRecording).where(
        PromptRecording.commune_id == commune_id).order_by(
        col(PromptRecording.language), col(PromptRecording.key))).all())


def everywhere(*, uow: UnitOfWork) -> list[PromptRecording]:
    """Every recording of every commune (for `palabre prompts status`)."""
    return list(uow.session.exec(select(PromptRecording).order_by(
        col(PromptRecording.commune_id), col(PromptRecording.language),
        col(PromptRecording.key))).all())


def _find(uow: UnitOfWork, commune_id: str, language: str, key: str) -> PromptRecording | None:
    return uow.session.exec(select(PromptRecording).where(
        PromptRecording.commune_id == commune_id, PromptRecording.language == language,
        PromptRecording.key == key)).first()


def _erase_if_unused(uow: UnitOfWork, path: str) -> None:
    still = uow.session.exec(select(PromptRecording.id).where(
        PromptRecording.media_path == path)).first()
    waiting = uow.session.exec(select(OutboxRecord.id).where(
        OutboxRecord.media_path == path,
        col(OutboxRecord.status).in_((OutboundStatus.PENDING, OutboundStatus.SENDING,
                                      OutboundStatus.HELD)))).first()
    if still is None and waiting is None:
        uow.after_commit(partial(uow.media.delete, path))

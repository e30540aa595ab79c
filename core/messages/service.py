"""Storing what citizens send and queueing what we send back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select, update

from core.citizens.models import ChannelIdentity, Citizen
from core.citizens.service import identify, stop_announcements
from core.db import UTCDateTime, insert_unless_there
from core.messages.models import (
    Attachment,
    InboundRecord,
    InboundStatus,
    OutboundStatus,
    OutboxRecord,
)
from core.messages.neutral import Choice, InboundMessage, IncomingFile
from core.uow import DELIVERIES, TURNS, UnitOfWork

logger = logging.getLogger(__name__)

MAX_PROCESSING_ATTEMPTS = 3
INVITE_KIND = "invite"  # a question Palabre puts to a citizen: opens its flow when they are free


def invite(*, uow: UnitOfWork, identity: ChannelIdentity, flow: str, key: str,
           data: dict[str, object]) -> InboundRecord:
    """Put a question in the citizen's conversation, in order with their own messages: when
    it comes up and they are not in the middle of something, `flow` opens with `data` (the
    dialogs decide; a busy citizen is not interrupted and the caller may ask again later).
    `key` makes it once: the same key is stored once."""
    record = InboundRecord(
        channel=identity.channel, account=identity.account, external_id=f"{INVITE_KIND}:{key}",
        address=identity.address, identity_id=identity.id, citizen_id=identity.citizen_id,
        kind=INVITE_KIND, extra={"flow": flow, "data": data}, received_at=uow.clock.now())
    uow.session.add(record)
    uow.wake_workers(TURNS)
    return record


def store_inbound(*, uow: UnitOfWork, message: InboundMessage) -> int | None:
    """Store a citizen's message and its files; None when this provider id was already stored.

    This is all a webhook waits for: one insert (the unique provider id makes a retry fail it).
    Who the citizen is gets settled when the message is handled (`identify_sender`)."""
    if len(message.external_id) > 128 or len(message.address) > 64:
        raise ValueError("provider ids longer than any provider sends: refusing the message")
    values = _record_of(message, uow.clock.now()).model_dump(exclude={"id"})
    table = InboundRecord.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    inserted = insert_unless_there(uow.session.get_bind().dialect.name, table,
                                   ("channel", "external_id"))
    inbound_id = uow.session.execute(inserted.values(values).returning(table.c.id)).scalar()
    if inbound_id is None:  # stored before: a provider's retry
        return None
    uow.wake_workers(TURNS)
    for incoming in message.files:
        uow.session.add(_attachment_of(uow, inbound_id, incoming))
    uow.session.flush()
    return int(inbound_id)


def identify_sender(*, uow: UnitOfWork, record: InboundRecord) -> ChannelIdentity | None:
    """The identity (and citizen, made on first contact) of a stored message's sender; what
    waited for them (held messages) goes out now. None for a message with no sender."""
    if record.identity_id is not None:
        return uow.session.get(ChannelIdentity, record.identity_id)
    if not record.address:
        return None
    identity = identify(uow=uow, channel=record.channel, address=record.address,
                        account=record.account, display_name=record.display_name,
                        seen_at=record.received_at)
    record.identity_id, record.citizen_id = identity.id, identity.citizen_id
    uow.session.add(record)
    if identity.id is not None:
        release_held(uow=uow, identity_id=identity.id)
    return identity


def release_held(*, uow: UnitOfWork, identity_id: int) -> int:
    """The citizen wrote again: what waited for them goes out now, in order."""
    result = uow.session.exec(_RELEASE, params={"of_identity": identity_id,
                                                 "released_at": uow.clock.now()},
                              execution_options={"synchronize_session": False})
    if result.rowcount:
        uow.wake_workers(DELIVERIES)
    return int(result.rowcount or 0)


# Built once, run at every turn; held messages are never loaded in a turn's session, so the
# session has nothing to bring up to date.
_RELEASE = (update(OutboxRecord)
            .where(col(OutboxRecord.identity_id) == bindparam("of_identity"),
                   col(OutboxRecord.status) == OutboundStatus.HELD)
            .values(status=OutboundStatus.PENDING,
                    next_attempt_at=bindparam("released_at", type_=UTCDateTime())))


def _attachment_of(uow: UnitOfWork, inbound_id: int, incoming: IncomingFile) -> Attachment:
    """The file stored now, or its provider reference to fetch after the acknowledgement."""
    attachment = Attachment(
        inbound_id=inbound_id, kind=incoming.kind, size=incoming.declared_size or 0,
        content_type=clip(incoming.content_type, 120) or "application/octet-stream",
        original_name=clip(incoming.name, 200), created_at=uow.clock.now(), sha256="", path="")
    if incoming.remote is not None and not incoming.data:
        attachment.remote = incoming.remote[:1000]
        return attachment
    stored = uow.media.put(incoming.data, content_type=incoming.content_type)
    attachment.size, attachment.sha256, attachment.path = stored.size, stored.sha256, stored.path
    return attachment


def unfetched_attachments(*, uow: UnitOfWork, inbound_id: int) -> list[Attachment]:
    """Files of a message still to fetch from the provider."""
    query = select(Attachment).where(Attachment.inbound_id == inbound_id,
                                     Attachment.path == "", col(Attachment.remote).is_not(None),
                                     col(Attachment.fetch_error).is_(None))
    return list(uow.session.exec(query.order_by(col(Attachment.id))).all())


def keep_fetched(*, uow: UnitOfWork, attachment_id: int, data: bytes,
                 content_type: str | None) -> None:
    """Store a fetched file's bytes in the media store and point its attachment at them."""
    attachment = uow.session.get_one(Attachment, attachment_id)
    kind = content_type or attachment.content_type
    stored = uow.media.put(data, content_type=kind)
    attachment.path, attachment.sha256, attachment.size = stored.path, stored.sha256, stored.size
    attachment.content_type = clip(kind, 120) or attachment.content_type
    uow.session.add(attachment)


def refuse_fetch(*, uow: UnitOfWork, attachment_id: int, reason: str) -> None:
    """Give up fetching a file (too large, gone): the message and the reference are kept."""
    attachment = uow.session.get_one(Attachment, attachment_id)
    attachment.fetch_error = reason[:300]
    uow.session.add(attachment)


def store_group_message(*, uow: UnitOfWork, channel: str, account: str, external_id: str,
                        chat: str) -> bool:
    """Note a message seen in a group (nothing of its content, nobody's identity) so that a
    provider retry is answered once; False when it was noted before."""
    if _already_stored(uow, channel, external_id):
        return False
    record = InboundRecord(channel=channel, account=account, external_id=external_id,
                           kind="group", extra={"chat": chat[:64]},
                           received_at=uow.clock.now(), status=InboundStatus.PROCESSED,
                           processed_at=uow.clock.now())
    try:
        with uow.session.begin_nested():
            uow.session.add(record)
    except IntegrityError:
        return False
    return True


def _already_stored(uow: UnitOfWork, channel: str, external_id: str) -> bool:
    """Whether this provider id is stored (group messages, which are few, check first)."""
    query = select(InboundRecord.id).where(InboundRecord.channel == channel,
                                           InboundRecord.external_id == external_id)
    return uow.session.exec(query).first() is not None


def _record_of(message: InboundMessage, now: datetime) -> InboundRecord:
    location = message.location
    return InboundRecord(
        channel=message.channel, account=clip(message.account, 64) or "",
        external_id=message.external_id, address=message.address,
        display_name=clip(message.display_name, 120), kind=message.kind, text=message.text,
        choice=clip(message.choice, 64), place_text=clip(message.place_text, 300),
        latitude=location.latitude if location else None,
        longitude=location.longitude if location else None,
        extra=dict(message.extra), received_at=message.received_at or now)


def clip(text: str | None, limit: int) -> str | None:
    """Provider fields longer than our columns are cut (the full payload is not ours to keep)."""
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"


def inbound_attachments(*, uow: UnitOfWork, inbound_id: int) -> list[Attachment]:
    query = select(Attachment).where(Attachment.inbound_id == inbound_id)
    return list(uow.session.exec(query.order_by(col(Attachment.id))).all())


def claim_next_inbound(*, uow: UnitOfWork, inbound_id: int | None = None,
                       ) -> InboundRecord | None:
    """Lock the oldest stored message that may be handled now, for this transaction; None when
    there is none. A message may be handled when it is due and its sender has no earlier one
    still waiting (a failed one waiting for its retry holds the later ones back), so one
    sender's messages go strictly in order. On PostgreSQL a message locked by another worker
    is skipped (`SKIP LOCKED`), and so are its sender's later ones, which still see it
    waiting: workers take different citizens' messages side by side, never one citizen's
    twice at once. SQLite has one writer: each unit of work holds the write lock already.
    With `inbound_id`, that message or None."""
    query = _NEXT if inbound_id is None else _NEXT.where(col(InboundRecord.id) == inbound_id)
    return uow.session.exec(query, params={"now": uow.clock.now()}).first()


def _next_claimable() -> Any:
    """The statement of `claim_next_inbound`, built once (an alias and its cache key cost
    more than the query)."""
    earlier = aliased(InboundRecord)
    waits_first = exists().where(col(earlier.status) == InboundStatus.RECEIVED,
                                 col(earlier.channel) == col(InboundRecord.channel),
                                 col(earlier.address) == col(InboundRecord.address),
                                 col(earlier.id) < col(InboundRecord.id))
    due = or_(col(InboundRecord.next_attempt_at).is_(None),
              col(InboundRecord.next_attempt_at) <= bindparam("now", type_=UTCDateTime()))
    return (select(InboundRecord)
            .where(InboundRecord.status == InboundStatus.RECEIVED, due, ~waits_first)
            .order_by(col(InboundRecord.id)).limit(1)
            .with_for_update(skip_locked=True, of=InboundRecord))


_NEXT = _next_claimable()



def lease_for_fetching(*, uow: UnitOfWork, record: InboundRecord, lease: timedelta) -> None:
    """A claimed message whose files this worker downloads now, outside any transaction:
    not due for any other worker before the lease ends (or `end_fetch_lease`)."""
    record.next_attempt_at = uow.clock.now() + lease
    uow.session.add(record)


def renew_fetch_lease(*, uow: UnitOfWork, inbound_id: int, lease: timedelta) -> None:
    """Another file to download: the lease runs from now (a file may take minutes)."""
    uow.session.exec(update(InboundRecord).where(
        col(InboundRecord.id) == inbound_id,
        col(InboundRecord.status) == InboundStatus.RECEIVED).values(
        next_attempt_at=uow.clock.now() + lease))


def end_fetch_lease(*, uow: UnitOfWork, inbound_id: int) -> None:
    """The files are in: the message is due again (its later messages wait for it anyway)."""
    uow.session.exec(update(InboundRecord).where(
        col(InboundRecord.id) == inbound_id,
        col(InboundRecord.status) == InboundStatus.RECEIVED).values(next_attempt_at=None))


def requeue_failed(*, uow: UnitOfWork) -> int:
    """Give messages whose turns failed another round of attempts (after a fix)."""
    result = uow.session.exec(
        update(InboundRecord).where(col(InboundRecord.status) == InboundStatus.FAILED)
        .values(status=InboundStatus.RECEIVED, attempts=0, next_attempt_at=None))
    return int(result.rowcount or 0)


def mark_processed(*, uow: UnitOfWork, record: InboundRecord) -> None:
    record.status = InboundStatus.PROCESSED
    record.processed_at = uow.clock.now()
    record.attempts += 1
    uow.session.add(record)


def record_processing_failure(*, uow: UnitOfWork, inbound_id: int, error: str) -> bool:
    """Count a failed attempt; True when the message has used up its attempts. A message
    handled meanwhile (by another worker) is left as it is."""
    record = uow.session.get_one(InboundRecord, inbound_id)
    if record.status != InboundStatus.RECEIVED:
        return False
    record.attempts += 1
    record.last_error = error[:2000]
    exhausted = record.attempts >= MAX_PROCESSING_ATTEMPTS
    record.next_attempt_at = uow.clock.now() + retry_delay(record.attempts)
    if exhausted:
        record.status = InboundStatus.FAILED
    uow.session.add(record)
    return exhausted


@dataclass(frozen=True)
class Recipient:
    """Where a message goes; the citizen and identity are None once they are erased."""

    channel: str
    account: str
    address: str
    citizen_id: int | None = None
    identity_id: int | None = None

    @classmethod
    def of(cls, identity: ChannelIdentity) -> Recipient:
        return cls(channel=identity.channel, account=identity.account, address=identity.address,
                   citizen_id=identity.citizen_id, identity_id=identity.id)

    def anonymous(self) -> Recipient:
        return Recipient(channel=self.channel, account=self.account, address=self.address)


def enqueue(*, uow: UnitOfWork, to: Recipient, text: str,
            choices: tuple[Choice, ...] = (), purpose: str = "reply",
            in_reply_to: int | None = None, media_path: str | None = None,
            hints: dict[str, str] | None = None, thread: str | None = None) -> OutboxRecord:
    """Queue a message to a citizen's channel address (in a submission's `thread` when it is
    one of the messages moderators read beside it)."""
    now = uow.clock.now()
    record = OutboxRecord(
        citizen_id=to.citizen_id, identity_id=to.identity_id, channel=to.channel,
        account=to.account, address=to.address, purpose=purpose, text=text,
        choices=[{"id": c.id, "label": c.label} for c in choices], media_path=media_path,
        hints=dict(hints or {}), thread=thread,
        in_reply_to=in_reply_to, status=OutboundStatus.PENDING, next_attempt_at=now,
        created_at=now)
    uow.session.add(record)
    uow.wake_workers(DELIVERIES)
    return record


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before the next try: the provider's word, else exponential backoff."""
    if retry_after is not None:
        return timedelta(seconds=max(retry_after, 1.0))
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


# How far along a message is, by what its provider said; callbacks may arrive out of order.
DELIVERY_PROGRESS = {OutboundStatus.SENDING: 0, OutboundStatus.SENT: 1,
                     OutboundStatus.DELIVERED: 2, OutboundStatus.READ: 3,
                     OutboundStatus.UNDELIVERED: 4, OutboundStatus.FAILED: 4}


def record_delivery_status(*, uow: UnitOfWork, channel: str, external_id: str,
                           status: OutboundStatus, error_code: str | None = None,
                           ) -> OutboxRecord | None:
    """What the provider says became of a sent message (never going back: 'sent' arriving
    after 'delivered' changes nothing); None when the message is not ours."""
    record = uow.session.exec(select(OutboxRecord).where(
        OutboxRecord.channel == channel, OutboxRecord.external_id == external_id)).first()
    if record is None:
        return None
    before = DELIVERY_PROGRESS.get(OutboundStatus(record.status), 0)
    if DELIVERY_PROGRESS.get(status, 0) > before:
        record.status = status
    if error_code:
        record.error_code = error_code[:16]
    uow.session.add(record)
    return record


def opt_out(*, uow: UnitOfWork, citizen_id: int) -> None:
    """The citizen receives no broadcast any more (their provider said they unsubscribed)."""
    citizen = uow.session.get(Citizen, citizen_id)
    if citizen is not None and not citizen.broadcast_opt_out:
        stop_announcements(uow=uow, citizen=citizen)


def send_again(*, uow: UnitOfWork, outbox_id: int, hints: dict[str, str]) -> None:
    """Queue a message once more, the way these hints say (e.g. as a template)."""
    record = uow.session.get_one(OutboxRecord, outbox_id)
    record.status = OutboundStatus.PENDING
    record.hints = {**(record.hints or {}), **hints}
    record.next_attempt_at = uow.clock.now()
    uow.session.add(record)
    uow.wake_workers(DELIVERIES)

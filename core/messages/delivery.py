"""Delivering the outbox: in order per citizen address, throttled by the messengers, retried."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlmodel import col, select, update

from core.broadcasts.models import Broadcast
from core.broadcasts.service import quiet_until
from core.citizens.models import ChannelIdentity
from core.messages import workers
from core.messages.models import OutboundStatus, OutboxRecord
from core.messages.neutral import Choice, OutboundMessage
from core.messages.service import opt_out, retry_delay
from core.ports import DeliveryError, Messenger
from core.uow import UnitOfWork

logger = logging.getLogger(__name__)

# A claimed message not recorded as sent or failed within this time is sent again.
CLAIM_LEASE = timedelta(minutes=5)

@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    throttled: int = 0
    held: int = 0


def deliver_pending(*, uow_factory: Callable[[], UnitOfWork],
                    messengers: Mapping[str, Messenger], max_attempts: int = 8,
                    address: str | None = None, channels: Collection[str] | None = None,
                    limit: int = 100, pool: Executor | None = None) -> DeliveryReport:
    """Send what is due on the channels we have messengers for: replies to citizens before
    announcements (two lanes), each address's messages in order (one failure holds back the
    later ones, so that a citizen reads them in order), different addresses side by side on
    `pool`'s threads when given (the messengers pace themselves)."""
    report = DeliveryReport()
    _housekeeping(uow_factory)
    wanted = [c for c in messengers if channels is None or c in channels]
    queues: dict[tuple[str, str], list[OutboxRecord]] = {}
    for record in _due(uow_factory, wanted, address, limit):
        queues.setdefault((record.channel, record.address), []).append(record)
    counted = threading.Lock()

    def send_in_order(records: list[OutboxRecord]) -> None:
        for record in records:
            if not _claim(uow_factory, record.id):  # another sender has it: keep the order
                return
            outcome = _send_one(uow_factory, messengers[record.channel], record, max_attempts)
            with counted:
                setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome != "sent":
                return

    if pool is None or len(queues) < 2:
        for records in queues.values():
            send_in_order(records)
    else:
        for future in [pool.submit(send_in_order, records) for records in queues.values()]:
            future.result()
    return report


def _housekeeping(uow_factory: Callable[[], UnitOfWork]) -> None:
    """Each round: this process beats (its claims stay its own), announcements wait out
    quiet hours, and what dead processes had claimed goes again (a process that stopped
    beating, or one alive but stuck past the lease)."""
    with uow_factory() as uow:
        workers.beat(uow=uow, roles="deliveries")
        hold_for_quiet_hours(uow=uow)
        release_stale_claims(uow=uow)
        workers.release_claims_of_the_dead(uow=uow)
        uow.commit()


def _due(uow_factory: Callable[[], UnitOfWork], channels: list[str], address: str | None,
         limit: int) -> list[OutboxRecord]:
    """What may go now, replies first: announcements fill what is left of the batch."""
    with uow_factory() as uow:
        now = uow.clock.now()
        pending = col(OutboxRecord.status) == OutboundStatus.PENDING
        query = select(OutboxRecord).where(pending, col(OutboxRecord.channel).in_(channels),
                                           col(OutboxRecord.next_attempt_at) <= now)
        if address is not None:
            query = query.where(OutboxRecord.address == address)
        by_id = query.order_by(col(OutboxRecord.id))
        due = list(uow.session.exec(
            by_id.where(col(OutboxRecord.broadcast_id).is_(None)).limit(limit)).all())
        if len(due) < limit:
            due += uow.session.exec(by_id.where(col(OutboxRecord.broadcast_id).is_not(None))
                                    .limit(limit - len(due))).all()
        # An announcement waiting (quiet hours, rate limits) never holds back a reply.
        blocking = or_(and_(pending, col(OutboxRecord.next_attempt_at) > now,
                            col(OutboxRecord.broadcast_id).is_(None)),
                       col(OutboxRecord.status) == OutboundStatus.SENDING)
        waiting = select(OutboxRecord.channel, OutboxRecord.address,
                         func.min(OutboxRecord.id)).where(blocking).group_by(
            col(OutboxRecord.channel), col(OutboxRecord.address))
        first_waiting: dict[tuple[str, str], int] = {
            (c, a): int(i) for c, a, i in uow.session.exec(waiting).all() if i is not None}
    return [r for r in due if r.id is not None
            and r.id < first_waiting.get((r.channel, r.address), r.id + 1)]


def _claim(uow_factory: Callable[[], UnitOfWork], outbox_id: int | None) -> bool:
    with uow_factory() as uow:
        claimed = uow.session.exec(
            update(OutboxRecord).where(col(OutboxRecord.id) == outbox_id,
                                       col(OutboxRecord.status) == OutboundStatus.PENDING)
            .values(status=OutboundStatus.SENDING, claimed_by=workers.process_id(),
                    next_attempt_at=uow.clock.now() + CLAIM_LEASE))
        uow.commit()
        return bool(claimed.rowcount)


def _send_one(uow_factory: Callable[[], UnitOfWork], messenger: Messenger,
              record: OutboxRecord, max_attempts: int) -> str:
    try:
        receipt = messenger.send(_neutral(record, _last_inbound(uow_factory, record)))
    except DeliveryError as exc:
        return _record_failure(uow_factory, record, exc, max_attempts)
    except Exception as exc:  # the edge: a messenger bug must not stop delivery
        logger.exception("messenger for %s crashed on outbox %s", record.channel, record.id)
        return _record_failure(uow_factory, record, DeliveryError(repr(exc)), max_attempts)
    with uow_factory() as uow:
        stored = uow.session.get_one(OutboxRecord, record.id)
        stored.status = OutboundStatus.SENT
        stored.attempts += 1
        stored.sent_at = uow.clock.now()
        stored.external_id = receipt.external_id
        uow.session.add(stored)
        uow.commit()
    return "sent"


def _record_failure(uow_factory: Callable[[], UnitOfWork], record: OutboxRecord,
                    error: DeliveryError, max_attempts: int) -> str:
    if error.throttled:
        return _postpone(uow_factory, record, error)
    if error.held:
        return _hold(uow_factory, record, error)
    with uow_factory() as uow:
        stored = uow.session.get_one(OutboxRecord, record.id)
        stored.attempts += 1
        stored.last_error = str(error)[:2000]
        give_up = error.unreachable or not error.retryable or stored.attempts >= max_attempts
        stored.status = OutboundStatus.FAILED if give_up else OutboundStatus.PENDING
        stored.next_attempt_at = uow.clock.now() + retry_delay(stored.attempts, error.retry_after)
        uow.session.add(stored)
        if error.unreachable and stored.identity_id is not None:
            identity = uow.session.get(ChannelIdentity, stored.identity_id)
            if identity is not None:
                identity.unreachable = True
                uow.session.add(identity)
        if error.unsubscribed and stored.citizen_id is not None:
            opt_out(uow=uow, citizen_id=stored.citizen_id)
        uow.commit()
    logger.warning("outbox %s on %s: %s (attempt %s%s)", record.id, record.channel, error,
                   stored.attempts, ", giving up" if give_up else "")
    return "failed" if give_up else "retried"


def _postpone(uow_factory: Callable[[], UnitOfWork], record: OutboxRecord,
              error: DeliveryError) -> str:
    """A rate limit: the message waits its turn without using up an attempt."""
    with uow_factory() as uow:
        stored = uow.session.get_one(OutboxRecord, record.id)
        stored.status = OutboundStatus.PENDING
        wait = timedelta(seconds=max(error.retry_after or 1.0, 0.05))
        stored.next_attempt_at = uow.clock.now() + wait
        uow.session.add(stored)
        uow.commit()
    logger.debug("outbox %s on %s waits %s: %s", record.id, record.channel, wait, error)
    return "throttled"


def _hold(uow_factory: Callable[[], UnitOfWork], record: OutboxRecord,
          error: DeliveryError) -> str:
    """The channel may not send it now: it waits for the citizen's next message."""
    with uow_factory() as uow:
        stored = uow.session.get_one(OutboxRecord, record.id)
        stored.status = OutboundStatus.HELD
        stored.last_error = str(error)[:2000]
        uow.session.add(stored)
        uow.commit()
    logger.info("outbox %s on %s held: %s", record.id, record.channel, error)
    return "held"


def hold_for_quiet_hours(*, uow: UnitOfWork) -> int:
    """In quiet hours, announcements not marked urgent wait for the morning."""
    now = uow.clock.now()
    until = quiet_until(now)
    if until is None:
        return 0
    calm = select(Broadcast.id).where(col(Broadcast.urgent).is_(False))
    result = uow.session.exec(update(OutboxRecord).where(
        col(OutboxRecord.status) == OutboundStatus.PENDING,
        col(OutboxRecord.broadcast_id).in_(calm),
        col(OutboxRecord.next_attempt_at) < until).values(next_attempt_at=until))
    return int(result.rowcount or 0)


def release_stale_claims(*, uow: UnitOfWork) -> int:
    """Put back messages left 'sending' past their lease by a process that died."""
    sending = col(OutboxRecord.status) == OutboundStatus.SENDING
    expired = col(OutboxRecord.next_attempt_at) <= uow.clock.now()
    result = uow.session.exec(update(OutboxRecord).where(sending, expired)
                              .values(status=OutboundStatus.PENDING))
    return int(result.rowcount or 0)


def _last_inbound(uow_factory: Callable[[], UnitOfWork], record: OutboxRecord,
                  ) -> datetime | None:
    if record.identity_id is None:
        return None
    with uow_factory() as uow:
        identity = uow.session.get(ChannelIdentity, record.identity_id)
        return identity.last_inbound_at if identity else None


def _neutral(record: OutboxRecord, last_inbound_at: datetime | None = None) -> OutboundMessage:
    assert record.id is not None
    return OutboundMessage(outbox_id=record.id, channel=record.channel, account=record.account,
                           address=record.address, text=record.text,
                           choices=tuple(Choice(c["id"], c["label"]) for c in record.choices),
                           media_path=record.media_path, purpose=record.purpose,
                           hints=dict(record.hints or {}), last_inbound_at=last_inbound_at)

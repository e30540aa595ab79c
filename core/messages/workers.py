"""The processes that claim work, and what happens to their claims when one dies.

Each process has a random id, unique across machines and containers (a host name and a pid
are not: two containers both run pid 1). It beats while it runs; a message it claimed for
sending and did not settle is taken over by another process once its owner has missed its
heartbeat for `DEAD_AFTER`, or at once when the owner said goodbye. Turns need none of this:
their claim is a row lock, which the database frees with the dead process's connection."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlmodel import col, delete, select, update

from core.messages.models import OutboundStatus, OutboxRecord, WorkerProcess
from core.uow import DELIVERIES, UnitOfWork

logger = logging.getLogger(__name__)

BEAT_EVERY = timedelta(seconds=5)
DEAD_AFTER = timedelta(seconds=30)  # six missed beats

_ids: dict[int, str] = {}


def process_id() -> str:
    """This process's id (a forked child gets its own)."""
    pid = os.getpid()
    if pid not in _ids:
        _ids[pid] = str(uuid.uuid4())
    return _ids[pid]


def beat(*, uow: UnitOfWork, roles: str = "") -> None:
    """This process is alive (registered on its first beat)."""
    now = uow.clock.now()
    beaten = uow.session.exec(update(WorkerProcess).where(
        col(WorkerProcess.id) == process_id()).values(seen_at=now))
    if not beaten.rowcount:
        uow.session.add(WorkerProcess(id=process_id(), host=socket.gethostname()[:120],
                                      pid=os.getpid(), roles=roles[:120], started_at=now,
                                      seen_at=now))


def retire(*, uow: UnitOfWork) -> int:
    """This process stops: what it claimed and did not settle is free at once."""
    me = process_id()
    freed = _free(uow, col(OutboxRecord.claimed_by) == me)
    uow.session.exec(delete(WorkerProcess).where(col(WorkerProcess.id) == me))
    return freed


def release_claims_of_the_dead(*, uow: UnitOfWork) -> int:
    """Put back the messages claimed by processes that stopped beating (or never beat, or
    left): they go again now. Such a message may have reached the provider just before its
    process died: sending it again is preferred to losing it (at least once)."""
    alive = select(WorkerProcess.id).where(
        col(WorkerProcess.seen_at) >= uow.clock.now() - DEAD_AFTER)
    freed = _free(uow, col(OutboxRecord.claimed_by).not_in(alive)
                  | col(OutboxRecord.claimed_by).is_(None))
    if freed:
        logger.warning("%s message(s) claimed by a process that died are sent again", freed)
    uow.session.exec(delete(WorkerProcess).where(
        col(WorkerProcess.seen_at) < uow.clock.now() - DEAD_AFTER * 10))
    return freed


def _free(uow: UnitOfWork, owned: object) -> int:
    result = uow.session.exec(update(OutboxRecord).where(
        col(OutboxRecord.status) == OutboundStatus.SENDING, owned)  # type: ignore[arg-type]
        .values(status=OutboundStatus.PENDING, claimed_by=None,
                next_attempt_at=uow.clock.now()))
    if result.rowcount:
        uow.wake_workers(DELIVERIES)
    return int(result.rowcount or 0)

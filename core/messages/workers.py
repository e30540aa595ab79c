"""The processes that claim work, and what happens to their claims when one dies.

Each process has a random id, unique across machines and containers (a host name and a pid
are not: two containers both run pid 1). It beats while it runs; a message it claimed for
sending and did not settle is taken over by another process once its owner has missed its
heartbeat for `DEAD_AFTER`, or at once when the owner said goodbye. On PostgreSQL a process
that holds an advisory lock on a connection of its own is alive exactly while it holds it,
whatever its heartbeat's clock says: the database drops a dead process's connections at once
(TCP keepalives: within a minute for a vanished machine), and machines' clocks may differ. A
process alive but stuck keeps its claims until their lease ends (`release_stale_claims`).
Turns need none of this: their claim is a row lock, freed with the connection too."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import col, delete, select, update

from core.messages.models import OutboundStatus, OutboxRecord, SendWindow, WorkerProcess
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


def beat(*, uow: UnitOfWork, roles: str = "", lock_key: int | None = None) -> None:
    """This process is alive (registered on its first beat); with `lock_key`, the
    advisory lock it holds while it lives (PostgreSQL), which tells its death at once
    (0: it holds none now, so its liveness is its heartbeat alone)."""
    now = uow.clock.now()
    values: dict[str, object] = {"seen_at": now}
    if lock_key is not None:
        values["lock_key"] = lock_key or None
    beaten = uow.session.exec(update(WorkerProcess).where(
        col(WorkerProcess.id) == process_id()).values(**values))
    if not beaten.rowcount:
        uow.session.add(WorkerProcess(id=process_id(), host=socket.gethostname()[:120],
                                      pid=os.getpid(), roles=roles[:120],
                                      lock_key=lock_key or None,
                                      started_at=now, seen_at=now))


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
    beating = col(WorkerProcess.seen_at) >= uow.clock.now() - DEAD_AFTER
    alive = select(WorkerProcess.id).where(beating)
    if uow.session.get_bind().dialect.name == "postgresql":
        # A process holding its liveness lock is alive, and one whose lock is free is dead,
        # whatever its heartbeat says: the database, not two machines' clocks, tells. (A
        # clock 30 s behind made a live process look dead: its claims went again, twice.)
        # pg_locks shows the whole server's locks: this database's only.
        alive = select(WorkerProcess.id).where(
            (col(WorkerProcess.lock_key).is_(None) & beating) | text(
                "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = "
                "current_database()) AND l.objsubid = 1 "
                "AND ((l.classid::bigint << 32) | l.objid::bigint) = worker_process.lock_key)"))
    else:  # SQLite is one machine: a process of this host that is gone is dead at once
        gone = [i for i, pid in uow.session.exec(select(WorkerProcess.id, WorkerProcess.pid)
                .where(WorkerProcess.host == socket.gethostname()[:120])).all()
                if not _running(pid)]
        if gone:
            alive = alive.where(col(WorkerProcess.id).not_in(gone))
    freed = _free(uow, col(OutboxRecord.claimed_by).not_in(alive)
                  | col(OutboxRecord.claimed_by).is_(None))
    # What they had in flight reached its provider by now, if at all: it counts from now in
    # its window (core/messages/pace.py), no longer for its full time in flight.
    now = uow.clock.now().timestamp()
    uow.session.exec(update(SendWindow).where(
        col(SendWindow.at) > now, col(SendWindow.owner).is_not(None),
        col(SendWindow.owner).not_in(alive)).values(at=now, owner=None))
    if freed:
        logger.warning("%s message(s) claimed by a process that died are sent again", freed)
    uow.session.exec(delete(WorkerProcess).where(  # long gone (never one holding its lock)
        col(WorkerProcess.seen_at) < uow.clock.now() - DEAD_AFTER * 10,
        col(WorkerProcess.id).not_in(alive)))
    return freed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: running
        return True
    return True


def _free(uow: UnitOfWork, owned: object) -> int:
    result = uow.session.exec(update(OutboxRecord).where(
        col(OutboxRecord.status) == OutboundStatus.SENDING, owned)  # type: ignore[arg-type]
        .values(status=OutboundStatus.PENDING, claimed_by=None,
                next_attempt_at=uow.clock.now()))
    if result.rowcount:
        uow.wake_workers(DELIVERIES)
    return int(result.rowcount or 0)

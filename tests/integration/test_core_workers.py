"""Which processes are alive, and what happens to the claims of those that are not
(core/messages/workers.py), on PostgreSQL where a process holds a liveness lock."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from core.messages import service as messages
from core.messages import workers
from core.messages.models import OutboundStatus, OutboxRecord, WorkerProcess

KEY = secrets.randbelow(2**62 - 1) + 1  # as a worker draws its own


def _claimed_by(app, owner: str, *, lock_key: int | None, seen_ago: timedelta) -> int:
    """A message being sent by `owner`, a process last seen `seen_ago` by this clock."""
    with app.uow_factory() as uow:
        now = uow.clock.now()
        uow.session.add(WorkerProcess(id=owner, host="machine-b", pid=1, roles="deliveries",
                                      lock_key=lock_key, started_at=now - seen_ago,
                                      seen_at=now - seen_ago))
        record = messages.enqueue(uow=uow, to=messages.Recipient("console", "", "ama"),
                                  text="Votre signalement est reçu.")
        record.status, record.claimed_by = OutboundStatus.SENDING, owner
        uow.session.add(record)
        uow.commit()
        assert record.id is not None
        return record.id


def _status_after_release(app, record_id: int) -> str:
    with app.uow_factory() as uow:
        workers.release_claims_of_the_dead(uow=uow)
        uow.commit()
    with app.uow_factory() as uow:
        return uow.session.exec(select(OutboxRecord.status).where(
            OutboxRecord.id == record_id)).one()


def test_a_process_holding_its_lock_keeps_its_claims_whatever_its_clock(app) -> None:
    """Machine B's clock runs 10 minutes behind: its heartbeats look old, but it holds its
    liveness lock, so its message in flight is not sent a second time by another."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("the liveness lock is PostgreSQL's (SQLite is one machine)")
    held = app.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    assert held.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": KEY}).scalar()
    record_id = _claimed_by(app, "process-b", lock_key=KEY, seen_ago=timedelta(minutes=10))
    for _ in range(2):  # round after round (its row is kept: it is alive)
        assert _status_after_release(app, record_id) == OutboundStatus.SENDING
    with app.uow_factory() as uow:
        assert uow.session.get(WorkerProcess, "process-b") is not None
    held.invalidate()  # its connection closed (the process died): the lock is free
    held.close()
    assert _status_after_release(app, record_id) == OutboundStatus.PENDING


def test_a_process_whose_lock_is_free_is_dead_however_recent_its_heartbeat(app) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("the liveness lock is PostgreSQL's (SQLite is one machine)")
    record_id = _claimed_by(app, "process-c", lock_key=KEY, seen_ago=timedelta(seconds=1))
    # The same key held in another database of the server is no sign of life here (the
    # server's pg_locks shows every database's locks).
    elsewhere = create_engine(app.engine.url.set(database="postgres"))
    try:
        with elsewhere.connect() as other:
            assert other.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                 {"key": KEY}).scalar()
            assert _status_after_release(app, record_id) == OutboundStatus.PENDING
    finally:
        elsewhere.dispose()


def test_without_a_lock_the_heartbeat_tells(app) -> None:
    beating = _claimed_by(app, "process-d", lock_key=None, seen_ago=timedelta(seconds=5))
    assert _status_after_release(app, beating) == OutboundStatus.SENDING
    silent = _claimed_by(app, "process-e", lock_key=None, seen_ago=timedelta(seconds=31))
    assert _status_after_release(app, silent) == OutboundStatus.PENDING

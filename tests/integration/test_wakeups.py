"""Committed work wakes the other processes (PostgreSQL's LISTEN/NOTIFY), and a closing
application first sends what it still has to say, then stops its notifying thread."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from core.messages.neutral import InboundMessage
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.worker import WORK_CHANNEL


def test_closing_sends_the_pending_notice_then_stops_the_notifier(settings: Settings) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite is one process: nobody else to notify")
    dsn = settings.database_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as listening:
        listening.execute(f"LISTEN {WORK_CHANNEL}")
        app = bootstrap(settings)
        app.pipeline.receive(InboundMessage(channel="console", address="ama", account="console",
                                            external_id=uuid.uuid4().hex, text="Bonjour"))
        app.close()
        assert app.notifier is not None and not app.notifier.is_alive()
        heard = {n.payload for n in listening.notifies(timeout=5.0, stop_after=1)}
        app.notifier.work(frozenset({"deliveries"}))  # a loop still finishing: nothing raised
        late = [n.payload for n in listening.notifies(timeout=0.5, stop_after=1)]
    assert heard == {"turns"} and late == []

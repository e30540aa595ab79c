"""Several worker processes on one database (real processes, not threads): citizens' turns
spread over three workers, each citizen's messages handled once and in order; a turn held by
a worker killed with SIGKILL is handled by another; a killed sender's claims go again once it
misses its heartbeat, not while it beats; two senders keep one Telegram bot under 30 a second
together. An outside review measured a second `palabre serve` bringing no gain (every process
walked the same oldest messages and waited on the other's locks) and two processes getting
17 × 429 from Telegram where one had none."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bench.broadcast.telegram import RateLimitedTelegram
from core.messages import service as messages
from core.messages.models import InboundRecord, OutboxRecord, WorkerProcess
from core.messages.neutral import InboundMessage
from core.messages.pace import SharedPace
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from tests.fakes import FakeClock, RecordingMessenger
from tests.processes import palabre_process, until

CITIZENS = 40
MESSAGES_EACH = 6
WORKERS = 3
TOKEN = "123456789:AAH-fake-token-for-palabre-tests_0"
BOT = "123456789"


def _settings(url: str, media: str, **more: object) -> Settings:
    return Settings(database_url=url, media_dir=Path(media), transcription_routes="",
                    auto_migrate=False, _env_file=None, **more)


def _turns(url: str, media: str, start: multiprocessing.synchronize.Barrier,
           stop: multiprocessing.synchronize.Event, done: multiprocessing.Queue) -> None:
    """A worker process (turns only): as many turns as it can claim until told to stop."""
    app = bootstrap(_settings(url, media))
    handled = 0
    try:
        start.wait(timeout=60)
        while True:
            count = app.pipeline.process_pending()
            handled += count
            if not count:
                if stop.is_set():
                    break
                time.sleep(0.01)
    finally:
        done.put(handled)
        app.engine.dispose()


def _store_conversations(app) -> None:
    """CITIZENS citizens each writing MESSAGES_EACH messages, stored interleaved."""
    for turn in range(MESSAGES_EACH):
        for number in range(CITIZENS):
            app.pipeline.receive(InboundMessage(
                channel="console", address=f"citizen-{number}", external_id=f"{number}-{turn}",
                text="bonjour" if turn == 0 else str(turn % 3 + 1)))


def _waiting(app) -> int:
    with app.uow_factory() as uow:
        return uow.session.exec(select(func.count()).select_from(InboundRecord).where(
            InboundRecord.status == "received")).one()


def test_turns_spread_over_three_workers_keep_each_citizens_order(app, settings) -> None:
    _store_conversations(app)
    context = multiprocessing.get_context("spawn")
    start, stop, done = context.Barrier(WORKERS + 1), context.Event(), context.Queue()
    workers = [context.Process(target=_turns, args=(
        settings.database_url, str(settings.media_dir), start, stop, done))
        for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    start.wait(timeout=120)
    deadline = time.monotonic() + 120
    while _waiting(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    handled = [done.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    with app.uow_factory() as uow:
        records = uow.session.exec(select(InboundRecord).where(
            InboundRecord.channel == "console").order_by(col(InboundRecord.id))).all()
        replies = uow.session.exec(select(func.count()).select_from(OutboxRecord)).one()
    assert sum(handled) == CITIZENS * MESSAGES_EACH  # each message handled once…
    if app.engine.dialect.name == "postgresql":  # (SQLite's one writer may serve one alone)
        assert all(count > 0 for count in handled)  # …and every worker took its share
    assert {(r.status, r.attempts) for r in records} == {("processed", 1)}
    by_citizen: dict[str, list[InboundRecord]] = defaultdict(list)
    for record in records:
        by_citizen[record.address or ""].append(record)
    for citizen, theirs in by_citizen.items():  # …in the order the citizen wrote them
        assert [r.external_id for r in theirs] == [
            f"{citizen.removeprefix('citizen-')}-{turn}" for turn in range(MESSAGES_EACH)]
        finished = [r.processed_at for r in theirs]
        assert finished == sorted(finished) and len(set(finished)) == len(finished), citizen
    assert replies >= CITIZENS * MESSAGES_EACH  # every turn answered


def _hold_a_turn(url: str, media: str, claimed: multiprocessing.synchronize.Event) -> None:
    """Claims the first message, as a worker does at the start of a turn, and never ends it."""
    app = bootstrap(_settings(url, media))
    with app.uow_factory() as uow:
        assert messages.claim_next_inbound(uow=uow) is not None
        claimed.set()
        time.sleep(600)


def test_a_turn_held_by_a_killed_worker_is_handled_by_another(app, settings) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a second worker waits for the first's lock")
    for number, text in enumerate(("bonjour", "1", "bonjour")):  # two citizens
        app.pipeline.receive(InboundMessage(
            channel="console", address="ama" if number < 2 else "kofi",
            external_id=f"m{number}", text=text))
    context = multiprocessing.get_context("spawn")
    claimed = context.Event()
    holder = context.Process(target=_hold_a_turn, args=(
        settings.database_url, str(settings.media_dir), claimed))
    holder.start()
    try:
        assert claimed.wait(timeout=60)
        # Ama's first message is held: her second waits behind it; Kofi's goes on.
        assert app.pipeline.process_pending() == 1
        assert _statuses(app) == {"m0": "received", "m1": "received", "m2": "processed"}

        os.kill(holder.pid, signal.SIGKILL)  # its connection drops: the lock with it
        holder.join(timeout=30)
        deadline = time.monotonic() + 30
        while _waiting(app) and time.monotonic() < deadline:
            app.pipeline.process_pending()
            time.sleep(0.1)
    finally:
        if holder.is_alive():
            holder.kill()
    assert _statuses(app) == {"m0": "processed", "m1": "processed", "m2": "processed"}
    with app.uow_factory() as uow:  # Ama's turns ran in order: her replies say so
        answered = uow.session.exec(select(InboundRecord.external_id).join(
            OutboxRecord, col(OutboxRecord.in_reply_to) == col(InboundRecord.id)).where(
            InboundRecord.address == "ama").order_by(col(OutboxRecord.id))).all()
    assert list(dict.fromkeys(answered)) == ["m0", "m1"]


def _statuses(app) -> dict[str, str]:
    with app.uow_factory() as uow:
        return {r.external_id: r.status for r in uow.session.exec(select(InboundRecord))}


class SilentServer:
    """Accepts connections and never answers: a provider that hangs mid-send."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.socket.close()
        for connection in self.connections:
            connection.close()


def _worker_process(settings: Settings, log: Path, *args: str,
                    **env: str) -> subprocess.Popen[bytes]:
    """`palabre worker` in a process of its own, on the test's (migrated) database."""
    return palabre_process(settings, log, "worker", *args, PALABRE_AUTO_MIGRATE="false", **env)


def _outbox(app) -> list[OutboxRecord]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(OutboxRecord).order_by(col(OutboxRecord.id))))


def test_a_killed_senders_claims_go_again_once_it_misses_its_heartbeat(
        app, settings, tmp_path: Path) -> None:
    with app.uow_factory() as uow:
        for number in range(3):
            messages.enqueue(uow=uow, to=messages.Recipient("telegram", BOT, f"{1000 + number}"),
                             text=f"Réponse {number}")
        uow.commit()
    silent = SilentServer()  # the sender claims, then waits for Telegram forever
    sender = _worker_process(settings, tmp_path / "sender.log", "--no-turns",
                             PALABRE_TELEGRAM_TOKEN=TOKEN,
                             PALABRE_TELEGRAM_API_URL=silent.url)
    try:
        assert until(lambda: any(r.status == "sending" for r in _outbox(app)), 60), \
            (tmp_path / "sender.log").read_text()
        [owner] = {r.claimed_by for r in _outbox(app) if r.status == "sending"}
        with app.uow_factory() as uow:
            assert uow.session.get_one(WorkerProcess, owner).pid == sender.pid

        # Another delivering process, 20 s on: the sender still beats, its claims stay its own.
        other = RecordingMessenger(channel="telegram")
        later = bootstrap(settings, clock=FakeClock(datetime.now(UTC) + timedelta(seconds=20)),
                          messengers={"telegram": other})
        later.pipeline.deliver()
        assert "Réponse 0" not in other.texts() and "sending" in {r.status for r in _outbox(app)}
        later.close()

        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)
        # On PostgreSQL its liveness lock went with its connection: what it held goes again
        # at once. Elsewhere, 31 s after its last beat.
        at_once = app.engine.dialect.name == "postgresql"
        later_on = timedelta(seconds=0 if at_once else 31)
        dead = bootstrap(settings, clock=FakeClock(datetime.now(UTC) + later_on),
                         messengers={"telegram": other})
        assert until(lambda: _freed(dead), seconds=10)
        dead.close()
    finally:
        silent.close()
        if sender.poll() is None:
            sender.kill()
    assert sorted(other.texts()) == ["Réponse 0", "Réponse 1", "Réponse 2"]
    assert {r.status for r in _outbox(app)} == {"sent"}


def _freed(app) -> bool:
    """One delivery round; whether nothing is left 'sending'."""
    app.pipeline.deliver()
    return "sending" not in {r.status for r in _outbox(app)}


def test_two_senders_keep_a_bot_under_30_a_second_together(app, settings,
                                                           tmp_path: Path) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite is one process: its sender keeps the pace in memory")
    chats = 150
    with app.uow_factory() as uow:
        for number in range(chats):
            messages.enqueue(uow=uow, to=messages.Recipient("telegram", BOT, f"{5000 + number}"),
                             text=f"Annonce {number}", purpose="announcement")
        uow.commit()
    with RateLimitedTelegram([TOKEN], rate=30) as telegram:
        environment = {"PALABRE_TELEGRAM_TOKEN": TOKEN,
                       "PALABRE_TELEGRAM_API_URL": telegram.url}
        senders = [_worker_process(settings, tmp_path / f"sender{n}.log", "--no-turns",
                                   **environment) for n in range(2)]
        try:
            assert until(lambda: telegram.count() >= chats, seconds=90), (
                telegram.count(), (tmp_path / "sender0.log").read_text())
        finally:
            for sender in senders:
                sender.terminate()
                sender.wait(timeout=30)
        refused = telegram.refused()
        accepted = [a.at for a in telegram.received()]
    rows = _outbox(app)
    assert refused == []  # not one 429
    assert {r.status for r in rows} == {"sent"} and len(accepted) == chats  # each once
    assert len({r.claimed_by for r in rows}) == 2  # both processes sent
    span = accepted[-1] - accepted[0]
    assert span >= (chats - 30) / 30  # no faster than the bot's limit allows


def test_a_whatsapp_429_in_one_process_pauses_the_sender_in_the_others(app, settings) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite is one process: its sender keeps the pace in memory")
    from core.messages.contents import ContentBook
    from core.messages.neutral import OutboundMessage
    from core.ports import DeliveryError
    from palabre.channels import WhatsAppChannel, whatsapp_config
    from tests.e2e.test_whatsapp import whatsapp_settings
    from tests.fakes.twilio_api import FakeTwilioApi

    with FakeTwilioApi() as twilio:
        config = whatsapp_config(whatsapp_settings(settings, twilio))
        assert config is not None
        pace = SharedPace(app.engine)  # two processes' messengers, one database
        clock = FakeClock(datetime.now(UTC))
        first, second = (WhatsAppChannel.build(config, clock, ContentBook(app.engine, clock.now),
                                               pace).messenger for _ in range(2))

        def message(number: int) -> OutboundMessage:
            return OutboundMessage(outbox_id=number, channel="whatsapp", account="",
                                   address=f"+2290197{number:06d}", text="Bonjour",
                                   last_inbound_at=datetime.now(UTC))

        twilio.fail_next(code=20429, status=429, message="Too Many Requests")
        with pytest.raises(DeliveryError) as refused:
            first.send(message(1))
        assert refused.value.throttled
        with pytest.raises(DeliveryError, match="at its pace") as held:
            second.send(message(2))  # the other process waits out the pause too
        assert held.value.throttled and 0 < (held.value.retry_after or 0) <= 2.0
        assert len([c for c in twilio.calls if c.is_create]) == 1  # the refused one only

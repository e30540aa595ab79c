"""Scheduled jobs run by two processes at the same moment (real processes, not threads), on
each database: an announcement is queued once, a council reminder goes once; and on
PostgreSQL two `palabre scheduler` processes: one leads, the other takes over when it dies.
An outside review had two `palabre serve` on one PostgreSQL queue one announcement twice in 3
tries out of 4 (200 messages for 100 citizens)."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from core.broadcasts import service as broadcasts
from core.broadcasts.models import Broadcast
from core.citizens import service as citizens
from core.council import service as council
from core.council.models import SessionKind
from core.messages.models import OutboxRecord
from palabre.bootstrap import bootstrap
from palabre.scheduler import LEAD_LOCK
from palabre.settings import Settings
from tests.processes import palabre_process, until

COTONOU = "BJ-LI-COT"
AUDIENCE = 60
ROUNDS = 4
PROCESSES = 2


def _run_job(url: str, media: str, job: str, start: multiprocessing.synchronize.Barrier,
             done: multiprocessing.Queue) -> None:
    """A process of its own, as a second `palabre serve` would be: the job, each round at the
    very moment the other process runs it too."""
    from palabre import scheduler

    app = bootstrap(Settings(database_url=url, media_dir=Path(media), transcription_routes="",
                             _env_file=None))
    try:
        for _ in range(ROUNDS):
            start.wait(timeout=60)
            done.put(getattr(scheduler, job)(app))
    finally:
        app.engine.dispose()


def _together(settings: Settings, job: str, before_each_round) -> list[int]:
    """The job in PROCESSES processes at once, ROUNDS times; what each run reported."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES + 1)
    done = context.Queue()
    workers = [context.Process(target=_run_job, args=(
        settings.database_url, str(settings.media_dir), job, start, done))
        for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    reported = []
    for round_number in range(ROUNDS):
        before_each_round(round_number)
        start.wait(timeout=120)  # every process starts the job now
        reported += [done.get(timeout=60) for _ in range(PROCESSES)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return reported


def _audience(app) -> None:
    with app.uow_factory() as uow:
        for number in range(AUDIENCE):
            identity = citizens.identify(uow=uow, channel="console", address=f"c{number}")
            citizens.update_profile(uow=uow, citizen_id=identity.citizen_id,
                                    changes={"commune_id": COTONOU,
                                             "consent_at": uow.clock.now()})
        uow.commit()


def test_an_announcement_due_in_two_processes_at_once_is_queued_once(app, settings) -> None:
    _audience(app)

    def announce(round_number: int) -> None:
        with app.uow_factory() as uow:
            broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
                commune_id=COTONOU, text=f"Annonce {round_number}", created_by="awa",
                urgent=True))
            uow.commit()

    reported = _together(settings, "queue_due_broadcasts", announce)

    with app.uow_factory() as uow:
        per_announcement = uow.session.exec(
            select(OutboxRecord.broadcast_id, func.count()).group_by(
                OutboxRecord.broadcast_id)).all()
        queued = uow.session.exec(select(Broadcast.status)).all()
    assert sorted(reported) == [0] * ROUNDS + [1] * ROUNDS  # each round, one process queued it
    assert [count for _, count in per_announcement] == [AUDIENCE] * ROUNDS
    assert set(queued) == {"queued"}


def test_a_council_reminder_due_in_two_processes_at_once_goes_once(app, settings) -> None:
    _audience(app)
    with app.uow_factory() as uow:
        for number in range(AUDIENCE):  # everyone follows the council
            identity = citizens.identify(uow=uow, channel="console", address=f"c{number}")
            broadcasts.subscribe(uow=uow, citizen_id=identity.citizen_id, topic=council.TOPIC)
        uow.commit()

    def plan(round_number: int) -> None:  # the processes run on the real clock
        with app.uow_factory() as uow:
            council.create(uow=uow, new=council.NewSession(
                commune_id=COTONOU, kind=SessionKind.ORDINARY, title=f"Session {round_number}",
                starts_at=datetime.now(UTC) + timedelta(minutes=30), created_by="awa",
                place="Mairie", agenda=["Budget"]))
            uow.commit()

    reported = _together(settings, "send_council_reminders", plan)

    assert sum(reported) == ROUNDS  # one reminder a sitting, whoever sent it
    with app.uow_factory() as uow:
        sent = uow.session.exec(select(func.count()).select_from(OutboxRecord)).one()
    assert sent == AUDIENCE * ROUNDS


def _held(app) -> int:
    """How many sessions hold the scheduler's lead (PostgreSQL's advisory locks)."""
    with app.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid = :key"), {"key": LEAD_LOCK}).scalar_one()


def _scheduler_process(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`palabre scheduler` in a process of its own, on the test's database."""
    return palabre_process(settings, log, "scheduler")


def test_one_scheduler_leads_and_another_takes_over_when_it_dies(app, settings,
                                                                  tmp_path: Path) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite is one process: its scheduler leads at once, with no lock to hold")
    first = _scheduler_process(settings, tmp_path / "first.log")
    second = None
    try:
        assert until(lambda: "Scheduler leading" in (tmp_path / "first.log").read_text())
        second = _scheduler_process(settings, tmp_path / "second.log")
        assert until(lambda: "Another scheduler leads" in (tmp_path / "second.log").read_text())
        assert _held(app) == 1

        first.send_signal(signal.SIGKILL)  # no goodbye: its connection just drops
        first.wait(timeout=10)

        assert until(lambda: "scheduler leading" in (tmp_path / "second.log").read_text())
        assert _held(app) == 1
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)

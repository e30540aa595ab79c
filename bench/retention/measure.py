"""Timing the retention job beside bare updates, and checking what it left.

The job is called as `palabre retention run [--dry-run]` calls it: one call, which commits a
batch of each kind at a time (and the audit line); the time from one commit to the next is a
batch's. The baseline rewrites as many rows of inbound_message in place, 1,000 per statement
and commit: the least a database does to change them, measured before and after the run so
that a shared, noisy machine's figures compare.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, event, func, select, update
from sqlmodel import SQLModel, col

from bench.common.measures import peak_rss_mb, reset_peak_rss
from bench.retention.seed import MONTHS, Seeder
from core.citizens.models import ChannelIdentity, Citizen
from core.messages.models import InboundRecord, OutboxRecord
from core.retention import service as retention
from core.submissions.models import Follower, Submission
from core.transcripts.models import Transcription
from palabre.bootstrap import App

BARE_BATCH = 1000

Check = tuple[str, int, int]  # what, expected, found


@dataclass
class Run:
    """One timed run of the job or of the bare updates."""

    seconds: float = 0.0
    totals: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    batch_seconds: list[float] = field(default_factory=list)
    rss_mb: tuple[float, float] = (0.0, 0.0)  # before, peak during

    @property
    def rows(self) -> int:
        return sum(self.totals.values())


def run_job(app: App, *, dry_run: bool) -> Run:
    """`palabre retention run [--dry-run]`, timed, with each commit's moment and the peak
    resident memory during the call."""
    commits: list[float] = []

    def committed(_connection: Any) -> None:
        commits.append(time.perf_counter())

    reset_peak_rss()  # the peak resident memory counts from here (Linux)
    run, before, started = Run(), peak_rss_mb(), time.perf_counter()
    event.listen(app.engine, "commit", committed)
    try:
        report = retention.apply_retention(uow_factory=app.uow_factory, months=MONTHS,
                                           dry_run=dry_run)
    finally:
        event.remove(app.engine, "commit", committed)
    run.seconds, run.rss_mb = time.perf_counter() - started, (before, peak_rss_mb())
    run.totals.update(report.done)
    run.batch_seconds = [b - a for a, b in pairwise([started, *commits])] or [run.seconds]
    return run


def bare_updates(app: App, rows: int) -> Run:
    """The baseline: `rows` rows of inbound_message rewritten in place, 1,000 per statement and
    commit, the ids known beforehand (taken again from the first when the table has fewer)."""
    table = InboundRecord.__table__  # type: ignore[attr-defined]
    with app.engine.connect() as connection:
        ids = list(connection.execute(select(table.c.id).order_by(table.c.id)).scalars())
    wanted = [ids[i % len(ids)] for i in range(rows)]
    run, started = Run(), time.perf_counter()
    for start in range(0, rows, BARE_BATCH):
        began, chosen = time.perf_counter(), wanted[start:start + BARE_BATCH]
        with app.engine.begin() as connection:
            connection.execute(update(table).where(table.c.id.in_(chosen))
                               .values(address=table.c.address))
        run.batch_seconds.append(time.perf_counter() - began)
    run.seconds, run.totals["rows"] = time.perf_counter() - started, rows
    return run


def count(connection: Connection, model: type[SQLModel], *where: Any) -> int:
    """Rows of a table, perhaps filtered."""
    return int(connection.execute(select(func.count()).select_from(model).where(*where))
               .scalar_one())


def people_checks(connection: Connection, seeded: Seeder) -> list[Check]:
    """The right citizens forgotten with their identities, the others' identities kept."""
    forgotten = select(col(Citizen.id)).where(col(Citizen.forgotten_at).is_not(None))
    kept = sum(n for citizen, n in seeded.identities.items() if citizen not in seeded.silent)
    return [
        (f"citizens forgotten that should not be, or not that should ({len(seeded.silent):,} "
         "to forget)", 0, len(seeded.silent ^ set(connection.execute(forgotten).scalars()))),
        ("identities of forgotten citizens", 0,
         count(connection, ChannelIdentity, col(ChannelIdentity.citizen_id).in_(forgotten))),
        ("identities kept (active, or something open)", kept,
         count(connection, ChannelIdentity)),
    ]


def content_checks(app: App, connection: Connection, seeded: Seeder) -> list[Check]:
    """Long-closed submissions anonymous, recordings erased only when transcribed and
    unshared, transcripts kept, old messages without their sender."""
    cutoff = retention.months_before(app.uow_factory.clock.now(), MONTHS)
    stale = select(col(Submission.id)).where(col(Submission.status).in_(retention.CLOSED),
                                             col(Submission.updated_at) < cutoff)
    media = app.settings.media_dir
    files = {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}
    return [
        ("long-closed submissions with an author or a follower", 0, count(
            connection, Submission, col(Submission.id).in_(stale),
            col(Submission.citizen_id).is_not(None))
         + count(connection, Follower, col(Follower.submission_id).in_(stale))),
        (f"recordings that should be gone, or gone that should stay ({len(files):,} left)",
         0, len(files ^ seeded.kept_files)),
        ("transcripts kept", seeded.rows["transcription"], count(connection, Transcription)),
        ("old messages naming their sender", 0, count(
            connection, InboundRecord, col(InboundRecord.received_at) < cutoff,
            col(InboundRecord.address).is_not(None)) + count(
            connection, OutboxRecord, col(OutboxRecord.created_at) < cutoff,
            OutboxRecord.address != "")),
    ]


def checks(app: App, seeded: Seeder) -> list[Check]:
    """What the job left, against what was loaded, and what a second run finds."""
    with app.engine.connect() as connection:
        found = people_checks(connection, seeded) + content_checks(app, connection, seeded)
    return [*found, ("rows a second run handles", 0, run_job(app, dry_run=False).rows)]

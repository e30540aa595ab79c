"""The retention job run to the end as `palabre retention run` does, beside bare updates.

A fresh database per backend (`palabre.bootstrap.prepare`) gets `--citizens` citizens by bulk
Core inserts: identities, a conversation, messages naming their sender and replies, raw provider
posts, one or two submissions (some followed, some with a voice note in the media store and its
transcript). 85% spoke about 30 months ago and not since, 5% too but with a submission still
open, 10% are active. With PALABRE_RETENTION_MONTHS at 24 it times `apply_retention` called as
`palabre retention run` calls it, dry then for real (a batch of each kind per commit), with the
process's peak resident memory; and, before and after the real run, the baseline: as many rows
rewritten by `UPDATE inbound_message SET address = address WHERE id IN (1,000 ids)`, a commit
each, the least a database does to change them, so that a shared, noisy machine's figures
compare. It checks what the job left (exit status 1 if wrong) and that a second run finds none.

    .venv/bin/python -m bench.retention                      # SQLite, and PostgreSQL if set
    .venv/bin/python bench/retention.py --citizens 5000 --sqlite-only
    .venv/bin/python -m bench.retention --pg-url postgresql://postgres@127.0.0.1:5432/test

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a server
on this machine; the database in the URL is only used to create and drop the temporary one.
"""

# ruff: noqa: E402 (the imports below the sys.path line)
from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, update
from sqlmodel import SQLModel, col

if __package__ in (None, ""):  # run as `python bench/retention.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inbox import Picker, outside_transaction
from bench.pipeline import on_each_backend, postgres_problem, progress, row, server_version
from bench.surveys import next_id
from core.citizens.models import ChannelIdentity, Citizen
from core.communes.seed import PILOT_COMMUNES
from core.conversations.models import Conversation
from core.messages.models import Attachment, InboundRecord, OutboxRecord, ProviderPost
from core.retention import service as retention
from core.submissions.models import Follower, Submission
from core.transcripts.models import Transcription
from palabre.bootstrap import App, bootstrap, prepare
from palabre.settings import Settings

DEFAULT_CITIZENS = 10_000
MONTHS, AGE_MONTHS = 24, 30  # the retention period; when the silent last spoke (± 45 days)
BARE_BATCH, SEED = 1000, 2026
SHARED_FILES = 10  # recent voice notes whose file is also an old one's: it must stay
MODELS: tuple[type[SQLModel], ...] = (Citizen, ChannelIdentity, Conversation, ProviderPost,
                                      InboundRecord, OutboxRecord, Submission, Follower,
                                      Attachment, Transcription)  # foreign keys' order
SENT = Picker((("sent", 70), ("delivered", 15), ("read", 8), ("failed", 3), ("held", 2),
               ("pending", 2)))
CLOSED = Picker((("resolved", 55), ("closed", 35), ("rejected", 7), ("duplicate", 3)))
SAID = ("Bonjour", "1", "Le caniveau est bouché devant l'école", "Merci", "2", "Oui")


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


# --- seeding ----------------------------------------------------------------------------------


class Seeder:
    """Rows waiting for a bulk insert, each given the next id of its table; what was loaded
    and what the job must leave of it."""

    def __init__(self, app: App) -> None:
        self.app, self.rng, self.now = app, random.Random(SEED), app.uow_factory.clock.now()
        self.cutoff = retention.months_before(self.now, MONTHS)
        self.waiting: dict[type[SQLModel], list[dict[str, Any]]] = {m: [] for m in MODELS}
        self.ids = {m: next_id(app.engine, m.__table__)  # type: ignore[attr-defined]
                    for m in MODELS if m is not Conversation}
        self.first_citizen, self.rows = self.ids[Citizen], defaultdict[str, int](int)
        self.silent: set[int] = set()  # the citizens the job must forget
        self.identities: dict[int, int] = {}  # citizen → identities
        self.old_files: list[str] = []  # recordings the job must erase
        self.kept_files: set[str] = set()

    def add(self, model: type[SQLModel], /, **values: Any) -> int:
        number = self.ids[model]
        self.ids[model] += 1
        self.waiting[model].append({"id": number, **values})
        return number

    def flush(self) -> None:
        with self.app.engine.begin() as connection:
            for model, rows in self.waiting.items():
                if rows:
                    table = model.__table__  # type: ignore[attr-defined]
                    connection.execute(table.insert(), rows)
                    self.rows[table.name] += len(rows)
                    rows.clear()

    def between(self, first: datetime, last: datetime) -> datetime:
        """A moment between two, never within a day of the cutoff (the job's clock runs on)."""
        at = first + (last - first) * self.rng.random()
        return at + timedelta(days=2) if abs(at - self.cutoff) < timedelta(days=1) else at

    def citizen(self, index: int) -> None:
        """A citizen, 85% silent since about AGE_MONTHS, 5% too but with a submission still
        open, 10% active; their identities, conversation, messages and submissions."""
        rng, active, waiting = self.rng, index % 10 == 0, index % 20 == 1
        first = retention.months_before(self.now, AGE_MONTHS) + timedelta(rng.uniform(-45, 45))
        last = self.now - timedelta(rng.uniform(1, 60)) if active else first + timedelta(
            rng.uniform(0, 30))
        number = self.ids[Citizen]
        citizen = self.add(Citizen, language="fr", commune_id=PILOT_COMMUNES[number % 7],
                           display_name=f"Citoyen {number}", consent_at=first,
                           created_at=first, last_seen_at=last)
        self.waiting[Conversation].append({"citizen_id": citizen, "flow": "menu", "state": "menu",
                                           "data": {}, "offered": [], "updated_at": last})
        channels = ("whatsapp", "telegram") if rng.random() < 0.65 else ("telegram", "whatsapp")
        identities = []
        for channel in channels[:1 + (rng.random() < 0.1)]:  # one in ten uses both
            address = f"229{90_000_000 + number}" if channel == "whatsapp" else f"{number + 10**6}"
            identities.append((channel, address, self.add(
                ChannelIdentity, citizen_id=citizen, channel=channel, address=address,
                display_name=f"Citoyen {number}", created_at=first, last_inbound_at=last)))
        self.identities[citizen] = len(identities)
        if not active and not waiting:
            self.silent.add(citizen)
        posts = rng.randint(1, 2)
        for n in range(rng.randint(2, 5)):
            self.exchange(citizen, identities[n % len(identities)], self.between(first, last),
                          post=n < posts)
        for n in range(1 + (rng.random() < 0.3)):
            self.submission((citizen, identities[0][2]), self.between(first, last),
                            still_open=waiting and n == 0)

    def exchange(self, citizen: int, identity: tuple[str, str, int], at: datetime,
                 post: bool) -> None:
        """One message received (with its raw provider post, if `post`) and the reply to it."""
        (channel, address, identity_id), said = identity, self.rng.choice(SAID)
        external, name = f"{channel}-{self.ids[InboundRecord]}", f"Citoyen {citizen}"
        if post:
            self.add(ProviderPost, channel=channel, external_id=external, received_at=at,
                     payload={"from": address, "name": name, "text": said}, status="processed")
        inbound = self.add(InboundRecord, channel=channel, external_id=external, address=address,
                           display_name=name, identity_id=identity_id, citizen_id=citizen,
                           kind="text", text=said, extra={}, received_at=at, status="processed")
        self.add(OutboxRecord, citizen_id=citizen, identity_id=identity_id, channel=channel,
                 address=address, text="Merci, c'est noté.", choices=[], hints={},
                 in_reply_to=inbound, status=SENT(self.rng), next_attempt_at=at, created_at=at)

    def submission(self, who: tuple[int, int], at: datetime, still_open: bool) -> None:
        """A submission, perhaps followed by another citizen (who, following something open,
        must not be forgotten), perhaps with a voice note."""
        rng = self.rng
        status = rng.choice(("new", "acknowledged")) if still_open else CLOSED(rng)
        updated = at if still_open else self.between(at, min(at + timedelta(60), self.now))
        number = self.ids[Submission]
        submission = self.add(Submission, reference=f"BEN-SIG-{number:07d}", kind="report",
                              status=status, commune_id=PILOT_COMMUNES[number % 7],
                              description=rng.choice(SAID), citizen_id=who[0],
                              identity_id=who[1], channel="whatsapp", labels=[],
                              created_at=at, updated_at=updated)
        if rng.random() < 0.1 and who[0] > self.first_citizen:
            follower = rng.randrange(self.first_citizen, who[0])
            self.add(Follower, submission_id=submission, citizen_id=follower, created_at=updated)
            if still_open:
                self.silent.discard(follower)
        if rng.random() < 0.2:
            self.voice_note(who[0], submission, at, not still_open and updated < self.cutoff)

    def voice_note(self, citizen: int, submission: int, at: datetime, old: bool) -> None:
        """A recording in the media store, its attachment and its transcript (one in ten
        failed: an old recording goes only once transcribed)."""
        heard = self.rng.random() >= 0.1
        erased = old and heard
        if not erased and self.old_files and len(self.kept_files) < SHARED_FILES:
            path = self.old_files[-1]  # the same recording sent again
        else:
            path = self.app.uow_factory.media.put(b"OggS" + self.rng.randbytes(
                self.rng.randint(1500, 4000)), content_type="audio/ogg").path
        (self.old_files.append if erased else self.kept_files.add)(path)
        note = self.add(Attachment, submission_id=submission, kind="voice", path=path,
                        content_type="audio/ogg", size=3000, sha256=Path(path).stem,
                        created_at=at)
        self.add(Transcription, attachment_id=note, citizen_id=citizen, next_attempt_at=at,
                 status="done" if heard else "failed", created_at=at,
                 text="Le caniveau est bouché" if heard else None)


def seed(app: App, citizens: int) -> tuple[Seeder, float]:
    """Bulk-load the citizens and their files, then gather the statistics a live database
    would have; what was loaded and the seconds it took."""
    seeder, started = Seeder(app), time.perf_counter()
    for index in range(citizens):
        seeder.citizen(index)
        if (index + 1) % 2000 == 0:
            seeder.flush()
    seeder.flush()
    sqlite = app.engine.dialect.name == "sqlite"
    outside_transaction(app.engine, ["PRAGMA wal_checkpoint(TRUNCATE)", "ANALYZE"] if sqlite
                        else ["VACUUM ANALYZE"])
    return seeder, time.perf_counter() - started


# --- measuring --------------------------------------------------------------------------------


def run_job(app: App, *, dry_run: bool) -> Run:
    """`palabre retention run [--dry-run]`: one call, which commits a batch at a time (and the
    audit line); the time from one commit to the next is a batch's."""
    commits: list[float] = []

    def committed(_connection: Any) -> None:
        commits.append(time.perf_counter())

    with suppress(OSError):  # the peak resident memory counts from here (Linux)
        Path("/proc/self/clear_refs").write_text("5")
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


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB, since it began or the last reset."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def checks(app: App, seeded: Seeder) -> list[tuple[str, int, int]]:
    """What the job left, against what was loaded: (what, expected, found)."""
    cutoff = retention.months_before(app.uow_factory.clock.now(), MONTHS)
    stale = select(col(Submission.id)).where(col(Submission.status).in_(retention.CLOSED),
                                             col(Submission.updated_at) < cutoff)
    forgotten = select(col(Citizen.id)).where(col(Citizen.forgotten_at).is_not(None))
    kept = sum(n for citizen, n in seeded.identities.items() if citizen not in seeded.silent)
    media = app.settings.media_dir
    files = {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}
    with app.engine.connect() as connection:
        def count(model: type[SQLModel], *where: Any) -> int:
            query = select(func.count()).select_from(model).where(*where)
            return int(connection.execute(query).scalar_one())

        found = [
            (f"citizens forgotten that should not be, or not that should ({len(seeded.silent):,} "
             "to forget)", 0, len(seeded.silent ^ set(connection.execute(forgotten).scalars()))),
            ("identities of forgotten citizens", 0,
             count(ChannelIdentity, col(ChannelIdentity.citizen_id).in_(forgotten))),
            ("identities kept (active, or something open)", kept, count(ChannelIdentity)),
            ("long-closed submissions with an author or a follower", 0, count(
                Submission, col(Submission.id).in_(stale), col(Submission.citizen_id).is_not(
                    None)) + count(Follower, col(Follower.submission_id).in_(stale))),
            (f"recordings that should be gone, or gone that should stay ({len(files):,} left)",
             0, len(files ^ seeded.kept_files)),
            ("transcripts kept", seeded.rows["transcription"], count(Transcription)),
            ("old messages naming their sender", 0, count(
                InboundRecord, col(InboundRecord.received_at) < cutoff,
                col(InboundRecord.address).is_not(None)) + count(
                OutboxRecord, col(OutboxRecord.created_at) < cutoff, OutboxRecord.address != "")),
        ]
    return [*found, ("rows a second run handles", 0, run_job(app, dry_run=False).rows)]


def run_backend(backend: str, url: str, media: Path, citizens: int) -> bool:
    """Migrate a fresh database, load it, time the dry run, the baseline and the run, check,
    print what it found; whether every check passed."""
    settings = Settings(database_url=url, media_dir=media, enabled_communes=",".join(
        PILOT_COMMUNES), console_commune="", _env_file=None)  # type: ignore[call-arg]
    app = bootstrap(settings)
    try:
        progress(f"{backend}: migrating, loading {citizens:,} citizens, dry run, baseline")
        prepare(app)
        seeded, seconds = seed(app, citizens)
        dry = run_job(app, dry_run=True)
        before = bare_updates(app, dry.rows)
        progress(f"{backend}: the retention run")
        real = run_job(app, dry_run=False)
        runs = {"dry run": dry, "bare updates": before, "retention run": real,
                "bare updates (2)": bare_updates(app, dry.rows)}
        found = checks(app, seeded)
        print(f"\n{backend}: {server_version(app.engine)}\n  loaded in {seconds:.1f} s: "
              + ", ".join(f"{table} {n:,}" for table, n in seeded.rows.items()),
              *measures(backend, runs, dry.rows), *details(real, found), sep="\n", flush=True)
        return all(expected == got for _, expected, got in found)
    finally:
        app.engine.dispose()


# --- report -----------------------------------------------------------------------------------


def measures(backend: str, runs: dict[str, Run], rows: int) -> list[str]:
    """A line per run of `rows` rows: commits, rows per second, seconds, ÷ base."""
    base = statistics.mean(run.seconds for name, run in runs.items() if name.startswith("bare"))
    return ["", row(("backend", "measure", "n", "rows", "rows/s", "seconds", "÷ base")),
            row(("-" * 11, "-" * 16, "-" * 6, "-" * 10, "-" * 9, "-" * 9, "-" * 9)),
            *(row((backend, name, str(len(run.batch_seconds)), f"{rows:,}",
                   f"{rows / run.seconds:,.0f}", f"{run.seconds:.2f}",
                   f"{run.seconds / base:.2f}")) for name, run in runs.items()), ""]


def details(real: Run, found: list[tuple[str, int, int]]) -> list[str]:
    """The run's kinds, batches and memory; the checks."""
    times, (before, peak) = real.batch_seconds, real.rss_mb
    worst = max(range(len(times)), key=times.__getitem__)
    return ["  the run's report: " + ", ".join(f"{kind} {n:,}" for kind, n in real.totals.items()),
            f"  batches: first {times[0]:.2f} s, median {statistics.median(times):.2f} s, "
            f"slowest {times[worst]:.2f} s (batch {worst + 1} of {len(times)}); peak resident "
            f"memory {peak:.0f} MiB, {peak - before:+.0f} MiB during the run",
            *(f"  check {'ok' if expected == got else 'FAILED':6} {what}: expected "
              f"{expected:,}, found {got:,}" for what, expected, got in found)]


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.retention", description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=DEFAULT_CITIZENS,
                        help=f"citizens to load per backend (default {DEFAULT_CITIZENS:,})")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server to create the temporary database on "
                             "(default: TEST_DATABASE_URL or BENCH_DATABASE_URL)")
    args = parser.parse_args(argv)
    problem = postgres_problem(args.pg_url) if args.pg_url and not args.sqlite_only else None
    if args.citizens < 20 or problem:
        parser.error(f"--pg-url: {problem}" if problem else "--citizens: at least 20")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given; 1 when a check failed."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(f"Palabre retention benchmark: {args.citizens:,} citizens per backend, PALABRE_"
          f"RETENTION_MONTHS={MONTHS}, batches of {retention.BATCH:,} rows of each kind\n"
          f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    passed, skipped = on_each_backend(args.pg_url, args.sqlite_only, lambda name, url, media:
                                      run_backend(name, url, media, args.citizens))
    print("\nn: commits (the run's: its batches and its audit line); rows: what the dry run "
          "counts, which the run changes; ÷ base: seconds over the mean of the bare updates'",
          *([skipped] if skipped else []), sep="\n")
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())

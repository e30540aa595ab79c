"""Dialog turns per second and per-turn latency through the whole pipeline.

A *turn* is what one citizen message costs from the moment a channel adapter hands it over:
`Pipeline.receive` stores the inbound message (one commit), then `Pipeline.process_pending`
runs its turn (claim the message, load the conversation, run one pure step, carry out the
commands, store the new state and the outbox row, one commit). Delivery is a separate step and
is not measured: no messenger is wired, so replies stay in the outbox.

Scripted citizens drive the real flows on the console channel: onboarding (language, commune,
consent, skip the optional questions), a geolocated report (category, pin, no photo,
description, then send it, or follow a similar report already filed nearby), and then a
follow-up look, an idea or the support of an idea. Citizens are spread over the pilot communes.

Beside the turns, in the same run and database, the same number of bare row inserts into a
throwaway table, each in its own transaction like a turn, gives the floor the database itself
sets. Turns and inserts alternate, so both see the same database and machine state. A warm-up
citizen and a few inserts run first and are not counted.

Each backend gets a fresh database: a temporary SQLite file, and for PostgreSQL a temporary
database created on the server given (dropped at the end). Only 127.0.0.1 is contacted.

Run it from the repository root:

    .venv/bin/python -m bench.pipeline                       # SQLite, and PostgreSQL if set
    .venv/bin/python bench/pipeline.py --turns 500 --sqlite-only
    .venv/bin/python -m bench.pipeline --pg-url postgresql://postgres@127.0.0.1:5432/test

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a
server; the database in the URL is only used to create and drop the temporary one.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import platform
import random
import socket
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    make_url,
    text,
)
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, SQLModel, col, select

if __package__ in (None, ""):  # run as `python bench/pipeline.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.citizens.models import Citizen  # noqa: E402
from core.communes.seed import PILOT_COMMUNES  # noqa: E402
from core.conversations.models import Conversation  # noqa: E402
from core.db import normalise_url  # noqa: E402
from core.geo import Point  # noqa: E402
from core.messages.models import InboundRecord, OutboxRecord  # noqa: E402
from core.messages.neutral import InboundMessage  # noqa: E402
from core.submissions.models import Follower, Submission, Support  # noqa: E402
from palabre.bootstrap import App, bootstrap, prepare  # noqa: E402
from palabre.settings import Settings  # noqa: E402

DEFAULT_TURNS = 1000
WARMUP_INSERTS = 20
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
COMMUNE_NAMES = ("Cotonou", "Abomey-Calavi", "Akpro-Missérété", "Bohicon", "Banikoara", "Toffo",
                 "Avrankou")
DESCRIPTIONS = (
    "Le caniveau est bouché devant l'école primaire",
    "Nid de poule énorme au carrefour, les motos tombent",
    "Le lampadaire ne s'allume plus depuis une semaine",
    "Tas d'ordures qui déborde sur la voie près du marché",
    "La pompe du forage est cassée, plus d'eau au quartier",
)
IDEAS = (
    ("Planter des arbres au marché", "Planter des arbres autour du marché pour faire de l'ombre"),
    ("Bancs à la gare routière", "Installer des bancs et un abri à la gare routière"),
    ("Collecte des ordures le samedi", "Un passage de collecte chaque samedi matin par quartier"),
)

Said = tuple[str | None, Point | None]  # the text or the pin of one citizen message


# --- what the citizens say ------------------------------------------------------------------


def citizen_script(index: int, rng: random.Random) -> list[Said]:
    """Everything one citizen sends: onboarding, a report, then one more thing from the menu."""
    commune = COMMUNE_NAMES[index % len(COMMUNE_NAMES)]
    onboarding: list[Said] = [("Bonjour", None), ("1", None), (commune, None), ("1", None),
                              ("5", None)]  # French, commune, consent, skip the questions
    pin = Point(6.36 + rng.random() * 0.02, 2.38 + rng.random() * 0.02)
    report: list[Said] = [("1", None), (str(1 + index % 3), None), (None, pin), ("1", None),
                          (DESCRIPTIONS[index % len(DESCRIPTIONS)], None), ("1", None)]
    # the last "1" sends the report, or follows the similar one offered instead
    return onboarding + report + _afterwards(index)


def _afterwards(index: int) -> list[Said]:
    """After the report: propose an idea, support an idea of one's commune, or look at one's
    follow-up (also for the first supporters, whose commune has no idea yet)."""
    if index % 3 == 1:
        title, description = IDEAS[index % len(IDEAS)]
        return [("3", None), (title, None), (description, None)]
    if index % 3 == 2 and index >= len(COMMUNE_NAMES):  # citizen index - 7 proposed one
        return [("4", None), ("1", None)]
    return [("5", None), ("1", None)]


def messages(turns: int, seed: int = 7) -> Iterator[tuple[str, Said]]:
    """The first `turns` messages of citizens talking one after the other, with their address."""
    rng = random.Random(seed)
    sent, index = 0, 0
    while sent < turns:
        for said in citizen_script(index, rng):
            if sent == turns:
                return
            yield f"bench-{index:05d}", said
            sent += 1
        index += 1


def inbound(address: str, said: Said) -> InboundMessage:
    """A console message with a fresh provider id."""
    words, pin = said
    return InboundMessage(channel="console", address=address, account="console",
                          external_id=uuid.uuid4().hex, text=words, location=pin)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Latencies:
    """Seconds taken by each repetition of one operation."""

    seconds: list[float] = field(default_factory=list)

    def per_second(self) -> float:
        """Sequential throughput: repetitions divided by the time they took together."""
        total = sum(self.seconds)
        return len(self.seconds) / total if total else math.inf

    def ms(self, percent: float) -> float:
        """The nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.seconds)
        rank = max(1, math.ceil(percent / 100 * len(ordered)))
        return ordered[rank - 1] * 1000


@dataclass
class Result:
    """What one backend measured, and what the run left in its database."""

    backend: str
    version: str
    turn: Latencies = field(default_factory=Latencies)
    store: Latencies = field(default_factory=Latencies)
    step: Latencies = field(default_factory=Latencies)
    insert: Latencies = field(default_factory=Latencies)
    irregular: int = 0  # turns where process_pending did not handle exactly one message
    checks: dict[str, int] = field(default_factory=dict)


def scratch_table() -> Table:
    """The throwaway table of the baseline: an id and a short text, nothing else."""
    return Table("bench_scratch", MetaData(), Column("id", Integer, primary_key=True),
                 Column("payload", String(100), nullable=False))


def timed_turn(app: App, message: InboundMessage, result: Result) -> None:
    """Store one message and run its turn, timing both halves."""
    started = time.perf_counter()
    app.pipeline.receive(message)
    stored = time.perf_counter()
    handled = app.pipeline.process_pending()
    done = time.perf_counter()
    result.store.seconds.append(stored - started)
    result.step.seconds.append(done - stored)
    result.turn.seconds.append(done - started)
    result.irregular += handled != 1


def timed_insert(engine: Engine, table: Table, number: int, result: Result) -> None:
    """Insert one bare row in its own transaction, timed."""
    statement = insert(table).values(payload=f"row {number}")
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(statement)
    result.insert.seconds.append(time.perf_counter() - started)


def warm_up(app: App, table: Table) -> int:
    """One full citizen and a few inserts, not counted; returns the messages sent."""
    script = citizen_script(0, random.Random(0))
    for said in script:
        app.pipeline.receive(inbound("bench-warmup", said))
        app.pipeline.process_pending()
    with app.engine.begin() as connection:
        for number in range(WARMUP_INSERTS):
            connection.execute(insert(table).values(payload=f"warm-up {number}"))
    return len(script)


def run_backend(backend: str, url: str, media: Path, turns: int) -> Result:
    """Migrate a fresh database, then alternate timed turns and timed bare inserts."""
    settings = Settings(database_url=url, media_dir=media, enabled_communes=",".join(
        PILOT_COMMUNES), console_commune="", _env_file=None)  # type: ignore[call-arg]
    app = bootstrap(settings)
    try:
        progress(f"{backend}: migrating and loading the communes")
        prepare(app)
        table = scratch_table()
        table.create(app.engine)
        result = Result(backend, server_version(app.engine))
        sent = warm_up(app, table)
        progress(f"{backend}: {turns} turns and {turns} inserts")
        for number, (address, said) in enumerate(messages(turns)):
            timed_turn(app, inbound(address, said), result)
            timed_insert(app.engine, table, number, result)
        result.checks = checks(app, sent + turns)
        table.drop(app.engine)
        return result
    finally:
        app.engine.dispose()


def server_version(engine: Engine) -> str:
    """The database's own version, for the report."""
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as connection:
        return f"PostgreSQL {connection.execute(text('SHOW server_version')).scalar_one()}"


def checks(app: App, sent: int) -> dict[str, int]:
    """Counts showing the turns did the real work: processed, replied, filed, supported."""
    with Session(app.engine) as session:
        def count(model: type[SQLModel], *where: Any) -> int:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

        return {
            "sent": sent,
            "processed": count(InboundRecord, col(InboundRecord.status) == "processed"),
            "unprocessed": count(InboundRecord, col(InboundRecord.status) != "processed"),
            "replies": count(OutboxRecord),
            "reports": count(Submission, col(Submission.kind) == "report"),
            "ideas": count(Submission, col(Submission.kind) == "idea"),
            "follows": count(Follower),
            "supports": count(Support),
            "citizens": count(Citizen),
            "mid-flow": count(Conversation, col(Conversation.flow) != "menu"),
        }


# --- databases --------------------------------------------------------------------------------


@contextmanager
def temporary_sqlite() -> Iterator[tuple[str, Path]]:
    """A SQLite URL and a media folder inside a temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="palabre-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder) / "media"


@contextmanager
def temporary_postgres(base_url: str) -> Iterator[tuple[str, Path]]:
    """A freshly created PostgreSQL database (dropped afterwards) and a temporary media folder."""
    base = make_url(normalise_url(base_url))
    name = f"palabre_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            with tempfile.TemporaryDirectory(prefix="palabre-bench-") as folder:
                yield (base.set(database=name).render_as_string(hide_password=False),
                       Path(folder) / "media")
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def local_network_only() -> Iterator[None]:
    """Refuse any Python-level connection to a host other than this machine."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and address[0] not in LOCAL_HOSTS:
            raise ConnectionRefusedError(f"the benchmark stays on this machine: {address}")
        return real(self, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.connect = real  # type: ignore[method-assign]


# --- report -----------------------------------------------------------------------------------


def progress(line: str) -> None:
    """A note on stderr, so stdout holds only the report."""
    print(f"... {line}", file=sys.stderr, flush=True)


def row(cells: Sequence[str]) -> str:
    """One line of the table: the first two columns left-aligned, the numbers right-aligned."""
    widths = (11, 16, 6, 10, 9, 9, 9)
    return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                     for i, (cell, w) in enumerate(zip(cells, widths, strict=True))).rstrip()


def measured(backend: str, what: str, latencies: Latencies) -> str:
    """A table line for one timed operation."""
    return row((backend, what, str(len(latencies.seconds)), f"{latencies.per_second():.1f}",
                f"{latencies.ms(50):.2f}", f"{latencies.ms(99):.2f}",
                f"{sum(latencies.seconds) * 1000 / len(latencies.seconds):.2f}"))


def ratios(backend: str, result: Result) -> str:
    """How many bare inserts one turn is worth: throughput ratio and latency ratios."""
    turn, bare = result.turn, result.insert
    return row((backend, "turn ÷ insert", "", f"{turn.per_second() / bare.per_second():.3f}x",
                f"{turn.ms(50) / bare.ms(50):.1f}x", f"{turn.ms(99) / bare.ms(99):.1f}x",
                f"{sum(turn.seconds) / sum(bare.seconds):.1f}x"))


def checked(result: Result) -> str:
    """What the run left in one backend's database, to show the turns did the real work."""
    c = result.checks
    return (f"{result.backend}: {c['processed']}/{c['sent']} messages processed "
            f"({c['unprocessed']} not, {result.irregular} irregular turns), "
            f"{c['replies']} replies queued, {c['reports']} reports, {c['follows']} follows, "
            f"{c['ideas']} ideas, {c['supports']} supports, {c['citizens']} citizens, "
            f"{c['mid-flow']} mid-flow")


def report(results: Sequence[Result], turns: int, skipped: str | None) -> str:
    """The whole printed report: setting, one block of lines per backend, notes."""
    lines = [
        f"Palabre pipeline benchmark: {turns} turns per backend "
        "(store inbound → step → store outbox), sequential, one process",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        + "; ".join(r.version for r in results),
        "",
        row(("backend", "measure", "n", "per s", "p50 ms", "p99 ms", "mean ms")),
        row(("-" * 11, "-" * 16, "-" * 6, "-" * 10, "-" * 9, "-" * 9, "-" * 9)),
    ]
    for result in results:
        name = result.backend
        lines += [measured(name, "dialog turn", result.turn),
                  measured(name, "  store inbound", result.store),
                  measured(name, "  step + outbox", result.step),
                  measured(name, "bare insert", result.insert),
                  ratios(name, result), ""]
    lines += ["per s: sequential throughput; turn ÷ insert: throughput ratio, then p50, p99 "
              "and mean latency ratios",
              "checks count the warm-up citizen too; the last citizen is mid-flow when --turns "
              "ends inside their script"]
    lines += [f"checks: {c}" for c in map(checked, results)]
    if skipped:
        lines.append(skipped)
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many turns, which backends."""
    parser = argparse.ArgumentParser(prog="bench.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=DEFAULT_TURNS,
                        help=f"timed turns, and as many bare inserts, per backend "
                             f"(default {DEFAULT_TURNS})")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server to create the temporary database on "
                             "(default: TEST_DATABASE_URL or BENCH_DATABASE_URL)")
    args = parser.parse_args(argv)
    if args.turns < 1:
        parser.error("--turns must be at least 1")
    problem = postgres_problem(args.pg_url) if args.pg_url and not args.sqlite_only else None
    if problem:
        parser.error(f"--pg-url: {problem}")
    return args


def postgres_problem(url: str) -> str | None:
    """Why this URL cannot be benchmarked: not PostgreSQL, or not on this machine."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return f"not a database URL: {url!r}"
    if parsed.get_backend_name() != "postgresql":
        return f"not a PostgreSQL URL: {parsed.get_backend_name()}"
    if parsed.host not in (None, "", *LOCAL_HOSTS):
        return f"the server must be on this machine, not {parsed.host}"
    return None


R = TypeVar("R")


def on_each_backend(pg_url: str | None, sqlite_only: bool,
                    run: Callable[[str, str, Path], R],
                    names: tuple[str, str] = ("sqlite", "postgresql"),
                    ) -> tuple[list[R], str | None]:
    """Run a measure on a throw-away SQLite database, then on a throw-away PostgreSQL one
    when a server is given, with only this machine reachable; the results, and why
    PostgreSQL was skipped (None when it ran)."""
    results: list[R] = []
    skipped = None
    with local_network_only():
        with temporary_sqlite() as (url, media):
            results.append(run(names[0], url, media))
        if sqlite_only:
            skipped = "PostgreSQL skipped (--sqlite-only)."
        elif not pg_url:
            skipped = ("PostgreSQL skipped: give --pg-url or set TEST_DATABASE_URL "
                       "(e.g. postgresql://postgres@127.0.0.1:5432/test).")
        else:
            with temporary_postgres(pg_url) as (url, media):
                results.append(run(names[1], url, media))
    return results, skipped


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the table."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    results, skipped = on_each_backend(
        args.pg_url, args.sqlite_only,
        lambda name, url, media: run_backend(name, url, media, args.turns))
    print(report(results, args.turns, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())

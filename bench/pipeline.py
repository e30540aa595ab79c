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

Then a **burst** (`--burst`, default 200 citizens; 0 skips it): new citizens' scripts stored
round by round (every citizen's next message, then the worker drains them), the turn alone
as a worker runs it under load, no web process. Half the citizens are drained one turn per
transaction (batches of 1), the other half in the worker's batches (up to 16 turns a commit),
round after round in the same run: turns/s and CPU per turn for each, and their ratio.

Each backend gets a fresh database (bench/common/backends.py): a temporary SQLite file, and for
PostgreSQL a temporary database created on the server given (dropped at the end). Only
127.0.0.1 is contacted.

Run it from the repository root:

    .venv/bin/python -m bench.pipeline                       # SQLite, and PostgreSQL if set
    .venv/bin/python -m bench.pipeline --turns 500 --sqlite-only --burst 0
    .venv/bin/python -m bench.pipeline --pg-url postgresql://postgres@127.0.0.1:5432/test

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a
server; the database in the URL is only used to create and drop the temporary one.
"""
from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert
from sqlmodel import Session, SQLModel, col, select

from bench.common.backends import server_version
from bench.common.cli import at_least, backend_parser, measure_and_print, parse
from bench.common.database import pilot_app
from bench.common.measures import Latencies
from bench.common.report import Columns, machine, progress
from core.citizens.models import Citizen
from core.conversations.models import Conversation
from core.geo import Point
from core.messages.models import InboundRecord, OutboxRecord
from core.messages.neutral import InboundMessage
from core.submissions.models import Follower, Submission, Support
from palabre.bootstrap import App, prepare

DEFAULT_TURNS = 1000
DEFAULT_BURST = 200
BATCHED = 16  # the worker's batch (dialogs.runner.DEFAULT_BATCH_SIZE)
WARMUP_INSERTS = 20
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
    burst: dict[int, Drained] = field(default_factory=dict)  # batch size -> what it drained


@dataclass
class Drained:
    """A burst's turns drained with one batch size: how many, wall and CPU seconds."""

    turns: int = 0
    wall: float = 0.0
    cpu: float = 0.0


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


def alternate(app: App, table: Table, turns: int, result: Result) -> None:
    """Timed turns and timed bare inserts, one after the other, so both see the same moment."""
    for number, (address, said) in enumerate(messages(turns)):
        timed_turn(app, inbound(address, said), result)
        timed_insert(app.engine, table, number, result)


def burst(app: App, citizens: int, result: Result) -> None:
    """Citizens (numbered after the sequential ones) writing round by round; each round, the
    odd ones' messages drained in batches of 1, then the even ones' in the worker's batches."""
    scripts = {f"burst-{n:05d}": citizen_script(n, random.Random(n))
               for n in range(100_000, 100_000 + citizens)}
    halves = {1: [a for n, a in enumerate(scripts) if n % 2],
              BATCHED: [a for n, a in enumerate(scripts) if not n % 2]}
    dialogs = app.pipeline.dialogs
    kept = dialogs.batch_size
    try:
        for round_ in range(max(len(s) for s in scripts.values())):
            for size, addresses in halves.items():
                for address in addresses:
                    if round_ < len(scripts[address]):
                        app.pipeline.receive(inbound(address, scripts[address][round_]))
                dialogs.batch_size = size
                drained = result.burst.setdefault(size, Drained())
                wall, cpu = time.perf_counter(), time.process_time()
                drained.turns += dialogs.process_pending(limit=citizens)
                drained.wall += time.perf_counter() - wall
                drained.cpu += time.process_time() - cpu
    finally:
        dialogs.batch_size = kept


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    """Migrate a fresh database, then alternate timed turns and timed bare inserts."""
    turns = args.turns
    with pilot_app(url, media) as app:
        progress(f"{backend}: migrating and loading the communes")
        prepare(app)
        table = scratch_table()
        table.create(app.engine)
        result = Result(backend, server_version(app.engine))
        sent = warm_up(app, table)
        progress(f"{backend}: {turns} turns and {turns} inserts")
        alternate(app, table, turns, result)
        result.checks = checks(app, sent + turns)
        if args.burst:
            progress(f"{backend}: a burst of {args.burst} citizens")
            burst(app, args.burst, result)
        table.drop(app.engine)
        return result


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


# --- report -----------------------------------------------------------------------------------

TABLE = Columns((11, 16, 6, 10, 9, 9, 9), left=2)


def measured(backend: str, what: str, latencies: Latencies) -> str:
    """A table line for one timed operation."""
    return TABLE.line((backend, what, str(len(latencies.seconds)),
                       f"{latencies.per_second():.1f}", f"{latencies.ms(50):.2f}",
                       f"{latencies.ms(99):.2f}",
                       f"{sum(latencies.seconds) * 1000 / len(latencies.seconds):.2f}"))


def ratios(backend: str, result: Result) -> str:
    """How many bare inserts one turn is worth: throughput ratio and latency ratios."""
    turn, bare = result.turn, result.insert
    return TABLE.line((backend, "turn ÷ insert", "",
                       f"{turn.per_second() / bare.per_second():.3f}x",
                       f"{turn.ms(50) / bare.ms(50):.1f}x", f"{turn.ms(99) / bare.ms(99):.1f}x",
                       f"{sum(turn.seconds) / sum(bare.seconds):.1f}x"))


def backend_lines(result: Result) -> list[str]:
    """One backend's block of the table: the turn, its two halves, the baseline, the ratios."""
    name = result.backend
    return [measured(name, "dialog turn", result.turn),
            measured(name, "  store inbound", result.store),
            measured(name, "  step + outbox", result.step),
            measured(name, "bare insert", result.insert), ratios(name, result), ""]


def burst_lines(result: Result) -> list[str]:
    """The burst's two halves, and how many times faster the batches drained theirs."""
    if not result.burst:
        return []
    lines = []
    for size, drained in sorted(result.burst.items()):
        if not drained.turns:
            lines.append(f"{result.backend}: burst, batches of {size:>2}: no turn handled")
            continue
        lines.append(f"{result.backend}: burst, batches of {size:>2}: {drained.turns} turns, "
                     f"{drained.turns / drained.wall:.1f} turns/s, "
                     f"{drained.cpu * 1000 / drained.turns:.2f} ms of CPU a turn")
    one, batched = result.burst[1], result.burst[BATCHED]
    if one.turns and batched.turns:
        lines.append(f"{result.backend}: burst, batched ÷ one at a time: "
                     f"{(batched.turns / batched.wall) / (one.turns / one.wall):.2f}x turns/s")
    return lines


def checked(result: Result) -> str:
    """What the run left in one backend's database, to show the turns did the real work."""
    c = result.checks
    return (f"{result.backend}: {c['processed']}/{c['sent']} messages processed "
            f"({c['unprocessed']} not, {result.irregular} irregular turns), "
            f"{c['replies']} replies queued, {c['reports']} reports, {c['follows']} follows, "
            f"{c['ideas']} ideas, {c['supports']} supports, {c['citizens']} citizens, "
            f"{c['mid-flow']} mid-flow")


def report(results: Sequence[Result], args: argparse.Namespace, skipped: str | None) -> str:
    """The whole printed report: setting, one block of lines per backend, notes."""
    lines = [f"Palabre pipeline benchmark: {args.turns} turns per backend "
             "(store inbound → step → store outbox), sequential, one process",
             f"{machine()}; " + "; ".join(r.version for r in results), "",
             TABLE.line(("backend", "measure", "n", "per s", "p50 ms", "p99 ms", "mean ms")),
             TABLE.rule()]
    for result in results:
        lines += backend_lines(result)
    lines += ["per s: sequential throughput; turn ÷ insert: throughput ratio, then p50, p99 "
              "and mean latency ratios",
              "checks count the warm-up citizen too; the last citizen is mid-flow when --turns "
              "ends inside their script"]
    lines += [f"checks: {c}" for c in map(checked, results)]
    lines += [line for result in results for line in burst_lines(result)]
    return "\n".join(lines + ([skipped] if skipped else []))


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many turns, which backends."""
    parser = backend_parser("bench.pipeline", __doc__)
    parser.add_argument("--turns", type=int, default=DEFAULT_TURNS,
                        help=f"timed turns, and as many bare inserts, per backend "
                             f"(default {DEFAULT_TURNS})")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST,
                        help=f"citizens in the burst after the timed turns, 0 for none "
                             f"(default {DEFAULT_BURST})")
    args = parse(parser, argv)
    at_least(parser, args, 1, "turns")
    at_least(parser, args, 0, "burst")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the table."""
    return measure_and_print(arguments(argv), run_backend, report)


if __name__ == "__main__":
    raise SystemExit(main())

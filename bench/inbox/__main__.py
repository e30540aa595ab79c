"""`python -m bench.inbox`: load each backend, measure every query, print the report."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import bench.inbox
from bench.common.backends import server_version
from bench.common.cli import at_least, backend_parser, measure_and_print, parse
from bench.common.database import pilot_app
from bench.common.report import progress
from bench.inbox.experiments import STEPS, run_experiments
from bench.inbox.generate import Tally
from bench.inbox.measure import MIN_REPEAT, Capture, measure_all, plans
from bench.inbox.queries import typical_queries
from bench.inbox.report import Result, report
from bench.inbox.seed import add_moderators, read_world, seed
from palabre.bootstrap import App, prepare

DEFAULT_ROWS = 1_000_000
DEFAULT_REPEAT = 200
DEFAULT_BUDGET = 30.0  # seconds of timed calls per query before stopping early
SEED = 2024


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    """Migrate a fresh database, load the rows, measure, then experiment if asked."""
    with pilot_app(url, media) as app:
        progress(f"{backend}: migrating and loading the communes")
        prepare(app)
        world = read_world(app)
        add_moderators(app, world)
        now = datetime.now(UTC).replace(microsecond=0)
        tally = Tally()
        seeded = seed(app, world, args.rows, now, tally, args.seed)
        queries = typical_queries(app, world, tally, now)
        version = describe_server(app)
        before = os.getloadavg()[0]
        measured = measure_all(app, queries, args.repeat, args.budget, backend)
        result = Result(backend, version, seeded, tally, measured,
                        (before, os.getloadavg()[0]))
        capture = Capture(app.engine) if args.explain else None
        result.plans = plans(app, queries, capture) if capture else []
        if args.experiments:
            result.steps = run_experiments(app, queries, args, capture, result.skipped_steps)
        return result


def describe_server(app: App) -> str:
    """The server's version, and on PostgreSQL the memory settings that shape the plans."""
    version = server_version(app.engine)
    if app.engine.dialect.name == "sqlite":
        return version
    with app.engine.connect() as connection:
        settings = {name: connection.exec_driver_sql(f"SHOW {name}").scalar_one()
                    for name in ("shared_buffers", "work_mem")}
    return f"{version} ({', '.join(f'{k} {v}' for k, v in settings.items())})"


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many rows and calls, which backends, what else to do."""
    parser = backend_parser("bench.inbox", bench.inbox.__doc__)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                        help=f"submissions to load per backend (default {DEFAULT_ROWS:,})")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT,
                        help=f"timed calls per query (default {DEFAULT_REPEAT})")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                        help="seconds of timed calls after which a slow query stops early, "
                             f"after at least {MIN_REPEAT} calls (default {DEFAULT_BUDGET:.0f})")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated data")
    parser.add_argument("--explain", action="store_true",
                        help="print each query's plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)")
    parser.add_argument("--experiments", action="store_true",
                        help="afterwards, add the indexes and query changes under study to the "
                             "throw-away databases and measure again (marked EXPERIMENT)")
    chosen = ",".join(s.name for s in STEPS if s.default)
    parser.add_argument("--steps", default=chosen,
                        help="with --experiments: which steps, in which order (default "
                             f"{chosen}; also: "
                             f"{','.join(s.name for s in STEPS if not s.default)})")
    return checked(parser, parse(parser, argv))


def checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """The arguments with --steps as a list, refusing unknown steps and empty runs."""
    args.steps = [name.strip() for name in args.steps.split(",") if name.strip()]
    unknown = set(args.steps) - {s.name for s in STEPS}
    if unknown:
        parser.error(f"--steps: unknown {', '.join(sorted(unknown))}")
    at_least(parser, args, 1, "rows", "repeat")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the report."""
    return measure_and_print(arguments(argv), run_backend, report)


if __name__ == "__main__":
    raise SystemExit(main())

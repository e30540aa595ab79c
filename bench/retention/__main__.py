"""`python -m bench.retention`: load each backend, time the job beside bare updates, check it,
print as it goes; exit status 1 when a check failed."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import bench.retention
from bench.common.backends import on_each_backend, server_version
from bench.common.cli import at_least, backend_parser, parse, quiet_logging
from bench.common.database import pilot_app
from bench.common.report import machine, progress
from bench.retention.measure import bare_updates, checks, run_job
from bench.retention.report import FOOTNOTE, details, loaded, measures
from bench.retention.seed import MONTHS, seed
from core.retention import service as retention
from palabre.bootstrap import prepare

DEFAULT_CITIZENS = 10_000


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> bool:
    """Migrate a fresh database, load it, time the dry run, the baseline and the run, check,
    print what it found; whether every check passed."""
    citizens = args.citizens
    with pilot_app(url, media) as app:
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
        print(loaded(backend, server_version(app.engine), seeded.rows, seconds),
              *measures(backend, runs, dry.rows), *details(real, found), sep="\n", flush=True)
        return all(expected == got for _, expected, got in found)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many citizens, which backends."""
    parser = backend_parser("bench.retention", bench.retention.__doc__)
    parser.add_argument("--citizens", type=int, default=DEFAULT_CITIZENS,
                        help=f"citizens to load per backend (default {DEFAULT_CITIZENS:,})")
    args = parse(parser, argv)
    at_least(parser, args, 20, "citizens")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given; 1 when a check failed."""
    args = arguments(argv)
    quiet_logging()
    print(f"Palabre retention benchmark: {args.citizens:,} citizens per backend, PALABRE_"
          f"RETENTION_MONTHS={MONTHS}, batches of {retention.BATCH:,} rows of each kind\n"
          f"{machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    passed, skipped = on_each_backend(args, partial(run_backend, args=args))
    print(FOOTNOTE, *([skipped] if skipped else []), sep="\n")
    return 0 if all(passed) else 1


if __name__ == "__main__":
    raise SystemExit(main())

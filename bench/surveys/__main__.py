"""`python -m bench.surveys`: load a survey on each backend, measure, check, print."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import bench.surveys
from bench.common.backends import server_version
from bench.common.cli import at_least, backend_parser, measure_and_print, parse, quick_or
from bench.common.database import pilot_app
from bench.common.report import progress
from bench.surveys.measure import check, measure, profile_results
from bench.surveys.report import Result, report
from bench.surveys.seed import seed
from palabre.bootstrap import prepare
from palabre.web import GC_THRESHOLDS, settle_memory

DEFAULT_RESPONSES, QUICK_RESPONSES = 20_000, 2_000
DEFAULT_REPEAT, QUICK_REPEAT = 5, 3
SEED = 2026


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    """Migrate a fresh database, load the survey, measure, check."""
    with pilot_app(url, media) as app:
        progress(f"{backend}: migrating and loading the communes")
        prepare(app)
        progress(f"{backend}: loading {args.responses:,} answer sets")
        seeded = seed(app, args.responses, args.seed)
        if args.serve_gc:
            settle_memory()  # as `palabre serve` does before serving
        version = server_version(app.engine)
        before = os.getloadavg()[0]
        measured = measure(app, seeded.survey_id, args.repeat)
        load = (before, os.getloadavg()[0])
        checks = check(seeded, measured)
        shown = profile_results(app, seeded.survey_id) if args.profile else ""
        return Result(backend, version, seeded, measured, checks, load, shown)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many answer sets and rounds, which backends, what else to do."""
    parser = backend_parser("bench.surveys", bench.surveys.__doc__)
    parser.add_argument("--responses", type=int, default=None,
                        help=f"completed answer sets to load per backend (default "
                             f"{DEFAULT_RESPONSES:,}, {QUICK_RESPONSES:,} with --quick)")
    parser.add_argument("--repeat", type=int, default=None,
                        help=f"timed rounds (default {DEFAULT_REPEAT}, {QUICK_REPEAT} with "
                             "--quick)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_RESPONSES:,} answer sets and {QUICK_REPEAT} rounds")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated data")
    parser.add_argument("--profile", action="store_true",
                        help="print where one results() call spends its time (cProfile)")
    parser.add_argument("--serve-gc", action="store_true",
                        help="collect garbage as `palabre serve` does (gc.freeze after the "
                             f"load, thresholds {GC_THRESHOLDS}) rather than with Python's "
                             "defaults")
    args = parse(parser, argv)
    args.responses = quick_or(args.responses, args.quick, full=DEFAULT_RESPONSES,
                              small=QUICK_RESPONSES)
    args.repeat = quick_or(args.repeat, args.quick, full=DEFAULT_REPEAT, small=QUICK_REPEAT)
    if args.responses < 20:
        parser.error("--responses must be at least 20 (the small groups come first)")
    at_least(parser, args, 1, "repeat", "responses")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the report."""
    return measure_and_print(arguments(argv), run_backend, report)


if __name__ == "__main__":
    raise SystemExit(main())

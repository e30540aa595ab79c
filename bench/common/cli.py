"""The command line every database benchmark shares, and its main loop.

`--pg-url` (default TEST_DATABASE_URL or BENCH_DATABASE_URL) names a PostgreSQL server of
this machine on which a temporary database is created and dropped; `--sqlite-only` skips it.
A benchmark adds its own options, then measures each backend in turn and prints one report.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bench.common.backends import NAMES, on_each_backend, postgres_problem

R = TypeVar("R")


def backend_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser named after the command, described by the first line of its docstring, with
    --sqlite-only and --pg-url."""
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").splitlines()[0])
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server to create the temporary database on "
                             "(default: TEST_DATABASE_URL or BENCH_DATABASE_URL)")
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments, refusing a --pg-url that is not PostgreSQL on this machine."""
    args = parser.parse_args(argv)
    problem = postgres_problem(args.pg_url) if args.pg_url and not args.sqlite_only else None
    if problem:
        parser.error(f"--pg-url: {problem}")
    return args


def at_least(parser: argparse.ArgumentParser, args: argparse.Namespace, minimum: int,
             *names: str) -> None:
    """Refuse any of the named options below `minimum`."""
    for name in names:
        if getattr(args, name) < minimum:
            parser.error(f"--{name.replace('_', '-')} must be at least {minimum}")


def quick_or(given: Any, quick: bool, *, full: Any, small: Any) -> Any:
    """An option's value: as given (0 included, for `at_least` to refuse), else its --quick
    or its full default."""
    if given is not None:
        return given
    return small if quick else full


def quiet_logging() -> None:
    """Warnings and errors only: the application's info lines would bury the report."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def measure_and_print(args: argparse.Namespace,
                      run: Callable[[str, str, Path, argparse.Namespace], R],
                      report: Callable[[list[R], argparse.Namespace, str | None], str],
                      names: tuple[str, str] = NAMES) -> int:
    """Call `run(backend, database URL, media folder, args)` on each backend the arguments ask
    for, then print `report(results, args, why PostgreSQL was skipped)`; the exit status."""
    quiet_logging()
    results, skipped = on_each_backend(
        args, lambda name, url, media: run(name, url, media, args), names)
    print(report(results, args, skipped))
    return 0

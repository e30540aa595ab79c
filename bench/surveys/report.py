"""The survey results report: per backend what was loaded and the checks, then a table of
median and p95 ms, each median as a ratio to the baseline's, and the peak Python memory."""

from __future__ import annotations

import argparse
import gc
import os
from collections.abc import Sequence
from dataclasses import dataclass

from bench.common.report import Columns, machine
from bench.surveys.measure import Measured
from bench.surveys.seed import COTONOU, QUESTIONS, Seeded
from palabre.web import GC_THRESHOLDS

TABLE = Columns((10, 28, 3, 9, 10, 10, 7, 9), left=2)


@dataclass
class Result:
    backend: str
    version: str
    seeded: Seeded
    measured: list[Measured]  # baseline first
    checks: list[str]
    load: tuple[float, float]
    profile: str = ""


def table(result: Result) -> list[str]:
    """The backend's three measures."""
    baseline = result.measured[0].median_ms()
    lines = [TABLE.line(("backend", "measure", "n", "rows", "median ms", "p95 ms", "÷ base",
                         "peak MiB")), TABLE.rule()]
    for m in result.measured:
        lines.append(TABLE.line((result.backend, m.name, str(len(m.latencies.seconds)),
                                 f"{m.rows:,}", f"{m.median_ms():.1f}",
                                 f"{m.latencies.ms(95):.1f}", f"{m.median_ms() / baseline:.1f}",
                                 f"{m.peak_bytes / 2**20:.1f}")))
    return lines


def backend_lines(result: Result) -> list[str]:
    """What was loaded, the load average, the checks, then the table."""
    s = result.seeded
    return [
        "",
        f"{result.backend}: {result.version}",
        f"  load {s.load_seconds:.1f} s ({s.begun:,} answer sets, {s.completed:,} "
        f"completed, {s.answers:,} answers of completed sets, {s.voice:,} spoken), "
        f"{s.after_what} {s.after_seconds:.1f} s, database {s.size_mb:,.0f} MB",
        "  groups loaded: " + "; ".join(
            f"{name} " + ", ".join(f"{g} {n:,}" for g, n in sorted(groups.items()))
            for name, groups in s.groups.items()),
        f"  1-minute load average before / after the timed rounds: {result.load[0]:.2f} / "
        f"{result.load[1]:.2f} on {os.cpu_count()} CPUs",
        *(f"  {line}" for line in result.checks),
        "",
        *table(result),
    ]


def heading(args: argparse.Namespace) -> list[str]:
    """What was measured, how, on which machine, with which garbage collection."""
    return [
        f"Palabre survey results benchmark: one survey of {COTONOU} with {len(QUESTIONS)} "
        f"questions and {args.responses:,} completed answer sets per backend, each call in its "
        "own unit of work",
        f"{machine()}; {args.repeat} timed rounds after one warm-up call of each (under "
        "tracemalloc), the order of the measures turning each round; garbage collection "
        + (f"as `palabre serve` sets it (gc.freeze, thresholds {GC_THRESHOLDS})"
           if args.serve_gc else f"with Python's defaults {gc.get_threshold()}"),
    ]


def report(results_: Sequence[Result], args: argparse.Namespace, skipped: str | None) -> str:
    """The whole printed report."""
    lines = heading(args)
    for result in results_:
        lines += backend_lines(result)
    lines += ["",
              "rows: answers read (baseline), answers counted over the questions (results()), "
              "CSV rows with the header (export)",
              "÷ base: median divided by the baseline's median of the same run (every answer of "
              "the completed sets read once); compare these across runs",
              f"p95: nearest rank (with {args.repeat} rounds, the slowest); peak MiB: Python "
              "allocations during one call (tracemalloc), not the process's resident memory"]
    for result in results_:
        if result.profile:
            lines += ["", f"profile of one results() call, {result.backend}:", result.profile]
    return "\n".join(lines + (["", skipped] if skipped else []))

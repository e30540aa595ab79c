"""The inbox report: what was loaded, then p50/p95/p99 per query and backend, each p95 as a
ratio to the baseline of the same run and marked when over the 50 ms target; then the query
plans and the experiments when asked for."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.common.report import Columns, machine
from bench.inbox.data import SEARCHED
from bench.inbox.experiments import StepResult
from bench.inbox.generate import Tally
from bench.inbox.measure import DEEP_START, MIN_REPEAT, PAGE, WARMUP, Measured
from bench.inbox.seed import Seeded

TARGET_MS = 50.0
TABLE = Columns((10, 34, 5, 5, 8, 8, 8, 8, 7, 6), left=2)
STEP_WIDTH = 13


@dataclass
class Result:
    """What one backend measured."""

    backend: str
    version: str
    seeded: Seeded
    tally: Tally
    measured: list[Measured]
    load: tuple[float, float]  # 1-minute load average before and after the timed calls
    plans: list[str] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)


def verdict(measured: Measured) -> str:
    return "ok" if measured.p95() <= TARGET_MS else "OVER"


def measured_line(backend: str, m: Measured, baseline: Measured) -> str:
    """A query's line: calls, rows per page, p50/p95/p99/max ms, p95 ÷ baseline, verdict."""
    if not m.latencies.seconds:
        return TABLE.line((backend, m.name, "0", "", "", "", "", "", "", "")) + f"  ({m.note})"
    lat = m.latencies
    line = TABLE.line((backend, m.name, str(len(lat.seconds)), f"{m.rows_per_call():.0f}",
                       f"{lat.ms(50):.2f}", f"{lat.ms(95):.2f}", f"{lat.ms(99):.2f}",
                       f"{max(lat.seconds) * 1000:.2f}", f"{m.p95() / baseline.p95():.1f}",
                       verdict(m)))
    return line + (f"  ({m.note})" if m.note else "")


def data_lines(result: Result) -> list[str]:
    """What was loaded, how long it took, and how often the searches hit."""
    s, t = result.seeded, result.tally
    lines = [f"{result.backend}: {result.version}",
             f"  load {s.load_seconds:.1f} s ({t.submissions / s.load_seconds:,.0f} "
             f"submissions/s with their citizens and attachments), {s.after_what} "
             f"{s.after_seconds:.1f} s, database {s.size_mb:,.0f} MB",
             "  rows: " + ", ".join(f"{k} {v:,}" for k, v in s.counts.items()),
             f"  1-minute load average before / after the timed calls: {result.load[0]:.2f} / "
             f"{result.load[1]:.2f} on {os.cpu_count()} CPUs (other work on the machine "
             "shows here)"]
    return lines + (shares(t) if t.submissions else [])


def shares(t: Tally) -> list[str]:
    """The generated data's shares: communes, kinds, statuses, files, search hits."""
    def share(n: int) -> str:
        return f"{100 * n / t.submissions:.2f}%"

    return [
        "  communes: " + ", ".join(f"{k} {share(v)}" for k, v in t.communes.items()),
        "  kinds: " + ", ".join(f"{k} {share(v)}" for k, v in t.kinds.items()),
        "  statuses: " + ", ".join(f"{k} {share(v)}" for k, v in sorted(t.statuses.items())),
        f"  photo {share(t.photos)}, voice {share(t.voices)}, assigned {share(t.assigned)}, "
        f"labelled {share(t.labelled)}, hidden {share(t.hidden)}",
        "  search hits (all communes): " + ", ".join(
            f"'{w}' {share(t.hits.get(w, 0))}" for w in SEARCHED),
    ]


def step_cell(m: Measured) -> str:
    """p50/p95 of a query after a step, starred when p95 is over the target."""
    if not m.latencies.seconds:
        return "-".rjust(STEP_WIDTH)
    mark = "*" if m.p95() > TARGET_MS else " "
    return f"{m.latencies.ms(50):.1f}/{m.p95():.1f}{mark}".rjust(STEP_WIDTH)


def searched_lines(result: Result, columns: list[list[Measured]]) -> list[str]:
    """p50/p95 of each searched text, the default schema then after each step."""
    lines = ["  each searched text, p50 / p95 ms:"]
    for index, first in enumerate(result.measured):
        for searched in first.searched:
            cells = []
            for measured in columns:
                lat = measured[index].searched.get(searched)
                cells.append((f"{lat.ms(50):.1f}/{lat.ms(95):.1f}" if lat and lat.seconds
                              else "-").rjust(STEP_WIDTH))
            lines.append("    " + f"'{searched}'"[:32].ljust(32) + "".join(cells))
    return lines


def step_notes(result: Result) -> list[str]:
    """What each step did: its DDL and time, the database's size, the pages that differ."""
    lines = [f"  {note}" for note in result.skipped_steps]
    for s in result.steps:
        lines.append(f"  +{s.step.name}: {s.step.what}; DDL {s.ddl_seconds:.1f} s, "
                     f"database {s.size_mb:,.0f} MB; first two pages differ from the "
                     f"application's for {s.differ} query variants")
        lines += [f"      {statement};" for statement in s.step.ddl.get(result.backend, ())]
        lines += [f"      (replaces core.submissions.inbox.{name} for this run)"
                  for name in s.step.patches.get(result.backend, {})]
    return lines


def step_table(result: Result) -> list[str]:
    """p50/p95 in ms per query: the default schema, then after each cumulative step."""
    names = ["default"] + [f"+{s.step.name}" for s in result.steps]
    columns = [result.measured] + [s.measured for s in result.steps]
    lines = [f"EXPERIMENT {result.backend}: p50 / p95 ms after each cumulative step "
             "(* = p95 over target)",
             "  " + "query".ljust(34) + "".join(n.rjust(STEP_WIDTH) for n in names)]
    lines += ["  " + first.name.ljust(34) + "".join(step_cell(m[index]) for m in columns)
              for index, first in enumerate(result.measured)]
    return lines + searched_lines(result, columns) + step_notes(result)


def heading(args: argparse.Namespace) -> list[str]:
    """What was measured, how, on which machine."""
    return [
        f"Palabre inbox benchmark: {args.rows:,} submissions per backend, inbox() through a "
        f"unit of work per call, {PAGE} per page, target p95 <= {TARGET_MS:.0f} ms",
        f"{machine()}; up to {args.repeat} timed calls per query after {WARMUP} warm-up calls "
        f"(at least {MIN_REPEAT}, stopping after {args.budget:.0f} s)",
        "",
    ]


def table(results: Sequence[Result]) -> list[str]:
    """Every query of every backend, then which went over the target and what the columns
    mean."""
    lines = ["", TABLE.line(("backend", "query", "n", "rows", "p50 ms", "p95 ms", "p99 ms",
                             "max ms", "÷ base", "p95")), TABLE.rule()]
    for result in results:
        lines += [measured_line(result.backend, m, result.measured[0])
                  for m in result.measured] + [""]
    over = [f"{r.backend}: {m.name}" for r in results for m in r.measured
            if m.latencies.seconds and m.p95() > TARGET_MS]
    return lines + [
        f"p95 over {TARGET_MS:.0f} ms: " + ("; ".join(over) if over else "none"),
        "÷ base: p95 divided by the baseline's p95, measured in the same run (one unit of work "
        "reading one submission by id); compare these across runs",
        "rows: mean rows per page returned; queries run as a Cotonou moderator (communes "
        "{BJ-LI-COT}) unless named otherwise; deep pages follow next_cursor, pages "
        f"{DEEP_START + 1}+ start from the cursor after page {DEEP_START}"]


def appendices(results: Sequence[Result]) -> list[str]:
    """Query plans (--explain) and experiments (--experiments), when asked for."""
    lines = []
    for result in results:
        if result.plans:
            lines += ["", f"query plans, {result.backend}, schema of the migrations:",
                      *result.plans]
    for result in results:
        if result.steps or result.skipped_steps:
            lines += ["", *step_table(result)]
            for s in result.steps:
                if s.plans:
                    lines += [f"query plans, {result.backend} +{s.step.name} (EXPERIMENT):",
                              *s.plans]
    return lines


def report(results: Sequence[Result], args: argparse.Namespace, skipped: str | None) -> str:
    """The whole printed report."""
    lines = heading(args)
    for result in results:
        lines += data_lines(result)
    lines += table(results) + appendices(results)
    return "\n".join(lines + (["", skipped] if skipped else []))

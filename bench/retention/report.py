"""The retention report of one backend, printed as soon as it is measured: a line per run
(dry run, bare updates, the run, bare updates again) with its ratio to the bare updates'
mean, then the run's batches and memory, and every check."""

from __future__ import annotations

import statistics

from bench.common.report import Columns
from bench.retention.measure import Check, Run

TABLE = Columns((11, 16, 6, 10, 9, 9, 9), left=2)


def measures(backend: str, runs: dict[str, Run], rows: int) -> list[str]:
    """A line per run of `rows` rows: commits, rows per second, seconds, ÷ base."""
    base = statistics.mean(run.seconds for name, run in runs.items() if name.startswith("bare"))
    return ["", TABLE.line(("backend", "measure", "n", "rows", "rows/s", "seconds", "÷ base")),
            TABLE.rule(),
            *(TABLE.line((backend, name, str(len(run.batch_seconds)), f"{rows:,}",
                          f"{rows / run.seconds:,.0f}", f"{run.seconds:.2f}",
                          f"{run.seconds / base:.2f}")) for name, run in runs.items()), ""]


def details(real: Run, found: list[Check]) -> list[str]:
    """The run's kinds, batches and memory; the checks."""
    times, (before, peak) = real.batch_seconds, real.rss_mb
    worst = max(range(len(times)), key=times.__getitem__)
    return ["  the run's report: " + ", ".join(f"{kind} {n:,}" for kind, n in real.totals.items()),
            f"  batches: first {times[0]:.2f} s, median {statistics.median(times):.2f} s, "
            f"slowest {times[worst]:.2f} s (batch {worst + 1} of {len(times)}); peak resident "
            f"memory {peak:.0f} MiB, {peak - before:+.0f} MiB during the run",
            *(f"  check {'ok' if expected == got else 'FAILED':6} {what}: expected "
              f"{expected:,}, found {got:,}" for what, expected, got in found)]


def loaded(backend: str, version: str, rows: dict[str, int], seconds: float) -> str:
    """The backend, its version, and the rows loaded by table."""
    return (f"\n{backend}: {version}\n  loaded in {seconds:.1f} s: "
            + ", ".join(f"{table} {n:,}" for table, n in rows.items()))


FOOTNOTE = ("\nn: commits (the run's: its batches and its audit line); rows: what the dry run "
            "counts, which the run changes; ÷ base: seconds over the mean of the bare updates'")

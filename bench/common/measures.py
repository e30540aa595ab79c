"""What a benchmark counts with: latencies and their percentiles, weighted choices for seeding,
and memory high-water marks.

Percentiles are nearest-rank (an observed value, never an interpolation), so that with few
repetitions p95 is plainly "the slowest but a few".
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import resource
import tracemalloc
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


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


class Picker(Generic[T]):
    """A weighted choice, precomputed: one random number and a bisection per pick."""

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in weighted]
        self.bounds = list(itertools.accumulate(weight for _, weight in weighted))

    def __call__(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.bounds, rng.random() * self.bounds[-1])]


def reset_peak_rss() -> None:
    """Make the peak resident memory count from now (Linux; elsewhere nothing happens)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB, since it began or the last reset."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_mib(field_name: str) -> float:
    """A line of /proc/self/status (VmRSS: resident now, VmHWM: its high-water mark) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def traced_peak(call: Callable[[], T]) -> tuple[T, int]:
    """What the call returns, and the peak bytes Python allocated during it (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        value = call()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

"""How a benchmark prints: notes on stderr, the report on stdout as plain-text tables.

stdout holds only the report, so that `> run.txt` keeps what is worth keeping; every report
opens with the machine it ran on, since figures from a shared 2-CPU machine mean little
without it.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass


def progress(line: str) -> None:
    """A note on stderr, so stdout holds only the report."""
    print(f"... {line}", file=sys.stderr, flush=True)


def machine() -> str:
    """Which Python on which processor and how many CPUs, for a report's heading."""
    return f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs"


@dataclass(frozen=True)
class Columns:
    """A plain-text table's columns: their widths, the first `left` left-aligned (names), the
    others right-aligned (numbers)."""

    widths: tuple[int, ...]
    left: int = 1
    gap: str = "  "

    def line(self, cells: Sequence[str]) -> str:
        """One line of the table (a cell longer than its column pushes the rest along)."""
        return self.gap.join(cell.ljust(w) if i < self.left else cell.rjust(w) for i, (
            cell, w) in enumerate(zip(cells, self.widths, strict=True))).rstrip()

    def rule(self) -> str:
        """The line of dashes under the heading."""
        return self.line(["-" * w for w in self.widths])

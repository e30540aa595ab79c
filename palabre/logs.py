"""Where log lines go. A server logs to the terminal (or whatever runs it: systemd, docker);
while a console chat holds the terminal, the log goes to a file and only warnings and errors
reach the terminal, so that the citizen's conversation reads without the server's noise."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that speak at INFO about their own routine (a line per scheduler run every 15 s,
# one per job added, one per migration step): heard only when debugging.
CHATTY = ("apscheduler", "alembic")


def setup(level: str, *, file: Path | None = None) -> None:
    """Send every log line at `level` to the terminal, or to `file` (keeping warnings and
    errors on the terminal too); replaces what an earlier call set up."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    terminal = logging.StreamHandler(sys.stderr)
    if file is not None:
        root.addHandler(_handler(logging.FileHandler(file, encoding="utf-8")))
        terminal.setLevel(logging.WARNING)
    root.addHandler(_handler(terminal))
    routine = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in CHATTY:
        logging.getLogger(name).setLevel(routine)


def _handler(handler: logging.Handler) -> logging.Handler:
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler

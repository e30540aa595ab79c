"""Where log lines go. A server logs to the terminal (or whatever runs it: systemd, docker);
while a console chat holds the terminal, the log goes to a file and only warnings and errors
reach the terminal, so that the citizen's conversation reads without the server's noise."""

from __future__ import annotations

import json
import logging
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

from core.messages.workers import process_id

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that speak at INFO about their own routine (a line per scheduler run every 15 s,
# one per job added, one per migration step): heard only when debugging.
CHATTY = ("apscheduler", "alembic")
HOST = socket.gethostname()


def setup(level: str, *, file: Path | None = None, form: str = "text") -> None:
    """Send every log line at `level` to the terminal, or to `file` (keeping warnings and
    errors on the terminal too), as text or one JSON object a line (`form="json"`, for a
    log collector); replaces what an earlier call set up."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    terminal = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter() if form == "json" else logging.Formatter(FORMAT)
    if file is not None:
        root.addHandler(_handler(logging.FileHandler(file, encoding="utf-8"), formatter))
        terminal.setLevel(logging.WARNING)
    root.addHandler(_handler(terminal, formatter))
    routine = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in CHATTY:
        logging.getLogger(name).setLevel(routine)


def _handler(handler: logging.Handler, formatter: logging.Formatter) -> logging.Handler:
    handler.setFormatter(formatter)
    return handler


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the process
    (host, pid, and its id in the claims it holds), and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage(), "host": HOST, "pid": record.process,
                "process": process_id(), "thread": record.threadName}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)

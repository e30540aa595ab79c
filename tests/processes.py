"""`palabre` commands in processes of their own, on a test's database, and waiting for what
they do (the multi-process tests: tests/integration/test_*_processes.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from palabre.settings import Settings


def palabre_process(settings: Settings, log: Path, *args: str,
                    **env: str) -> subprocess.Popen[bytes]:
    """`palabre ARGS…` on the settings' database and media, its output in `log`; `env` adds
    or overrides variables."""
    environment = {**os.environ, "PALABRE_DATABASE_URL": settings.database_url,
                   "PALABRE_MEDIA_DIR": str(settings.media_dir),
                   "PALABRE_TRANSCRIPTION_ROUTES": "", "PALABRE_LOG_LEVEL": "INFO", **env}
    with log.open("wb") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "palabre"), *args],
                                env=environment, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def until(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Whether the condition came true within `seconds` (looked at every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False

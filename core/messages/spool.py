"""Webhook bodies kept on this machine's disk while the database does not answer.

Telegram retries an update its webhook did not acknowledge, Twilio does not (by default):
a web process that answered 5xx while the database was down would lose a citizen's WhatsApp
message. So when the database cannot store a batch, each body is written to the spool (one
file each, written whole then renamed, synced to disk) and acknowledged; the intake stores
the spooled bodies first when the database answers again, in the order they came, then
deletes their files (a body stored twice is harmless: its provider id is unique)."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SUFFIX = ".json"


class Spool:
    """A folder of bodies waiting for the database, oldest first by name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, bodies: Iterable[dict[str, Any]]) -> int:
        """Write each body to disk for good (fsync) before it is acknowledged."""
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = 0
        for body in bodies:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
            partial = self.folder / f".{name}.partial"
            with partial.open("w", encoding="utf-8") as out:
                json.dump(body, out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.folder / f"{name}{SUFFIX}")
            kept += 1
        self._sync_folder()
        return kept

    def waiting(self, limit: int = 500) -> list[Path]:
        """The oldest spooled bodies' files."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob(f"*{SUFFIX}"))[:limit]

    def read(self, path: Path) -> dict[str, Any] | None:
        """A spooled body; None for a file that cannot be read (kept aside, logged)."""
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:  # another process sharing the folder stored it meanwhile
            return None
        except (OSError, ValueError) as exc:
            logger.error("spooled body %s unreadable (%s): moved aside", path.name, exc)
            try:
                path.rename(path.with_suffix(".unreadable"))
            except OSError:
                pass
            return None
        return body if isinstance(body, dict) else None

    def remove(self, paths: Iterable[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
        self._sync_folder()

    def _sync_folder(self) -> None:
        """The renames and removals reach the disk too (POSIX: fsync the directory)."""
        try:
            descriptor = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

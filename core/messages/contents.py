"""Message layouts a provider keeps and Palabre reuses by reference (WhatsApp's buttons and
lists are Twilio Content resources): which one holds a layout, shared by every process.

A channel creates a layout once, on the first message that needs it, and sends every later
message with the same choices by its id. The table is the memory between processes and
restarts; each process also keeps what it has read (a layout never changes once created).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, delete, select

from core.db import insert_unless_there
from core.messages.models import ProviderContent


class ContentBook:
    """The provider's ids of the layouts Palabre created, by channel, account and key."""

    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self.engine = engine
        self.now = now
        self._table = ProviderContent.__table__  # type: ignore[attr-defined]  # SQLModel sets it
        self._insert = insert_unless_there(engine.dialect.name, self._table,
                                           ("channel", "account", "key"))
        self._known: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()

    def find(self, *, channel: str, account: str, key: str) -> str | None:
        """The id of the layout under this key, if it was created."""
        with self._lock:
            known = self._known.get((channel, account, key))
        return known or self._read(channel, account, key)

    def keep(self, *, channel: str, account: str, key: str, external_id: str) -> str:
        """Remember a layout just created; when another process created one first, its id
        (both are valid: later messages use the first)."""
        with self.engine.begin() as connection:
            connection.execute(self._insert, {"channel": channel, "account": account,
                                              "key": key, "external_id": external_id,
                                              "created_at": self.now()})
        return self._read(channel, account, key) or external_id

    def forget(self, *, channel: str, account: str, key: str, external_id: str) -> None:
        """The provider no longer knows this layout (deleted from its console): the next
        message creates it again. Only this id is forgotten: another process may have made
        the layout anew meanwhile."""
        table = self._table
        with self._lock:
            if self._known.get((channel, account, key)) == external_id:
                del self._known[(channel, account, key)]
        with self.engine.begin() as connection:
            connection.execute(delete(table).where(
                table.c.channel == channel, table.c.account == account, table.c.key == key,
                table.c.external_id == external_id))

    def _read(self, channel: str, account: str, key: str) -> str | None:
        table = self._table
        with self.engine.connect() as connection:
            found = connection.execute(select(table.c.external_id).where(
                table.c.channel == channel, table.c.account == account,
                table.c.key == key)).scalar()
        if found is not None:
            with self._lock:
                self._known[(channel, account, key)] = found
        return found

"""A provider's sending limits held in the database, so that every sending process on every
machine keeps them together (one process's memory cannot: two processes each sending 30 a
second to one Telegram bot got 429s).

Each limit is a key with the earliest time its next message may go (a "generic cell rate":
`interval` apart on average, `burst` seconds of credit). A sender books every limit of its
message in one short transaction, the rows locked in key order: it may go now, or after a
short wait that it sleeps (the slot is its own), or the message is given back with the time
to wait. A key can be paused as a whole (a 429's retry_after). Times are seconds since the
epoch by the senders' clocks (keep the machines' clocks synchronised, as NTP does)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.messages.models import SendPace

FORGET_AFTER_S = 3600.0  # keys idle this long are deleted (one row per chat otherwise)
FORGET_ONE_IN = 500  # reservations, on average, between two clean-ups


@dataclass(frozen=True)
class Limit:
    key: str
    interval: float  # seconds between two messages under this key, on average
    burst: float = 0.0  # seconds of credit: `burst / interval` messages may go at once
    sleepable: float = 0.0  # a wait up to this long is slept by the sender, not given back


@dataclass(frozen=True)
class Booking:
    delay: float  # seconds to sleep before sending (booked), or to wait (not booked)
    held_by: str = ""  # the key that holds the message back; "" when booked
    paused: bool = False  # held by a pause (after a 429), not by a rate


class SharedPace:
    """Limits kept in the `send_pace` table of this engine's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        table = SendPace.__table__  # type: ignore[attr-defined]  # SQLModel sets it
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._ensure = dialect.insert(table).on_conflict_do_nothing(index_elements=["key"])
        self._table = table

    def book(self, now: float, limits: Sequence[Limit], *, pause_key: str) -> Booking:
        """Book a slot under every limit, or say what holds the message back and how long."""
        keys = sorted({limit.key for limit in limits} | {pause_key})
        table = self._table
        with self.engine.begin() as connection:
            connection.execute(self._ensure, [{"key": k, "next_at": 0.0, "paused_until": 0.0}
                                              for k in keys])
            rows = {key: (next_at, paused) for key, next_at, paused in connection.execute(
                select(table.c.key, table.c.next_at, table.c.paused_until)
                .where(table.c.key.in_(keys)).order_by(table.c.key).with_for_update())}
            paused_until = rows[pause_key][1]
            if paused_until > now:
                return Booking(paused_until - now, pause_key, paused=True)
            delay = 0.0
            for limit in limits:
                wait = max(0.0, rows[limit.key][0] - limit.burst - now)
                if wait > limit.sleepable:
                    return Booking(wait, limit.key)
                delay = max(delay, wait)
            for limit in limits:
                connection.execute(update(table).where(table.c.key == limit.key).values(
                    next_at=max(rows[limit.key][0], now) + limit.interval))
            if random.randrange(FORGET_ONE_IN) == 0:
                connection.execute(delete(table).where(
                    table.c.next_at < now - FORGET_AFTER_S,
                    table.c.paused_until < now - FORGET_AFTER_S))
        return Booking(delay)

    def pause(self, key: str, until: float) -> None:
        """Nothing goes under `key` before `until` (a longer pause already set stays)."""
        table = self._table
        with self.engine.begin() as connection:
            connection.execute(self._ensure, [{"key": key, "next_at": 0.0,
                                               "paused_until": 0.0}])
            connection.execute(update(table).where(
                table.c.key == key, table.c.paused_until < until).values(paused_until=until))

    def paused_until(self, key: str) -> float:
        with self.engine.connect() as connection:
            found = connection.execute(select(self._table.c.paused_until).where(
                self._table.c.key == key)).scalar()
        return float(found or 0.0)


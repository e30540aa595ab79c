"""A provider's sending limits held in the database, so that every sending process on every
machine keeps them together (one process's memory cannot: two processes each sending 30 a
second to one Telegram bot got 429s).

Two kinds of limit, booked together in one short transaction (the rows locked in key order):
- a **window**: at most `count` messages within any `seconds`, each counted from the moment
  its answer came back (and, while in flight, as if it were still arriving). A message's
  arrival at the provider lies between its sending and its answer, so a window counted this
  way is never exceeded at the provider, however the network or the senders' threads jitter
  (slots spaced by the clock alone were: 12 × 429 at 29 a second from two senders). A
  message in flight when its sender died counts from the moment its death is known
  (`core.messages.workers.release_claims_of_the_dead`), not for a minute;
- a **rate** ("generic cell rate"): `interval` apart on average with `burst` seconds of credit.
A key can also be paused as a whole (a 429's retry_after). When a limit holds a message back
for a wait the sender is ready to sleep, the message is booked at once for the moment its
limits let it go (a moment ahead: never more than the window's length), and the sender sleeps
until then: booking again after the wait made every sender wake together and poll, and left
two senders at 27 a second for a limit of 30. A longer wait is told to the sender, which gives
the message back. Only a window full of messages in flight, whose answers are not known yet,
is polled. Times are seconds since the epoch by the senders' clocks (keep the machines' clocks
synchronised, as NTP does)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, select, update

from core.db import insert_unless_there
from core.messages import workers
from core.messages.models import SendPace, SendWindow

logger = logging.getLogger(__name__)

FORGET_AFTER_S = 3600.0  # rate keys idle this long are deleted (one row per chat otherwise)
FORGET_ONE_IN = 500  # bookings, on average, between two clean-ups
IN_FLIGHT_WAIT_S = 0.02  # a full window of messages in flight: try again this soon


@dataclass(frozen=True)
class Rate:
    key: str
    interval: float  # seconds between two messages under this key, on average
    burst: float = 0.0  # seconds of credit: `burst / interval` messages may go at once


@dataclass(frozen=True)
class Window:
    key: str
    count: int  # at most this many messages…
    seconds: float  # …within any window this long, counted from their answers
    # a message never settled (its sender died unseen) counts this long: longer than any
    # call to a provider lasts (a Telegram upload: 120 s at most)
    in_flight_for: float = 180.0


@dataclass(frozen=True)
class Booking:
    wait: float = 0.0  # 0 when booked; else how long the message is held back
    held_by: str = ""  # the key that holds it back
    paused: bool = False  # held by a pause (after a 429), not by a limit
    entry: int | None = None  # the booked message in its window: settle it once answered
    start: float = 0.0  # when booked: the moment it may go (now, or a moment ahead)


class SharedPace:
    """Limits kept in the `send_pace` and `send_window` tables of this engine's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pace = SendPace.__table__  # type: ignore[attr-defined]  # SQLModel sets it
        self._window = SendWindow.__table__  # type: ignore[attr-defined]
        self._ensure = insert_unless_there(engine.dialect.name, self._pace, ("key",))

    def book(self, now: float, *, pause_key: str, rates: Sequence[Rate] = (),
             window: Window | None = None,
             ahead: Callable[[Booking], float] = lambda _: 0.0) -> Booking:
        """Book a message under the window and every rate, or say what holds it back. A
        wait no longer than `ahead(what holds it)` is booked: the booking starts then."""
        for _ in range(3):
            booking = self._book(now, pause_key, rates, window, ahead)
            if booking is not None:
                return booking
        raise RuntimeError(f"the pace of {pause_key} could not be read")

    def _book(self, now: float, pause_key: str, rates: Sequence[Rate],
              window: Window | None, ahead: Callable[[Booking], float]) -> Booking | None:
        """None when a key's row was cleaned up between its insert and its lock: again."""
        keys = sorted({rate.key for rate in rates} | {pause_key})
        pace, entries = self._pace, self._window
        with self.engine.begin() as connection:
            connection.execute(self._ensure, [{"key": k, "next_at": 0.0, "paused_until": 0.0}
                                              for k in keys])
            rows = {key: (next_at, paused) for key, next_at, paused in connection.execute(
                select(pace.c.key, pace.c.next_at, pace.c.paused_until)
                .where(pace.c.key.in_(keys)).order_by(pace.c.key).with_for_update())}
            if len(rows) < len(keys):
                return None
            paused_until = rows[pause_key][1]
            if paused_until > now:
                return Booking(paused_until - now, pause_key, paused=True)
            held = Booking()  # the longest wait, and what imposes it
            for rate in rates:
                wait = rows[rate.key][0] - rate.burst - now
                if wait > held.wait:
                    held = Booking(wait, rate.key)
            if window is not None:
                wait = self._window_wait(connection, now, window)
                if wait is None:  # full of messages in flight: try again soon
                    return Booking(IN_FLIGHT_WAIT_S, window.key)
                if wait > held.wait:
                    held = Booking(wait, window.key)
            if held.wait > ahead(held):
                return held
            start = now + held.wait
            entry = None
            if window is not None:
                entry = connection.execute(insert(entries).values(
                    key=window.key, at=start + window.in_flight_for,
                    owner=workers.process_id())
                    .returning(entries.c.id)).scalar_one()
            for rate in rates:
                connection.execute(update(pace).where(pace.c.key == rate.key).values(
                    next_at=max(rows[rate.key][0], start) + rate.interval))
            if random.randrange(FORGET_ONE_IN) == 0:
                connection.execute(delete(pace).where(  # a chat's rate, long unused
                    pace.c.next_at > 0, pace.c.next_at < now - FORGET_AFTER_S,
                    pace.c.paused_until < now - FORGET_AFTER_S))
        return Booking(entry=entry, start=start)

    def _window_wait(self, connection: object, now: float, window: Window) -> float | None:
        """0 when the window has room now; else when its oldest message leaves it (None
        while every message it counts is still in flight: nobody knows when yet)."""
        entries = self._window
        connection.execute(delete(entries).where(  # type: ignore[attr-defined]
            entries.c.key == window.key, entries.c.at <= now - window.seconds))
        counted = [at for (at,) in connection.execute(  # type: ignore[attr-defined]
            select(entries.c.at).where(entries.c.key == window.key)
            .order_by(entries.c.at.desc()).limit(window.count))]
        if len(counted) < window.count:
            return 0.0
        if counted[-1] > now:  # the window is full of messages in flight (or booked ahead)
            return None
        return max(counted[-1] + window.seconds - now, 0.001)

    def settle(self, entry: int, answered_at: float) -> None:
        """The booked message was answered (or refused) at `answered_at`: it counts from then."""
        with self.engine.begin() as connection:
            connection.execute(update(self._window).where(self._window.c.id == entry)
                               .values(at=answered_at))

    def paused_for(self, key: str, now: float) -> float:
        """How long `key` stays paused from `now` (0 when it is not)."""
        pace = self._pace
        with self.engine.begin() as connection:
            until = connection.execute(select(pace.c.paused_until)
                                       .where(pace.c.key == key)).scalar()
        return max((until or 0.0) - now, 0.0)

    def cancel(self, entry: int) -> None:
        """A booked message that will not go: it no longer counts in its window."""
        with self.engine.begin() as connection:
            connection.execute(delete(self._window).where(self._window.c.id == entry))

    def pause(self, key: str, until: float) -> None:
        """Nothing goes under `key` before `until` (a longer pause already set stays)."""
        pace = self._pace
        with self.engine.begin() as connection:
            connection.execute(self._ensure, [{"key": key, "next_at": 0.0,
                                               "paused_until": 0.0}])
            connection.execute(update(pace).where(pace.c.key == key).values(
                pauses=pace.c.pauses + 1,
                paused_until=func.greatest(pace.c.paused_until, until)
                if self.engine.dialect.name == "postgresql"
                else func.max(pace.c.paused_until, until)))


def book_patiently(pace: SharedPace, now: Callable[[], float], *, pause_key: str,
                   rates: Sequence[Rate] = (), window: Window | None = None,
                   sleepable: Callable[[Booking], float], patience: float,
                   sleep_pauses: bool = False) -> Booking:
    """Book, for a moment ahead when what holds the message back is a wait `sleepable`
    allows (a pause only with `sleep_pauses`), and sleep until then; or poll a window full
    of messages in flight; for `patience` seconds at most. The booking, or the last answer
    that held it. A sender that slept looks at the pause again before it sends: a 429 in
    another process during the sleep takes the booking back."""
    started = time.monotonic()
    while True:
        booking = pace.book(now(), pause_key=pause_key, rates=rates, window=window,
                            ahead=sleepable)
        if booking.held_by:
            if (booking.paused and not sleep_pauses) or booking.wait > sleepable(booking) \
                    or time.monotonic() - started > patience:
                return booking
            time.sleep(booking.wait)
            continue
        early = booking.start - now()
        if early <= 0:
            return booking
        time.sleep(early)
        try:
            paused = pace.paused_for(pause_key, now())
        except Exception:
            _cancel(pace, booking)
            raise
        if paused <= 0:
            return booking
        _cancel(pace, booking)
        held = Booking(paused, pause_key, paused=True)
        if not sleep_pauses or paused > sleepable(held) \
                or time.monotonic() - started > patience:
            return held
        time.sleep(paused)


def _cancel(pace: SharedPace, booking: Booking) -> None:
    if booking.entry is not None:
        pace.cancel(booking.entry)


def settle(pace: SharedPace, entry: int, answered_at: float) -> None:
    """`pace.settle`, for a sender's `finally`: a failure to record it never turns a message
    the provider accepted into a failed one (sent again); the entry then counts until its
    in-flight time runs out, never less."""
    try:
        pace.settle(entry, answered_at)
    except Exception:
        logger.warning("could not settle window entry %s", entry, exc_info=True)

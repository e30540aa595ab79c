"""The worker loops of a process: citizens' turns, deliveries, each in a thread of its own,
woken at once when there is work (by this process's webhooks, or by any process's commit
through PostgreSQL's LISTEN/NOTIFY), else every interval."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text

from core.db import PG_CONNECT_ARGS
from core.messages import workers as processes
from core.uow import DELIVERIES, TURNS, UnitOfWork
from dialogs.pipeline import Pipeline

logger = logging.getLogger(__name__)

# PostgreSQL's notification channel for committed work; the payload is the role.
WORK_CHANNEL = "palabre_work"
RECONNECT_AFTER = 5.0  # seconds before listening again after the database went away
COALESCE_S = 0.005  # work committed meanwhile is notified together
STOP_WAIT_S = 30.0  # a loop's round to finish when the process stops


class Wakeup:
    """Tells this process's loops that work may be waiting for them."""

    def __init__(self) -> None:
        self._events: list[tuple[str, threading.Event]] = []
        self._lock = threading.Lock()

    def listen(self, role: str = "") -> threading.Event:
        """An event set when there is work for `role` (or for any, without one)."""
        event = threading.Event()
        with self._lock:
            self._events.append((role, event))
        return event

    def set(self, role: str = "") -> None:
        """Work for `role`; without one, for every loop."""
        with self._lock:
            events = [e for r, e in self._events if not role or not r or r == role]
        for event in events:
            event.set()

    def work(self, roles: frozenset[str]) -> None:
        """A committed transaction left work for these roles (a unit of work's hook)."""
        for role in roles:
            self.set(role)


class Notifier(threading.Thread):
    """PostgreSQL only: tells the other processes that work was committed, by NOTIFY on a
    connection of its own, at most once per role every `COALESCE_S`. Not inside the
    transactions themselves: PostgreSQL serialises the commits of transactions that
    notify (a global lock held through the commit's flush), which capped four workers
    below two."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="palabre-notify", daemon=True)
        self.engine = engine
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._woken = threading.Event()
        self._stopped = threading.Event()

    def work(self, roles: frozenset[str]) -> None:
        """A commit's hook: never raises (the commit is done)."""
        with self._lock:
            if self._stopped.is_set():
                return  # closing: the others still look every interval
            self._pending |= roles
            if not self.is_alive():
                self.start()
        self._woken.set()

    def run(self) -> None:
        while True:
            self._woken.wait()
            self._woken.clear()
            stopping = self._stopped.is_set()  # then nothing more is added: this is the last
            with self._lock:
                roles, self._pending = self._pending, set()
            if roles:
                self._notify(roles)
            if stopping:
                return
            time.sleep(COALESCE_S)

    def _notify(self, roles: set[str]) -> None:
        try:
            with self.engine.connect() as connection:
                for role in sorted(roles):
                    connection.execute(text("SELECT pg_notify(:channel, :role)"),
                                       {"channel": WORK_CHANNEL, "role": role})
                connection.commit()
        except Exception:  # the others still look every interval
            logger.warning("could not notify the other processes", exc_info=True)

    def stop(self) -> None:
        """What is pending goes out, then the thread ends (before its engine is disposed)."""
        self._stopped.set()
        self._woken.set()
        if self.is_alive():
            self.join(timeout=COALESCE_S + 10)


class Loop(threading.Thread):
    """Runs one step every interval until stopped; a step that did something runs again at
    once (more may be due), and a wake-up cuts the wait short."""

    def __init__(self, name: str, step: Callable[[], bool], *, interval: float,
                 wakeup: Wakeup) -> None:
        super().__init__(name=f"palabre-{name}", daemon=True)
        self.step = step
        self.interval = interval
        self.woken = wakeup.listen(name)
        self.stopped = threading.Event()

    def run(self) -> None:
        busy = False
        while not self.stopped.is_set():
            if not busy:
                self.woken.wait(self.interval)
            self.woken.clear()
            if self.stopped.is_set():
                return
            try:
                busy = self.step()
            except Exception:  # the loop's edge: log and keep going
                logger.exception("%s round failed", self.name)
                busy = False

    def stop(self) -> None:
        self.stopped.set()
        self.woken.set()


class Listener(threading.Thread):
    """PostgreSQL only: LISTENs on the work channel on a connection of its own and wakes this
    process's loops when any process commits work (a webhook's body, a reply to send)."""

    def __init__(self, engine: Engine, wakeup: Wakeup) -> None:
        super().__init__(name="palabre-listen", daemon=True)
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.wakeup = wakeup
        self.stopped = threading.Event()
        self.listening = threading.Event()

    def run(self) -> None:
        import psycopg

        while not self.stopped.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True,
                                     **PG_CONNECT_ARGS) as connection:
                    connection.execute(f"LISTEN {WORK_CHANNEL}")
                    self.listening.set()
                    self.wakeup.set()  # what was committed while nobody listened
                    while not self.stopped.is_set():
                        for notice in connection.notifies(timeout=1.0, stop_after=1):
                            self.wakeup.set(notice.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                logger.warning("not listening for work (%s); again in %.0f s", exc,
                               RECONNECT_AFTER)
                self.stopped.wait(RECONNECT_AFTER)

    def stop(self) -> None:
        self.stopped.set()


@dataclass
class Workers:
    uow_factory: Callable[[], UnitOfWork]
    loops: list[Loop] = field(default_factory=list)
    listener: Listener | None = None
    heartbeat: Heartbeat | None = None

    def stop(self) -> None:
        """Each loop finishes its round; what this process claimed and did not settle is
        free at once for the others."""
        for loop in self.loops:
            loop.stop()
        if self.listener is not None:
            self.listener.stop()
        for loop in self.loops:
            loop.join(timeout=STOP_WAIT_S)
        if any(loop.is_alive() for loop in self.loops):  # still sending: its claims stay its
            logger.warning("a loop is still busy: its claims go again once this process is "
                           "gone")  # own until its lock and heartbeat end with the process
            return
        try:
            with self.uow_factory() as uow:
                processes.retire(uow=uow)
                uow.commit()
        except Exception:  # the database may be gone: the heartbeat's absence says it too
            logger.warning("could not say goodbye to the database", exc_info=True)
        if self.heartbeat is not None:
            self.heartbeat.release()


class Heartbeat:
    """This process is alive: its claims stay its own (core/messages/workers.py). On
    PostgreSQL it also holds an advisory lock on a connection of its own, so that the others
    know of its death at once (the database frees the lock with the connection), not after
    the heartbeat's 30 s."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], engine: Engine,
                 roles: str) -> None:
        self.uow_factory, self.engine, self.roles = uow_factory, engine, roles
        self.key = secrets.randbelow(2**62 - 1) + 1
        self.connection: Connection | None = None

    def __call__(self) -> bool:
        held = self._hold()
        with self.uow_factory() as uow:
            processes.beat(uow=uow, roles=self.roles, lock_key=self.key if held else 0)
            uow.commit()
        return False

    def _hold(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return False
        try:
            if self.connection is None:
                self.connection = self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
                if not self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                               {"key": self.key}).scalar():
                    raise RuntimeError("an old session still holds the liveness lock")
            else:
                self.connection.execute(text("SELECT 1"))
            return True
        except Exception:  # the database went away: the lock with it; taken again next beat
            logger.warning("the liveness lock is lost; taking it again", exc_info=True)
            self.release()
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()
                self.connection.close()
            except Exception:  # already gone
                pass
            self.connection = None


def start(pipeline: Pipeline, engine: Engine, wakeup: Wakeup, *, interval: float,
          turns: bool = True, deliveries: bool = True) -> Workers:
    """The loops this process runs: turns (unpacking bodies, then each citizen's turn in
    order), deliveries (the outbox, on the channels it has messengers for), and while it
    delivers, a heartbeat that keeps its claims its own."""
    workers = Workers(pipeline.uow_factory)
    if turns:
        workers.loops.append(Loop(TURNS, lambda: pipeline.process_pending() > 0,
                                  interval=interval, wakeup=wakeup))
    if deliveries:
        # Console conversations deliver their own messages, each to its own terminal.
        channels = [c for c in pipeline.messengers if c != "console"]
        workers.loops.append(Loop(DELIVERIES,
                                  lambda: pipeline.deliver(channels=channels).sent > 0,
                                  interval=interval, wakeup=wakeup))
        workers.heartbeat = Heartbeat(pipeline.uow_factory, engine, DELIVERIES)
        workers.heartbeat()  # registered, and its lock held, before it claims anything
        workers.loops.append(Loop("heartbeat", workers.heartbeat,
                                  interval=processes.BEAT_EVERY.total_seconds(),
                                  wakeup=Wakeup()))  # beats, whatever else happens
    if workers.loops and engine.dialect.name == "postgresql":
        workers.listener = Listener(engine, wakeup)
        workers.listener.start()
    for loop in workers.loops:
        loop.start()
    return workers

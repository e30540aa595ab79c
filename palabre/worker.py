"""The worker loops of a process: citizens' turns, deliveries, each in a thread of its own,
woken at once when there is work (by this process's webhooks, or by any process's commit
through PostgreSQL's LISTEN/NOTIFY), else every interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine

from core.messages import workers as processes
from core.uow import WORK_CHANNEL, UnitOfWork
from dialogs.pipeline import Pipeline

logger = logging.getLogger(__name__)

ROLES = ("turns", "deliveries")
RECONNECT_AFTER = 5.0  # seconds before listening again after the database went away


class Wakeup:
    """Tells every loop of this process that work may be waiting."""

    def __init__(self) -> None:
        self._events: list[threading.Event] = []
        self._lock = threading.Lock()

    def listen(self) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._events.append(event)
        return event

    def set(self) -> None:
        with self._lock:
            events = list(self._events)
        for event in events:
            event.set()


class Loop(threading.Thread):
    """Runs one step every interval until stopped; a step that did something runs again at
    once (more may be due), and a wake-up cuts the wait short."""

    def __init__(self, name: str, step: Callable[[], bool], *, interval: float,
                 wakeup: Wakeup) -> None:
        super().__init__(name=f"palabre-{name}", daemon=True)
        self.step = step
        self.interval = interval
        self.woken = wakeup.listen()
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
                with psycopg.connect(self.dsn, autocommit=True) as connection:
                    connection.execute(f"LISTEN {WORK_CHANNEL}")
                    self.listening.set()
                    self.wakeup.set()  # what was committed while nobody listened
                    while not self.stopped.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            self.wakeup.set()
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

    def stop(self) -> None:
        """Each loop finishes its round; what this process claimed and did not settle is
        free at once for the others."""
        for loop in self.loops:
            loop.stop()
        if self.listener is not None:
            self.listener.stop()
        for loop in self.loops:
            loop.join(timeout=10)
        try:
            with self.uow_factory() as uow:
                processes.retire(uow=uow)
                uow.commit()
        except Exception:  # the database may be gone: the heartbeat's absence says it too
            logger.warning("could not say goodbye to the database", exc_info=True)


def heartbeat(uow_factory: Callable[[], UnitOfWork], roles: str) -> bool:
    """This process is alive: its claims stay its own (core/messages/workers.py)."""
    with uow_factory() as uow:
        processes.beat(uow=uow, roles=roles)
        uow.commit()
    return False


def start(pipeline: Pipeline, engine: Engine, wakeup: Wakeup, *, interval: float,
          turns: bool = True, deliveries: bool = True) -> Workers:
    """The loops this process runs: turns (unpacking bodies, then each citizen's turn in
    order), deliveries (the outbox, on the channels it has messengers for), and while it
    delivers, a heartbeat that keeps its claims its own."""
    workers = Workers(pipeline.uow_factory)
    if turns:
        workers.loops.append(Loop("turns", lambda: pipeline.process_pending() > 0,
                                  interval=interval, wakeup=wakeup))
    if deliveries:
        # Console conversations deliver their own messages, each to its own terminal.
        channels = [c for c in pipeline.messengers if c != "console"]
        workers.loops.append(Loop("deliveries",
                                  lambda: pipeline.deliver(channels=channels).sent > 0,
                                  interval=interval, wakeup=wakeup))
        workers.loops.append(Loop("heartbeat", partial(heartbeat, pipeline.uow_factory,
                                                       "deliveries"),
                                  interval=processes.BEAT_EVERY.total_seconds(),
                                  wakeup=Wakeup()))
    if workers.loops and engine.dialect.name == "postgresql":
        workers.listener = Listener(engine, wakeup)
        workers.listener.start()
    for loop in workers.loops:
        loop.start()
    return workers

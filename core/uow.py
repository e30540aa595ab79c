"""The unit of work: one transaction, the events raised in it, and the single commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from core.events import Event
from core.ports import Clock, MediaStore

EventHandler = Callable[[Any, "UnitOfWork"], None]
# What a commit may leave for the workers: citizens' messages to handle, messages to send.
TURNS, DELIVERIES = "turns", "deliveries"
WorkHook = Callable[[frozenset[str]], None]
logger = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork:
    """A database session plus the events raised in it; `commit` runs their handlers first."""

    session: Session

    def __init__(self, engine: Engine, *, clock: Clock, media: MediaStore,
                 handlers: dict[type[Event], list[EventHandler]],
                 on_work: list[WorkHook] | None = None) -> None:
        self._engine = engine
        self.clock = clock
        self.media = media
        self._handlers = handlers
        self._events: list[Event] = []
        self._after_commit: list[Callable[[], None]] = []
        self._work: set[str] = set()
        self._on_work = on_work or []

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        self._events = []
        self._after_commit = []
        self._work = set()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.session.close()  # rolls back what was not committed; loaded objects stay readable

    def publish(self, event: Event) -> None:
        self._events.append(event)

    def wake_workers(self, role: str) -> None:
        """This transaction leaves work for the workers of `role` (TURNS: a message to
        handle; DELIVERIES: one to send): once it is committed, they are told (this
        process's loops at once, other processes through the database)."""
        self._work.add(role)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run once the transaction is committed (e.g. deleting files it no longer refers to)."""
        self._after_commit.append(action)

    def attempt(self, action: Callable[[], T], what: str, *, failed: T,
                on_failure: Callable[[Exception], None] | None = None) -> T:
        """Run one item of a batch in a savepoint, with the handlers of the events it raises,
        and give its result; if it fails, its changes, events and after-commit actions are
        dropped, the failure logged, and `failed` given instead, so the batch goes on (one
        bad item never stops a scheduled job); `on_failure` hears the exception."""
        self.session.flush()  # what came before is not this item's to fail
        raised, actions = len(self._events), len(self._after_commit)
        try:
            with self.session.begin_nested():
                result = action()
                self._handle_events(since=raised)
                return result
        except Exception as exc:
            del self._events[raised:]
            del self._after_commit[actions:]
            logger.exception("%s failed; the others go on", what)
            if on_failure is not None:
                on_failure(exc)
            return failed

    def _handle_events(self, since: int = 0) -> None:
        """Handle the pending events from this one on (handlers may raise more)."""
        while len(self._events) > since:
            event = self._events.pop(since)
            for handler in self._handlers.get(type(event), []):
                handler(event, self)

    def commit(self) -> None:
        """Handle every pending event (they may raise more), then commit once."""
        self._handle_events()
        self.session.commit()
        work, self._work = frozenset(self._work), set()
        if work:
            for hook in self._on_work:
                hook(work)
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    def rollback(self) -> None:
        self._events.clear()
        self._after_commit.clear()
        self.session.rollback()


class UnitOfWorkFactory:
    """Makes units of work that share an engine, clock, media store and event handlers."""

    def __init__(self, engine: Engine, *, clock: Clock, media: MediaStore) -> None:
        self.engine = engine
        self.clock = clock
        self.media = media
        self.handlers: dict[type[Event], list[EventHandler]] = {}
        self.on_work: list[WorkHook] = []

    def when_work(self, hook: WorkHook) -> None:
        """Call `hook` with the roles a committed transaction left work for."""
        self.on_work.append(hook)

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        self.handlers.setdefault(event_type, []).append(handler)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.engine, clock=self.clock, media=self.media,
                          handlers=self.handlers, on_work=self.on_work)

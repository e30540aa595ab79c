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
logger = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork:
    """A database session plus the events raised in it; `commit` runs their handlers first."""

    session: Session

    def __init__(self, engine: Engine, *, clock: Clock, media: MediaStore,
                 handlers: dict[type[Event], list[EventHandler]]) -> None:
        self._engine = engine
        self.clock = clock
        self.media = media
        self._handlers = handlers
        self._events: list[Event] = []
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        self._events = []
        self._after_commit = []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.session.close()  # rolls back what was not committed; loaded objects stay readable

    def publish(self, event: Event) -> None:
        self._events.append(event)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run once the transaction is committed (e.g. deleting files it no longer refers to)."""
        self._after_commit.append(action)

    def attempt(self, action: Callable[[], T], what: str, *, failed: T) -> T:
        """Run one item of a batch in a savepoint and give its result; if it fails, its
        changes and events are dropped, the failure logged, and `failed` given instead, so
        the batch goes on (one bad item never stops a scheduled job)."""
        raised = len(self._events)
        try:
            with self.session.begin_nested():
                return action()
        except Exception:
            del self._events[raised:]
            logger.exception("%s failed; the others go on", what)
            return failed

    def commit(self) -> None:
        """Handle every pending event (they may raise more), then commit once."""
        while self._events:
            event = self._events.pop(0)
            for handler in self._handlers.get(type(event), []):
                handler(event, self)
        self.session.commit()
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

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        self.handlers.setdefault(event_type, []).append(handler)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.engine, clock=self.clock, media=self.media,
                          handlers=self.handlers)

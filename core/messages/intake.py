"""Storing what webhooks receive, many at a time, and unpacking it afterwards.

A webhook only checks the provider's signature or secret and the body's shape, then hands the
body to `Intake.store`: one writer thread takes every body that arrived meanwhile and inserts
them in one transaction (group commit), so concurrent webhooks neither queue for the write lock
one commit each nor pay for parsing and identifying citizens before they answer. Each caller
still waits until its body is stored: nothing is acknowledged unstored. The worker then hands
each stored body to its channel's unpacker (`unpack_waiting`), which stores the neutral
message, answers a group, or ignores it."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, exists, func, literal
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import col, select, update

from core.db import UNPACK_LOCK, insert_unless_there
from core.messages.models import InboundStatus, ProviderPost
from core.messages.spool import Spool
from core.uow import TURNS, UnitOfWork

logger = logging.getLogger(__name__)

MAX_BATCH = 500
MAX_ATTEMPTS = 3
REPLAY_EVERY_S = 5.0


@dataclass(frozen=True)
class Post:
    """A provider's body, with what identifies it."""

    channel: str
    account: str
    external_id: str
    payload: dict[str, Any]


class Unpacker(Protocol):
    def __call__(self, uow: UnitOfWork, post: Post) -> None:
        """Store what the body means (in this unit of work), or raise."""


# A caller waits on a thread's Future, or on an event loop's future: those are settled in
# one call per loop and batch (one wake-up of the loop, not one per body).
Waiter = Future[None] | asyncio.Future[None]
Job = tuple[Post, Waiter]


class Intake:
    """`store(post)` returns once the body is committed, or raises."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, max_batch: int = MAX_BATCH,
                 spool: Spool | None = None) -> None:
        self.uow_factory = uow_factory
        self.max_batch = max_batch
        self.spool = spool  # where bodies wait while the database does not answer
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def store(self, post: Post, timeout: float = 30.0) -> None:
        done: Future[None] = Future()
        self._put(post, done)
        done.result(timeout)

    async def store_async(self, post: Post) -> None:
        """`store` for an event loop: waits without holding a thread."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._put(post, done)
        await done

    def _put(self, post: Post, done: Waiter) -> None:
        self._running()
        self._jobs.put((post, done))

    def _running(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="palabre-intake",
                                                daemon=True)
                self._thread.start()

    def start(self) -> None:
        """Run now (not at the first body): bodies spooled before a restart go in."""
        self._running()

    def _loop(self) -> None:
        """Group commit: what queued while the last batch was committing shares the next
        commit. No waiting for more: a caller waits for its own commit, and with many callers
        the queue fills by itself (bench/webhooks.py: a 10 ms wait halved the throughput).
        While bodies wait in the spool, they are tried again every `REPLAY_EVERY_S`."""
        if self._spooled():
            self._store_safely([])
        while True:
            try:
                first = self._jobs.get(timeout=REPLAY_EVERY_S if self._spooled() else None)
            except queue.Empty:
                self._store_safely([])
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            self._store_safely(batch)

    def _store_safely(self, batch: list[Job]) -> None:
        """The writer thread never dies: every caller hears what went wrong."""
        try:
            self._store_all(batch)
        except Exception as exc:
            logger.exception("the intake failed on %s bodies", len(batch))
            _settle([(done, exc) for _, done in batch if not done.done()])

    def _spooled(self) -> bool:
        return self.spool is not None and bool(self.spool.waiting(limit=1))

    def _store_all(self, batch: list[Job]) -> None:
        """The spooled bodies first (they came first), then the batch, in one commit; when
        the database does not answer, the batch joins the spool and is acknowledged."""
        spooled = self.spool.waiting(self.max_batch) if self.spool is not None else []
        earlier = [body for body in map(self.spool.read, spooled) if body] \
            if self.spool is not None else []
        try:
            with self.uow_factory() as uow:
                now = uow.clock.now()
                posts = [Post(b["channel"], b["account"], b["external_id"], b["payload"])
                         for b in earlier] + [p for p, _ in batch]
                unique = {(p.channel, p.external_id): p for p in posts}.values()
                if unique:
                    # Core on the session's connection: the ORM's bulk path costs more than
                    # the insert itself (bench/webhooks.py).
                    uow.session.connection().execute(_insert_new(uow), [
                        {"channel": p.channel, "account": p.account[:64],
                         "external_id": p.external_id, "payload": p.payload,
                         "received_at": now, "status": InboundStatus.RECEIVED,
                         "attempts": 0} for p in unique])
                    uow.wake_workers(TURNS)
                uow.commit()
        except (OperationalError, InterfaceError) as exc:  # the database does not answer
            if self.spool is None or not batch:
                _settle([(done, exc) for _, done in batch])
                return
            try:
                kept = self.spool.keep({"channel": p.channel, "account": p.account,
                                        "external_id": p.external_id, "payload": p.payload}
                                       for p, _ in batch)
            except OSError as disk:  # nowhere to keep them: the providers hear it
                logger.exception("the database does not answer and the spool cannot be "
                                 "written")
                _settle([(done, disk) for _, done in batch])
                return
            logger.warning("the database does not answer (%s): %s webhook bodies kept in %s "
                           "until it does", type(exc).__name__, kept, self.spool.folder)
            _settle([(done, None) for _, done in batch])
            return
        except Exception as exc:  # the batch did not commit: every caller hears it
            logger.exception("storing %s provider posts failed", len(batch))
            _settle([(done, exc) for _, done in batch])
            return
        if spooled and self.spool is not None:
            self.spool.remove(spooled)
            logger.info("%s spooled webhook bodies stored", len(spooled))
        _settle([(done, None) for _, done in batch])


def _settle(outcomes: list[tuple[Waiter, BaseException | None]]) -> None:
    """Tell every waiter how its body fared; each event loop once for all its waiters."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None],
                                                        BaseException | None]]] = \
        defaultdict(list)
    for done, exc in outcomes:
        if isinstance(done, asyncio.Future):
            by_loop[done.get_loop()].append((done, exc))
        elif exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)
    for loop, waiters in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_in_loop, waiters)
        except RuntimeError:  # the loop closed meanwhile: nobody is waiting any more
            logger.warning("%s webhook callers were gone before their posts were stored",
                           len(waiters))


def _settle_in_loop(waiters: list[tuple[asyncio.Future[None], BaseException | None]]) -> None:
    for done, exc in waiters:
        if done.done():  # the caller gave up (client disconnected): the body is stored anyway
            continue
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)


def _insert_new(uow: UnitOfWork) -> Any:
    """An insert that skips a body already stored (a provider's retry) in the same statement."""
    return insert_unless_there(uow.session.get_bind().dialect.name,
                               ProviderPost.__table__,  # type: ignore[attr-defined]
                               ("channel", "external_id"))


def _waiting_and_ours(uow: UnitOfWork) -> bool:
    """Whether bodies wait and this transaction may unpack them (one statement: most rounds
    find none)."""
    waiting = exists().where(col(ProviderPost.status) == InboundStatus.RECEIVED)
    ours: ColumnElement[Any]
    if uow.session.get_bind().dialect.name == "postgresql":
        ours = func.pg_try_advisory_xact_lock(UNPACK_LOCK)
    else:  # SQLite's transactions hold the one write lock from their start
        ours = literal(True)
    return bool(uow.session.execute(select(ours).where(waiting)).scalar())


def unpack_waiting(*, uow_factory: Callable[[], UnitOfWork],
                   unpackers: Mapping[str, Unpacker], limit: int = 500) -> int:
    """Turn stored bodies into messages, oldest first, in one transaction (each body in a
    savepoint of its own); a failure is logged and retried, then the body is kept as failed.
    One process unpacks at a time (a transaction lock on PostgreSQL; another process skips
    its turn), so that a citizen's messages are stored in the order their bodies arrived.
    How many were unpacked."""
    failures: list[tuple[int, Exception]] = []
    unpacked: list[int] = []
    with uow_factory() as uow:
        if not _waiting_and_ours(uow):
            return 0
        rows = list(uow.session.exec(
            select(ProviderPost).where(ProviderPost.status == InboundStatus.RECEIVED)
            .order_by(col(ProviderPost.id)).limit(limit)).all())
        for row in rows:
            assert row.id is not None
            post_id = row.id

            def unpack(row: ProviderPost = row) -> bool:
                unpacker = unpackers.get(row.channel)
                if unpacker is None:
                    raise LookupError(f"no unpacker for {row.channel}")
                unpacker(uow, Post(row.channel, row.account, row.external_id,
                                   dict(row.payload)))
                return True

            def failed(exc: Exception, post_id: int = post_id) -> None:
                failures.append((post_id, exc))

            if uow.attempt(unpack, f"unpacking provider post {post_id}", failed=False,
                           on_failure=failed):
                unpacked.append(post_id)
        if unpacked:  # one statement for them all
            uow.session.exec(update(ProviderPost)
                             .where(col(ProviderPost.id).in_(unpacked))
                             .values(status=InboundStatus.PROCESSED),
                             execution_options={"synchronize_session": False})
        for post_id, exc in failures:  # counted beside the others, in the same commit
            row = uow.session.get_one(ProviderPost, post_id)
            row.attempts += 1
            row.last_error = repr(exc)[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = InboundStatus.FAILED
            uow.session.add(row)
        uow.commit()
    return len(unpacked)

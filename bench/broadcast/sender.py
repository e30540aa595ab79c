"""A delivering process as `palabre serve` runs one, and the run around it: deliver, interrupt
the sender, start another at once, finish.

The sender bootstraps the application from the same settings, runs `prepare` (which puts back
claims whose lease has expired) and the worker loops of `palabre.worker` (turns, and
deliveries: `deliver_pending` when woken or every `PALABRE_WORKER_INTERVAL_SECONDS`, whose
Telegram messenger throttles itself per bot). A message the killed
sender had claimed stays 'sending' until its lease (core.messages.delivery.CLAIM_LEASE)
expires; the run waits for it (`--lease-wait`) or stops once nothing else is left.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from bench.broadcast.seed import Deployment, sending, statuses, waiting
from bench.broadcast.telegram import RateLimitedTelegram
from bench.common.backends import local_network_only
from bench.common.report import progress
from core.messages.delivery import CLAIM_LEASE
from core.messages.workers import DEAD_AFTER
from palabre import worker as workers
from palabre.bootstrap import bootstrap, prepare

POLL_S = 0.25
STARTUP_TIMEOUT_S = 120.0


def sender(deployment: Deployment) -> None:
    """A delivering process as `palabre serve` runs one (without the web server): bootstrap,
    prepare, the worker thread; it stops once the broadcast has nothing waiting, or on SIGTERM
    after the worker's current round, as `palabre serve` does."""
    logging.basicConfig(level=logging.WARNING, format="sender: %(levelname)s %(name)s: "
                        "%(message)s")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with local_network_only():
        app = bootstrap(deployment.settings())
        prepare(app)
        worker = workers.start(app.pipeline, app.engine, app.wakeup,
                               interval=app.settings.worker_interval_seconds)
        while not stopping.wait(POLL_S) and waiting(statuses(app.engine,
                                                             deployment.broadcast_id)):
            pass
        worker.stop()
        app.close()


def start_sender(deployment: Deployment) -> Any:
    """A sender in a process of its own (spawned: nothing inherited from the bench)."""
    process = multiprocessing.get_context("spawn").Process(target=sender, args=(deployment,),
                                                           name="palabre-sender")
    process.start()
    return process


# --- one run: deliver, interrupt, restart, finish ---------------------------------------------


@dataclass(frozen=True)
class Stranded:
    """A message the interrupted sender left 'sending': sent or not, and when it is released."""

    outbox_id: int
    chat_id: str
    sent_before: bool
    released_at: float  # monotonic


@dataclass
class Timeline:
    """What happened to the senders, in this process's monotonic time."""

    interrupted_at: float | None = None
    gone_at: float | None = None  # when the interrupted sender had exited
    signal: str = ""
    stranded: list[Stranded] = field(default_factory=list)
    ending: str = "the sender finished the broadcast"
    outbox: Counter[str] = field(default_factory=Counter)


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether the condition came true within the timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S / 5)
    return True


def deliver(fake: RateLimitedTelegram, engine: Engine, deployment: Deployment,
            args: argparse.Namespace) -> Timeline:
    """Run a sender, interrupt it `kill_after` seconds after the first message, run another
    until the broadcast is done (or only stranded messages are left, without --lease-wait)."""
    timeline = Timeline()
    first = start_sender(deployment)
    others = [start_sender(deployment) for _ in range(args.senders - 1)]
    if not wait_for(lambda: fake.count() > 0 or not first.is_alive(), STARTUP_TIMEOUT_S):
        first.kill()
        raise RuntimeError("the sender sent nothing within two minutes")
    started = fake.received()[0].at if fake.count() else time.monotonic()
    progress(f"first message accepted; interrupting the sender {args.kill_after:.0f} s later")
    if wait_for(lambda: not first.is_alive(), started + args.kill_after - time.monotonic()):
        timeline.ending = "the first sender finished before the interruption"
    else:
        interrupt(first, args, timeline, fake)
        note_stranded(timeline, fake, engine, deployment.broadcast_id)
        second = start_sender(deployment)
        finish(second, engine, deployment.broadcast_id, timeline, args)
    for other in others:  # each stops once nothing is left (or is stopped now)
        other.join(30)
        if other.is_alive():
            other.terminate()
            other.join(30)
    timeline.outbox = statuses(engine, deployment.broadcast_id)
    return timeline


def interrupt(process: Any, args: argparse.Namespace, timeline: Timeline,
              fake: RateLimitedTelegram) -> None:
    """Stop the sender: SIGKILL now, or at its next message (Telegram accepted it, the sender
    never hears so), or SIGTERM and wait for it to end its round."""
    number = signal.SIGKILL if args.signal == "kill" else signal.SIGTERM
    timeline.signal = number.name + (" in flight" if args.in_flight else "")
    killed = threading.Event()

    def stop() -> None:
        os.kill(process.pid, number)
        timeline.interrupted_at = time.monotonic()
        killed.set()

    if args.in_flight:
        fake.on_accept = stop
    else:
        stop()
    if not killed.wait(STARTUP_TIMEOUT_S):
        raise RuntimeError("the sender sent nothing more to interrupt")
    process.join(30)
    timeline.gone_at = time.monotonic()
    time.sleep(0.2)  # a request the fake already read is answered before we look
    progress(f"{timeline.signal} after {fake.count():,} messages; starting a new sender")


def note_stranded(timeline: Timeline, fake: RateLimitedTelegram, engine: Engine,
                  broadcast_id: int) -> None:
    """The messages the interrupted sender left 'sending', and when their lease ends."""
    sent = {a.chat_id for a in fake.received()}
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, address, next_attempt_at FROM outbound_message "
            "WHERE broadcast_id = :b AND status = 'sending'"), {"b": broadcast_id}).all()
    now_wall, now = datetime.now(UTC).replace(tzinfo=None), time.monotonic()
    # Freed when its process has missed its heartbeat (DEAD_AFTER), or at its lease's end
    dead = DEAD_AFTER.total_seconds()
    timeline.stranded = [Stranded(int(i), str(a), str(a) in sent,
                                  now + min(dead, (_naive(lease) - now_wall).total_seconds()))
                         for i, a, lease in rows]


def _naive(value: Any) -> datetime:
    """A stored UTC timestamp (SQLite gives text through a raw query) as a naive datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None)


def finish(process: Any, engine: Engine, broadcast_id: int, timeline: Timeline,
           args: argparse.Namespace) -> None:
    """Wait for the new sender to finish; without --lease-wait, stop it once only the stranded
    messages are left."""
    stranded = {s.outbox_id for s in timeline.stranded}
    deadline = time.monotonic() + 3 * args.messages / args.rate + CLAIM_LEASE.total_seconds()
    while process.is_alive():
        counts = statuses(engine, broadcast_id)
        if (not args.lease_wait and stranded and waiting(counts) == counts["sending"]
                and sending(engine, broadcast_id) <= stranded):
            timeline.ending = (f"stopped with only the stranded left 'sending' (--no-lease-wait):"
                               f" {waiting(counts)} not sent")
            break
        if time.monotonic() > deadline:
            timeline.ending = f"TIMED OUT with {waiting(counts)} messages waiting"
            break
        time.sleep(POLL_S)
    if process.is_alive():
        process.terminate()
    process.join(30)


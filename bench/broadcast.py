"""How close one announcement to a whole commune comes to Telegram's 30 messages a second, and
what a sender killed halfway costs.

One broadcast to N citizens of Cotonou, each on Telegram, goes through Palabre's real code:
`core.broadcasts.service.create` (urgent, so that quiet hours never hold it back), then
`palabre.scheduler.queue_due_broadcasts` puts N messages in the outbox. A separate process
delivers them as `palabre serve` does: it bootstraps the application from the same settings,
runs `prepare` (which puts back claims whose lease has expired) and the `palabre.worker.Worker`
thread (every `PALABRE_WORKER_INTERVAL_SECONDS`, `Pipeline.run_once`: handle what came in,
then `deliver_pending`, whose Telegram messenger throttles itself per bot).

Telegram is a fake Bot API on 127.0.0.1 in this process (tests/fakes/telegram_api.py, with a
sliding window): a sendMessage that would make more than `--rate` accepted messages within the
last second is answered 429 "retry after 1", as Telegram does; every accepted message is
recorded with its chat and time.

`--kill-after` seconds after the first accepted message (default 40 % of N/rate) the sender gets
SIGKILL (`--in-flight`: from inside the fake, once Telegram has accepted a message and before
the sender hears so; `--signal term`: a graceful stop instead) and a new sender process starts
at once; it must finish the broadcast. A message the killed sender had claimed stays 'sending'
until its lease (core.messages.delivery.CLAIM_LEASE) expires; the bench waits for it
(`--lease-wait`, the default) or, with `--no-lease-wait` (the default of `--quick`), stops once
nothing else is left and reports it as stranded.

The goal: from the first accepted message to the last within 5 % of the bound N/rate, no 429,
no citizen left without the message, none who got it twice.

Each backend gets a fresh database: a temporary SQLite file, and for PostgreSQL a temporary
database created on the server given (dropped at the end). Only 127.0.0.1 is contacted.

    .venv/bin/python -m bench.broadcast --quick              # 1,000 messages, under a minute
    .venv/bin/python -m bench.broadcast                      # 10,000; SQLite (+ PostgreSQL)
    .venv/bin/python -m bench.broadcast --pg-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.broadcast --messages 3000 --kill-after 30 --signal term
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import platform
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text

if __package__ in (None, ""):  # run as `python bench/broadcast.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline import (  # noqa: E402
    local_network_only,
    on_each_backend,
    postgres_problem,
    progress,
    server_version,
)
from core.broadcasts import service as broadcasts  # noqa: E402
from core.broadcasts.service import NewBroadcast  # noqa: E402
from core.citizens.models import ChannelIdentity, Citizen  # noqa: E402
from core.db import make_engine  # noqa: E402
from core.messages.delivery import CLAIM_LEASE  # noqa: E402
from palabre.bootstrap import bootstrap, prepare  # noqa: E402
from palabre.scheduler import queue_due_broadcasts  # noqa: E402
from palabre.settings import Settings  # noqa: E402
from palabre.worker import Worker  # noqa: E402
from tests.fakes.telegram_api import ApiError, FakeTelegramApi  # noqa: E402

TOKEN = "123456789:AAH-bench-token-not-a-real-bot_000"
BOT = TOKEN.split(":")[0]
COMMUNE = "BJ-LI-COT"
FIRST_CHAT = 700_000_000
ANNOUNCEMENT = "Coupure d'eau demain de 8 h à 14 h dans tout Cotonou. Prévoyez des réserves."
DEFAULT_MESSAGES, QUICK_MESSAGES = 10_000, 1_000
DEFAULT_RATE = 30
KILL_SHARE = 0.4  # of the bound N/rate, by default
GOAL_RATIO = 1.05
POLL_S = 0.25
STARTUP_TIMEOUT_S = 120.0
WINDOW_S = 1.0


# --- Telegram --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accepted:
    """One message the fake Bot API accepted: to whom, what, when (this process's monotonic)."""

    chat_id: str
    text: str
    at: float


class RateLimitedTelegram(FakeTelegramApi):
    """The tests' fake Bot API, answering 429 to any sendMessage that would make more than
    `rate` accepted in the last second, as Telegram does for one bot."""

    def __init__(self, tokens: Sequence[str], *, rate: int) -> None:
        super().__init__(tokens)
        self.rate = rate
        self.accepted: list[Accepted] = []
        self.refused_at: list[float] = []
        self.on_accept: Callable[[], None] | None = None  # called once, before the answer
        self._window: deque[float] = deque()

    def _send_message(self, request: Any) -> dict[str, Any]:
        now = time.monotonic()  # the fake answers under its lock: one message at a time
        while self._window and now - self._window[0] >= WINDOW_S:
            self._window.popleft()
        if len(self._window) >= self.rate:
            self.refused_at.append(now)
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        message = super()._send_message(request)
        self._window.append(now)
        self.accepted.append(Accepted(str(request.params["chat_id"]),
                                      str(request.params["text"]), now))
        hook, self.on_accept = self.on_accept, None
        if hook is not None:
            hook()
        return message

    def received(self) -> list[Accepted]:
        """Every accepted message so far, in order."""
        with self._cond:
            return list(self.accepted)

    def count(self) -> int:
        with self._cond:
            return len(self.accepted)

    def refused(self) -> list[float]:
        """When the fake answered 429."""
        with self._cond:
            return list(self.refused_at)


# --- the database and the broadcast -----------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """What a sender process needs to build the same application as the bench."""

    database_url: str
    media: str
    api_url: str
    broadcast_id: int = 0

    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, media_dir=Path(self.media),
                        telegram_token=TOKEN, telegram_api_url=self.api_url,
                        transcription_routes="", console_commune="", log_level="WARNING",
                        _env_file=None)  # type: ignore[call-arg]


def set_up(deployment: Deployment, messages: int) -> tuple[Deployment, list[str]]:
    """Migrate, add the citizens, create and queue the broadcast; its id and the chat ids."""
    app = bootstrap(deployment.settings())
    try:
        prepare(app)
        chats = add_citizens(app.engine, messages)
        with app.uow_factory() as uow:
            broadcast = broadcasts.create(uow=uow, new=NewBroadcast(
                commune_id=COMMUNE, text=ANNOUNCEMENT, created_by="bench", urgent=True))
            uow.commit()
        queue_due_broadcasts(app)
        assert broadcast.id is not None
        return Deployment(deployment.database_url, deployment.media, deployment.api_url,
                          broadcast.id), chats
    finally:
        app.close()


def add_citizens(engine: Engine, count: int) -> list[str]:
    """`count` consenting French-speaking citizens of Cotonou, each with a Telegram chat."""
    now = datetime.now(UTC)
    chats = [str(FIRST_CHAT + n) for n in range(count)]
    citizen, identity = Citizen.__table__, ChannelIdentity.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(insert(citizen), [
            {"language": "fr", "commune_id": COMMUNE, "consent_at": now, "created_at": now,
             "last_seen_at": now, "broadcast_opt_out": False, "blocked": False}
            for _ in chats])
        ids = connection.execute(select(citizen.c.id).order_by(citizen.c.id)).scalars().all()
        connection.execute(insert(identity), [
            {"citizen_id": citizen_id, "channel": "telegram", "address": chat, "account": BOT,
             "unreachable": False, "created_at": now, "last_inbound_at": now}
            for citizen_id, chat in zip(ids, chats, strict=True)])
    return chats


def statuses(engine: Engine, broadcast_id: int) -> Counter[str]:
    """How many of the broadcast's outbox messages are in each status."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT status, count(*) FROM outbound_message WHERE broadcast_id = :b "
            "GROUP BY status"), {"b": broadcast_id}).all()
    return Counter({status: int(count) for status, count in rows})


def sending(engine: Engine, broadcast_id: int) -> set[int]:
    """The ids of the broadcast's messages claimed by a sender and not yet recorded."""
    with engine.connect() as connection:
        return set(connection.execute(text(
            "SELECT id FROM outbound_message WHERE broadcast_id = :b AND status = 'sending'"),
            {"b": broadcast_id}).scalars())


def waiting(counts: Counter[str]) -> int:
    """Messages not yet handed to Telegram (nor given up)."""
    return counts["pending"] + counts["sending"] + counts["held"]


# --- the sender process -----------------------------------------------------------------------


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
        worker = Worker(app.pipeline, interval=app.settings.worker_interval_seconds,
                        wakeup=app.wakeup)
        worker.start()
        while not stopping.wait(POLL_S) and waiting(statuses(app.engine,
                                                             deployment.broadcast_id)):
            pass
        worker.stop()
        worker.join(timeout=10)
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
    timeline.stranded = [Stranded(int(i), str(a), str(a) in sent,
                                  now + (_naive(lease) - now_wall).total_seconds())
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


# --- what the run shows ------------------------------------------------------------------------


@dataclass
class Result:
    """One backend's run: the messages Telegram accepted, checked against the citizens."""

    backend: str
    version: str
    chats: list[str]
    accepted: list[Accepted]
    refused_at: list[float]  # when the fake answered 429
    timeline: Timeline
    rate: int

    @property
    def refused(self) -> int:
        return len(self.refused_at)

    def garbled(self) -> int:
        """Accepted messages that do not carry the announcement (none expected)."""
        return sum(1 for a in self.accepted if ANNOUNCEMENT not in a.text)

    @property
    def bound(self) -> float:
        return len(self.chats) / self.rate

    @property
    def total(self) -> float:
        return self.accepted[-1].at - self.accepted[0].at if self.accepted else 0.0

    def per_chat(self) -> Counter[str]:
        return Counter(a.chat_id for a in self.accepted)

    def lost(self) -> int:
        got = self.per_chat()
        return sum(1 for chat in self.chats if not got[chat])

    def duplicated(self) -> int:
        return sum(1 for n in self.per_chat().values() if n > 1)

    def strangers(self) -> int:
        """Messages to chats that are not the citizens' (none expected)."""
        known = set(self.chats)
        return sum(1 for a in self.accepted if a.chat_id not in known)

    def unresolved(self) -> list[Stranded]:
        """Stranded messages the run ended without sending again."""
        after = self.timeline.gone_at or 0.0
        again = {a.chat_id for a in self.accepted if a.at > after}
        return [s for s in self.timeline.stranded if s.chat_id not in again]

    def met(self) -> bool:
        return (bool(self.accepted) and self.total <= GOAL_RATIO * self.bound
                and not self.refused and not self.lost() and not self.duplicated()
                and not self.unresolved())


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    """Set up a fresh database and a fresh fake Telegram, then deliver the broadcast."""
    with RateLimitedTelegram([TOKEN], rate=args.rate) as fake:
        progress(f"{backend}: migrating, adding {args.messages:,} citizens, queuing the "
                 "broadcast")
        deployment, chats = set_up(Deployment(url, str(media), fake.url), args.messages)
        engine = make_engine(url)
        try:
            progress(f"{backend}: {statuses(engine, deployment.broadcast_id)['pending']:,} "
                     f"messages queued; bound {args.messages / args.rate:.1f} s")
            timeline = deliver(fake, engine, deployment, args)
            version = server_version(engine)
        finally:
            engine.dispose()
        return Result(backend, version, chats, fake.received(), fake.refused(), timeline,
                      args.rate)


def row(cells: Sequence[str]) -> str:
    """One line of the table: the backend left-aligned, the numbers right-aligned."""
    widths = (11, 9, 7, 8, 8, 7, 7, 5, 5, 5, 9)
    return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                     for i, (cell, w) in enumerate(zip(cells, widths, strict=True))).rstrip()


def table_line(r: Result) -> str:
    """A backend's line of the table."""
    pause = restart_pause(r)
    return row((r.backend, f"{len(r.chats):,}", str(r.rate), f"{r.bound:.1f}",
                f"{r.total:.1f}", f"{len(r.accepted) / r.total if r.total else 0:.1f}",
                f"{r.total / r.bound:.3f}", str(r.refused), str(r.lost()),
                str(r.duplicated()), "-" if pause is None else f"{pause:.1f}"))


def restart_pause(r: Result) -> float | None:
    """Seconds without any message around the interruption."""
    cut = r.timeline.gone_at
    before = [a.at for a in r.accepted if cut is not None and a.at <= cut]
    after = [a.at for a in r.accepted if cut is not None and a.at > cut]
    return after[0] - before[-1] if before and after else None


def details(r: Result) -> list[str]:
    """What happened around the interruption, and the verdict, for one backend."""
    t, first = r.timeline, r.accepted[0].at if r.accepted else 0.0
    lines = [f"{r.backend} ({r.version}): {t.ending}; outbox at the end: "
             + ", ".join(f"{n:,} {s}" for s, n in sorted(t.outbox.items()))]
    if t.interrupted_at is not None and t.gone_at is not None:
        before = [a for a in r.accepted if a.at <= t.gone_at]
        after = [a for a in r.accepted if a.at > t.gone_at]
        stranded = {s.chat_id for s in t.stranded}
        others = [a for a in after if a.chat_id not in stranded]
        lines.append(f"  {t.signal} at +{t.interrupted_at - first:.1f} s; the sender was gone "
                     f"{t.gone_at - t.interrupted_at:.2f} s later, after {len(before):,} "
                     f"messages ({_rate(before):.1f}/s); the new sender's first message "
                     f"{_since(after, t.gone_at)} after that, then {_rate(others):.1f}/s"
                     + (" (the stranded left out)" if stranded else ""))
        lines += stranded_lines(r, after)
        late = sum(1 for at in r.refused_at if at > t.gone_at)
        lines.append(f"  429 answers: {r.refused - late} before the interruption, {late} after")
    lines.append(f"  goal {'MET' if r.met() else 'NOT MET'}: {r.total:.1f} s for a bound of "
                 f"{r.bound:.1f} s ({(r.total / r.bound - 1) * 100:+.1f} %), {r.refused} "
                 f"answered 429, {r.lost()} lost, {r.duplicated()} duplicated"
                 + (f", {r.strangers()} to unknown chats" if r.strangers() else "")
                 + (f", {r.garbled()} without the announcement" if r.garbled() else "")
                 + "".join(f"; outbox {s.outbox_id} still 'sending' (lease not awaited: "
                           f"{'duplicated' if s.sent_before else 'late'} when it ends)"
                           for s in r.unresolved()))
    return lines


def stranded_lines(r: Result, after: list[Accepted]) -> list[str]:
    """What became of each message the interrupted sender left 'sending'."""
    t = r.timeline
    assert t.gone_at is not None
    if not t.stranded:
        return ["  nothing was left 'sending' by the interrupted sender"]
    lines = []
    stranded = {s.chat_id for s in t.stranded}
    for s in t.stranded:
        again = [a for a in after if a.chat_id == s.chat_id]
        fate = (f"sent again {again[0].at - t.gone_at:.1f} s after the interruption"
                if again else f"not sent again (its lease ends "
                              f"{s.released_at - t.gone_at:.0f} s after the interruption)")
        lines.append(f"  outbox {s.outbox_id} (chat {s.chat_id}) left 'sending' by the "
                     f"interrupted sender, {'already' if s.sent_before else 'not yet'} "
                     f"accepted by Telegram; {fate}")
    others = [a for a in r.accepted if a.chat_id not in stranded]
    if others and r.accepted:
        span = others[-1].at - r.accepted[0].at
        lines.append(f"  without the stranded: last message at +{span:.1f} s "
                     f"({span / r.bound:.3f} of the bound)")
    return lines


def _rate(accepted: list[Accepted]) -> float:
    span = accepted[-1].at - accepted[0].at if len(accepted) > 1 else 0.0
    return (len(accepted) - 1) / span if span else 0.0


def _since(accepted: list[Accepted], moment: float) -> str:
    return f"{accepted[0].at - moment:.1f} s" if accepted else "(none)"


def report(results: Sequence[Result], args: argparse.Namespace, skipped: str | None) -> str:
    """The whole printed report: setting, goal, the table, what happened on each backend."""
    stopped = ("SIGKILLed (in flight: as Telegram accepts a message)" if args.in_flight
               else "SIGKILLed" if args.signal == "kill" else "SIGTERMed")
    lines = [f"Palabre broadcast benchmark: one urgent announcement to {args.messages:,} Telegram "
             f"citizens of Cotonou; the fake Bot API accepts {args.rate} messages per sliding "
             f"second (429 beyond); the sender process {stopped} {args.kill_after:.0f} s after "
             "its first message, a new one started at once",
             f"Python {platform.python_version()} on {os.cpu_count()} CPUs; worker interval "
             f"{Settings(_env_file=None).worker_interval_seconds} s; "  # type: ignore[call-arg]
             f"CLAIM_LEASE {CLAIM_LEASE.total_seconds():.0f} s; "
             f"{'waiting' if args.lease_wait else 'not waiting'} for stranded claims",
             f"Goal: first to last accepted message within {(GOAL_RATIO - 1) * 100:.0f} % of "
             "the bound N/rate, no 429, none lost, none duplicated", "",
             row(("backend", "messages", "rate/s", "bound s", "total s", "msg/s", "ratio",
                  "429", "lost", "dup", "pause s")),
             *map(table_line, results), ""]
    for result in results:
        lines += details(result)
    lines += ["total: first to last message Telegram accepted; ratio: total ÷ bound; lost: "
              "citizens with no message; dup: citizens with more than one; pause: seconds "
              "without a message around the interruption"]
    if skipped:
        lines.append(skipped)
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many messages, at what rate, how the sender is stopped, where."""
    parser = argparse.ArgumentParser(prog="bench.broadcast", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None,
                        help=f"citizens, so messages (default {DEFAULT_MESSAGES:,}, "
                             f"{QUICK_MESSAGES:,} with --quick)")
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE,
                        help=f"messages per second the fake Telegram accepts (default "
                             f"{DEFAULT_RATE})")
    parser.add_argument("--kill-after", type=float, default=None,
                        help=f"seconds after the first message (default {KILL_SHARE:.0%}% "
                             "of messages/rate)")
    parser.add_argument("--signal", choices=("kill", "term"), default="kill",
                        help="SIGKILL the sender (default) or stop it gracefully with SIGTERM")
    parser.add_argument("--in-flight", action="store_true",
                        help="SIGKILL the sender from inside the fake Telegram, once it has "
                             "accepted a message and before it answers (the worst moment)")
    parser.add_argument("--lease-wait", action=argparse.BooleanOptionalAction, default=None,
                        help="wait for messages left 'sending' to be released by the lease "
                             "(default: yes, no with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_MESSAGES:,} messages, no lease wait: under a minute")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server to create the temporary database on "
                             "(default: TEST_DATABASE_URL or BENCH_DATABASE_URL)")
    args = parser.parse_args(argv)
    args.messages = args.messages or (QUICK_MESSAGES if args.quick else DEFAULT_MESSAGES)
    if args.messages < 1 or args.rate < 1:
        parser.error("--messages and --rate must be at least 1")
    if args.kill_after is None:
        args.kill_after = KILL_SHARE * args.messages / args.rate
    if args.in_flight and args.signal != "kill":
        parser.error("--in-flight goes with --signal kill")
    if args.lease_wait is None:
        args.lease_wait = not args.quick
    problem = postgres_problem(args.pg_url) if args.pg_url and not args.sqlite_only else None
    if problem:
        parser.error(f"--pg-url: {problem}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the table."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    results, skipped = on_each_backend(
        args.pg_url, args.sqlite_only,
        lambda name, url, media: run_backend(name, url, media, args),
        names=("SQLite", "PostgreSQL"))
    print(report(results, args, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())

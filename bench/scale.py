"""Citizens' turns with 1, 2 and 4 worker processes on one PostgreSQL database, over HTTP.

What a national deployment does when a council session goes live: many citizens write at
once. A `palabre serve --web` process takes their Telegram updates at its webhook (secret
checked, body stored, acknowledged), and `palabre worker --no-deliveries` processes (1, 2, 4)
unpack them and run each citizen's turns, in order, replies queued in the outbox (delivery is
not measured). Each worker count gets a fresh database and two phases:
- **burst**: `--citizens` citizens each send their whole conversation (onboarding, a report
  with its pin, one more thing from the menu: bench/pipeline.py's scripts), round by round
  (a citizen's next message goes once the previous one was acknowledged), as fast as the
  webhook takes them; turns/s is how fast the workers drain them (first post to last turn).
  then (`--kill`, default on) one more run of the most workers, one of them killed with
  SIGKILL once half the turns are done;
- **paced**: new citizens' conversations offered at `--rate` messages a second for
  `--seconds`; p50/p99 from the webhook's post to the reply queued.
Then: lost (acknowledged, never handled), duplicated (a turn's reply queued twice), order
(a citizen's turns handled out of the order they wrote). Beside it, in the same run, bare
one-row inserts in a transaction each give the database's own floor.

Targets on a 2-core machine: 2 workers ≥ 1.6× one; one worker ≥ 100 turns/s with p99 < 50 ms;
0 lost, 0 duplicated, 0 out of order.

    .venv/bin/python -m bench.scale --pg-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.scale --workers 1,2 --citizens 100 --no-kill
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bench.common.backends import postgres_problem, temporary_postgres
from bench.common.database import pilot_app
from bench.common.measures import Latencies
from bench.common.report import Columns, machine, progress
from bench.pipeline import Said, citizen_script
from bench.webhooks import exchange, free_port, wait_until_up
from bots.telegram.config import BotConfig
from core.db import normalise_url
from palabre.bootstrap import prepare

TOKEN = "123456789:AAH-bench-scale-token-for-palabre_0"
BOT = "123456789"
SENDERS = 50  # connections posting at once in the burst
TARGET_RATIO = 1.6
TARGET_TURNS = 100.0
TARGET_P99_MS = 50.0
INSERTS = 2000


# --- the processes ----------------------------------------------------------------------------


def environment(url: str, media: Path, port: int) -> dict[str, str]:
    return {**os.environ, "PALABRE_DATABASE_URL": url, "PALABRE_MEDIA_DIR": str(media),
            "PALABRE_TELEGRAM_TOKEN": TOKEN, "PALABRE_TELEGRAM_API_URL": "http://127.0.0.1:9",
            "PALABRE_HOST": "127.0.0.1", "PALABRE_PORT": str(port),
            "PALABRE_SCHEDULER": "false", "PALABRE_AUTO_MIGRATE": "false",
            "PALABRE_TRANSCRIPTION_ROUTES": "", "PALABRE_LOG_LEVEL": "WARNING"}


def palabre(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "palabre"), *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- what the citizens post --------------------------------------------------------------------


def update(citizen: int, number: int, said: Said) -> dict[str, Any]:
    """One private message (text or pin) from a citizen, in the Bot API's shape."""
    chat = {"id": 700_000_000 + citizen, "first_name": f"C{citizen}", "type": "private"}
    message: dict[str, Any] = {"message_id": number, "date": int(time.time()), "chat": chat,
                               "from": {"id": chat["id"], "is_bot": False,
                                        "first_name": chat["first_name"]}}
    words, pin = said
    if pin is not None:
        message["location"] = {"latitude": pin.latitude, "longitude": pin.longitude}
    else:
        message["text"] = words
    return {"update_id": citizen * 100 + number, "message": message}


def request(port: int, secret: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    head = [f"POST /webhooks/telegram/{BOT} HTTP/1.1", f"Host: 127.0.0.1:{port}",
            "Content-Type: application/json", f"Content-Length: {len(data)}",
            f"X-Telegram-Bot-Api-Secret-Token: {secret}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


@dataclass
class Posted:
    """When each update was posted (wall clock), and what the webhook answered."""

    at: dict[int, float] = field(default_factory=dict)  # update_id -> time.time()
    refused: int = 0


async def post_rounds(port: int, secret: str, conversations: dict[int, list[Said]],
                      posted: Posted) -> None:
    """Every citizen's conversation, round by round: a citizen's next message is posted once
    the previous one was acknowledged; `SENDERS` connections at once."""
    rounds = max(len(c) for c in conversations.values())
    for number in range(rounds):
        batch = [(citizen, update(citizen, number, said[number]))
                 for citizen, said in conversations.items() if number < len(said)]
        queue = iter(batch)

        async def sender(queue: Any = queue) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                for _, body in queue:
                    posted.at[body["update_id"]] = time.time()
                    status = await exchange(reader, writer, request(port, secret, body))
                    posted.refused += status != 200
            finally:
                writer.close()

        await asyncio.gather(*(sender() for _ in range(min(SENDERS, len(batch)))))


async def post_paced(port: int, secret: str, conversations: dict[int, list[Said]],
                     rate: float, posted: Posted) -> None:
    """Conversations offered at `rate` messages a second overall, each citizen's in order
    (one connection per citizen, a message every len(citizens)/rate seconds)."""
    every = len(conversations) / rate

    async def citizen(number: int, said: list[Said], offset: float) -> None:
        await asyncio.sleep(offset)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            start = time.perf_counter()
            for index, words in enumerate(said):
                await asyncio.sleep(max(0.0, start + index * every - time.perf_counter()))
                body = update(number, index, words)
                posted.at[body["update_id"]] = time.time()
                status = await exchange(reader, writer, request(port, secret, body))
                posted.refused += status != 200
        finally:
            writer.close()

    spread = every / len(conversations)
    await asyncio.gather(*(citizen(n, s, i * spread)
                           for i, (n, s) in enumerate(conversations.items())))


def conversations(first: int, count: int) -> dict[int, list[Said]]:
    rng = random.Random(first)
    return {citizen: citizen_script(citizen, rng) for citizen in range(first, first + count)}


# --- what the database says ------------------------------------------------------------------


def handled(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM inbound_message WHERE status = 'processed'")).scalar_one())


def wait_handled(engine: Engine, total: int, timeout: float,
                 on_half: Any = None) -> float | None:
    """When `total` messages are handled (time.time()), or None at the timeout."""
    deadline = time.monotonic() + timeout
    half_done = on_half is None
    while time.monotonic() < deadline:
        done = handled(engine)
        if not half_done and done >= total // 2:
            on_half()
            half_done = True
        if done >= total:
            return time.time()
        time.sleep(0.02)
    return None


def latencies(engine: Engine, posted: Posted, updates: set[int]) -> Latencies:
    """From each of these updates' post to its first reply queued."""
    found = Latencies()
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT i.external_id, min(o.created_at) FROM inbound_message i "
            "JOIN outbound_message o ON o.in_reply_to = i.id "
            "WHERE i.channel = 'telegram' GROUP BY i.external_id")).all()
    for external_id, queued in rows:
        update_id = int(external_id.split(":")[1])
        if update_id in updates and update_id in posted.at:
            found.seconds.append(max(0.0, _epoch(queued) - posted.at[update_id]))
    return found


def integrity(engine: Engine, posted: Posted) -> tuple[int, int, int]:
    """Lost (posted, acknowledged, not handled), duplicated replies, turns out of order."""
    with engine.connect() as connection:
        done = {int(e.split(":")[1]): (i, p) for e, i, p in connection.execute(text(
            "SELECT external_id, id, processed_at FROM inbound_message "
            "WHERE channel = 'telegram' AND status = 'processed'")).all()}
        doubled = int(connection.execute(text(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM outbound_message "
            "GROUP BY in_reply_to, text HAVING count(*) > 1) AS twice")).scalar_one())
    lost = sum(1 for update_id in posted.at if update_id not in done)
    by_citizen: dict[int, list[tuple[int, Any, Any]]] = defaultdict(list)
    for update_id, (row_id, processed_at) in done.items():
        by_citizen[update_id // 100].append((update_id % 100, row_id, processed_at))
    disorder = 0
    for turns in by_citizen.values():
        turns.sort()
        ids = [row_id for _, row_id, _ in turns]
        finished = [processed_at for _, _, processed_at in turns]
        disorder += ids != sorted(ids) or finished != sorted(finished)
    return lost, doubled, disorder


def bare_inserts(url: str, count: int) -> float:
    """Inserts a second, one row per transaction, on the same database: the floor."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_floor "
                                "(id serial PRIMARY KEY, note varchar(40))"))
    started = time.perf_counter()
    with engine.connect() as connection:
        for number in range(count):
            with connection.begin():
                connection.execute(text("INSERT INTO bench_floor (note) VALUES (:n)"),
                                   {"n": f"row {number}"})
    rate = count / (time.perf_counter() - started)
    engine.dispose()
    return rate


# --- one worker count ---------------------------------------------------------------------------


@dataclass
class Run:
    workers: int
    turns: int = 0
    turns_per_s: float = 0.0
    killed: bool = False
    paced_rate: float = 0.0
    paced: Latencies = field(default_factory=Latencies)
    lost: int = 0
    doubled: int = 0
    disorder: int = 0
    refused: int = 0
    inserts_per_s: float = 0.0


def run(workers: int, args: argparse.Namespace, folder: Path, *, kill: bool = False) -> Run:
    """One worker count on a fresh database: the burst (one worker killed at half-time when
    `kill`), then the paced phase."""
    result = Run(workers)
    with temporary_postgres(args.pg_url) as (url, media):
        with pilot_app(url, media) as app:
            prepare(app)
        result.inserts_per_s = bare_inserts(url, args.inserts)
        port = free_port()
        env = environment(url, media, port)
        log = folder / f"workers-{workers}.log"
        web = palabre("serve", "--web", env=env, log=log)
        pool = [palabre("worker", "--no-deliveries", "--transcription", "0", env=env, log=log)
                for _ in range(workers)]
        engine = create_engine(normalise_url(url))
        try:
            wait_until_up(port)
            secret = BotConfig(token=TOKEN).secret
            time.sleep(2.0)  # the workers are up (they print when ready, in the log)

            burst = conversations(0, args.citizens)
            total = sum(len(c) for c in burst.values())
            posted = Posted()
            def kill_one() -> None:
                pool[0].send_signal(signal.SIGKILL)
                result.killed = True

            started = time.time()
            asyncio.run(post_rounds(port, secret, burst, posted))
            finished = wait_handled(engine, total, args.timeout, kill_one if kill else None)
            result.turns = total
            result.turns_per_s = total / ((finished or time.time()) - started)
            progress(f"{workers} worker(s): burst of {total} turns at "
                     f"{result.turns_per_s:.1f}/s{' (one killed)' if result.killed else ''}")

            paced = conversations(args.citizens, args.paced_citizens)
            offered = sum(len(c) for c in paced.values())
            rate = args.rate * (workers - (1 if result.killed else 0))
            asyncio.run(post_paced(port, secret, paced, rate, posted))
            wait_handled(engine, total + offered, args.timeout)
            result.paced_rate = rate
            result.paced = latencies(engine, posted, {
                c * 100 + n for c, said in paced.items() for n in range(len(said))})
            result.lost, result.doubled, result.disorder = integrity(engine, posted)
            result.refused = posted.refused
        finally:
            stop([*pool, web])
            engine.dispose()
    return result


def _epoch(moment: Any) -> float:
    """A timestamp column's value as seconds since the epoch (stored as naive UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


# --- the report ---------------------------------------------------------------------------------


def report(runs: Sequence[Run], args: argparse.Namespace) -> str:
    one = next((r for r in runs if r.workers == 1 and not r.killed), None)
    heading = ("workers", "burst turns/s", "× one", "paced /s", "p50 ms", "p99 ms",
               "turn÷insert", "lost", "dup", "order", "refused")
    table = Columns(widths=(13, 13, 6, 8, 7, 7, 11, 4, 3, 5, 7))
    rows = []
    for result in runs:
        ratio = result.turns_per_s / one.turns_per_s if one else float("nan")
        paced = result.paced.seconds
        rows.append(table.line((
            f"{result.workers}{' (1 killed)' if result.killed else ''}",
            f"{result.turns_per_s:.1f}", f"{ratio:.2f}", f"{result.paced_rate:.0f}",
            f"{result.paced.ms(50):.1f}" if paced else "-",
            f"{result.paced.ms(99):.1f}" if paced else "-",
            f"{result.turns_per_s / result.inserts_per_s:.3f}",
            str(result.lost), str(result.doubled), str(result.disorder), str(result.refused))))
    lines = [f"bench.scale — {machine()}",
             f"{args.citizens} citizens' conversations in a burst, then {args.paced_citizens} "
             f"more at {args.rate:.0f}/s per live worker; PostgreSQL; bare inserts "
             f"{', '.join(f'{r.inserts_per_s:.0f}' for r in runs)}/s",
             table.line(heading), table.rule(), *rows]
    verdicts = []
    two = next((r for r in runs if r.workers == 2 and not r.killed), None)
    if one and two:
        ratio = two.turns_per_s / one.turns_per_s
        verdicts.append(f"2 workers {ratio:.2f}× one (target ≥ {TARGET_RATIO})")
    if one:
        verdicts.append(f"one worker {one.turns_per_s:.0f} turns/s (target ≥ {TARGET_TURNS:.0f}),"
                        f" p99 {one.paced.ms(99) if one.paced.seconds else float('nan'):.1f} ms "
                        f"at {one.paced_rate:.0f}/s (target < {TARGET_P99_MS:.0f})")
    verdicts.append(f"lost {sum(r.lost for r in runs)}, duplicated "
                    f"{sum(r.doubled for r in runs)}, out of order "
                    f"{sum(r.disorder for r in runs)} (target 0)")
    return "\n".join([*lines, *verdicts])


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server of this machine (a temporary database)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--citizens", type=int, default=150, help="citizens in the burst")
    parser.add_argument("--paced-citizens", type=int, default=60,
                        help="citizens in the paced phase")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="messages a second offered per live worker in the paced phase")
    parser.add_argument("--kill", action=argparse.BooleanOptionalAction, default=True,
                        help="one more run, of the most workers, one killed with SIGKILL "
                             "mid-burst")
    parser.add_argument("--inserts", type=int, default=INSERTS)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if not args.pg_url:
        parser.error("PostgreSQL is needed: --pg-url or TEST_DATABASE_URL")
    problem = postgres_problem(args.pg_url)
    if problem:
        parser.error(f"--pg-url: {problem}")
    args.worker_counts = [int(n) for n in args.workers.split(",")]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    import tempfile

    args = arguments(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="palabre-scale-") as folder:
        for workers in args.worker_counts:
            runs.append(run(workers, args, Path(folder)))
        if args.kill:
            runs.append(run(max(2, max(args.worker_counts)), args, Path(folder), kill=True))
    print(report(runs, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

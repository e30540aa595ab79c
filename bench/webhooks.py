"""Webhook acknowledgement under load: Telegram updates per second and p50/p99 latency.

What a provider sees when many citizens write at once: `--senders` concurrent clients
(default 50) each post updates to Palabre's `POST /webhooks/telegram/<bot>` (secret checked,
update parsed, stored under its update_id, acknowledged; the dialogs run later in the worker,
which is not running here). Beside it, in the same run and on the same machine, a bare FastAPI
endpoint that only answers 200 gets the same load: the ratio of the two is the figure to
compare across runs, since these machines are shared and noisy. Goal: at least half the bare
endpoint's throughput, p99 under 50 ms.

Each server runs in its own process under uvicorn (one worker, like `palabre serve`); all
are started first, then loaded in turn, `--rounds` times (default 3), so that a slow moment of
the shared machine falls on every server alike; a server's throughput is its median round.
The clients run in this process: plain asyncio connections sending requests built beforehand, so
that the load generator costs little next to the servers. Palabre uses a fresh SQLite
database (and PostgreSQL when `--pg-url` or TEST_DATABASE_URL names a server on this machine).
Every update is a different citizen's text message: one stored message each (the citizen is
identified later, when the worker handles it).

    .venv/bin/python -m bench.webhooks                       # SQLite (+ PostgreSQL if set)
    .venv/bin/python -m bench.webhooks --updates 5000 --senders 50 --sqlite-only

Read in the order of a run: the two servers, the requests and the asyncio client that sends
them, the rounds, the report, the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request, Response

from bench.common.backends import databases
from bench.common.cli import at_least, backend_parser, parse
from bench.common.measures import Latencies
from bench.common.report import Columns, machine, progress

TOKEN = "123456789:AAH-bench-token-not-a-real-bot_000"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-auth-token"
SENDER = "+14155238886"
BOT = TOKEN.split(":")[0]
DEFAULT_UPDATES = 4000
DEFAULT_SENDERS = 50
DEFAULT_ROUNDS = 3
WARMUP = 200
TARGET_P99_MS = 50.0


# --- the servers ------------------------------------------------------------------------------


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_bare(port: int) -> None:
    """A FastAPI app with one endpoint that reads the body and answers 200."""
    import uvicorn

    web = FastAPI()

    @web.post("/hook")
    async def hook(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning")


def serve_palabre(port: int, database_url: str, media: str) -> None:
    """Palabre's web app with one Telegram bot and one WhatsApp sender, on a migrated database."""
    import uvicorn
    from pydantic import SecretStr

    from palabre.bootstrap import bootstrap, prepare
    from palabre.settings import Settings
    from palabre.web import create_web_app, settle_memory

    settings = Settings(database_url=database_url, media_dir=Path(media),
                        telegram_token=SecretStr(TOKEN), telegram_api_url="http://127.0.0.1:9",
                        log_level="WARNING", twilio_account_sid=ACCOUNT_SID,
                        twilio_auth_token=SecretStr(AUTH_TOKEN),
                        twilio_api_url="http://127.0.0.1:9", whatsapp_senders=SENDER,
                        public_url=f"http://127.0.0.1:{port}",
                        _env_file=None)  # type: ignore[call-arg]
    app = bootstrap(settings)
    prepare(app)
    web = create_web_app(app)
    settle_memory()  # as `palabre serve` does
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning")


# --- the requests and the client ------------------------------------------------------------


def secret() -> str:
    """The secret Telegram sends with each update to the bench's bot."""
    from bots.telegram.config import BotConfig

    return BotConfig(token=TOKEN).secret


def an_update(number: int) -> dict[str, Any]:
    """A private text message from citizen `number`, in the Bot API's shape."""
    chat = {"id": 900_000_000 + number, "first_name": f"C{number}", "type": "private"}
    return {"update_id": 10_000_000 + number,
            "message": {"message_id": 1, "date": 1773480600, "chat": chat, "text": "Bonjour",
                        "from": {"id": chat["id"], "is_bot": False, "first_name": chat[
                            "first_name"]}}}


def a_whatsapp_form(number: int) -> list[tuple[str, str]]:
    """A text message from citizen `number` as Twilio posts it."""
    sid = f"SM{number:032x}"
    return [("SmsMessageSid", sid), ("NumMedia", "0"), ("ProfileName", f"C{number}"),
            ("MessageType", "text"), ("SmsSid", sid), ("WaId", f"22997{number:06d}"),
            ("SmsStatus", "received"), ("Body", "Bonjour"), ("To", f"whatsapp:{SENDER}"),
            ("NumSegments", "1"), ("ReferralNumMedia", "0"), ("MessageSid", sid),
            ("AccountSid", ACCOUNT_SID), ("From", f"whatsapp:+22997{number:06d}"),
            ("ApiVersion", "2010-04-01")]


def signed_requests(url: str, first: int, count: int) -> dict[int, dict[str, Any]]:
    """Every WhatsApp post of the run, signed beforehand (signing is Twilio's work, not the
    server's, so it stays out of the timing)."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(AUTH_TOKEN)
    requests = {}
    for number in range(first, first + count):
        form = a_whatsapp_form(number)
        signature = validator.compute_signature(url, dict(form))
        requests[number] = {"data": dict(form),
                            "headers": {"X-Twilio-Signature": signature}}
    return requests


@dataclass
class Load:
    """One target's answers over every round: latencies pooled, throughput per round."""

    name: str
    latencies: Latencies = field(default_factory=Latencies)
    rates: list[float] = field(default_factory=list)  # answers per second, one per round
    refused: int = 0

    def per_second(self) -> float:
        """The median round's throughput (a round disturbed by the machine counts less)."""
        return statistics.median(self.rates) if self.rates else 0.0


def request_bytes(url: str, number: int, headers: dict[str, str],
                  whatsapp: dict[int, dict[str, Any]]) -> bytes:
    """One HTTP/1.1 POST, built before the clock starts (the server is what is measured)."""
    parts = urlsplit(url)
    if number in whatsapp:
        body = urlencode(whatsapp[number]["data"]).encode()
        extra = {**whatsapp[number]["headers"],
                 "Content-Type": "application/x-www-form-urlencoded"}
    else:
        body = json.dumps(an_update(number)).encode()
        extra = {**headers, "Content-Type": "application/json"}
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}",
            f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in extra.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   request: bytes) -> int:
    """Send one request on a kept-alive connection and read the whole answer; its status."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(":", 1)[1]) for line in lines
                   if line.lower().startswith("content-length:")), 0)
    if length:
        await reader.readexactly(length)
    return status


async def hammer(url: str, headers: dict[str, str], first: int, count: int, senders: int,
                 load: Load) -> None:
    """`senders` connections share `count` updates; every answer's latency is added to the
    load, and the round's throughput. A bare asyncio HTTP/1.1 client, so that the load
    generator is not the bottleneck."""
    whatsapp = signed_requests(url, first, count) if "twilio" in url else {}
    requests = [request_bytes(url, n, headers, whatsapp) for n in range(first, first + count)]
    queue = iter(requests)
    parts = urlsplit(url)

    async def sender() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for request in queue:
                started = time.perf_counter()
                status = await exchange(reader, writer, request)
                load.latencies.seconds.append(time.perf_counter() - started)
                load.refused += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    load.rates.append(count / (time.perf_counter() - started))


# --- the rounds -------------------------------------------------------------------------------


def wait_until_up(port: int, timeout: float = 120.0) -> None:
    """Wait until a server accepts connections on the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not start")


def start(target: Any, target_args: tuple[Any, ...]) -> tuple[Any, int]:
    """A server in its own process, once it accepts connections: the process and its port."""
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(target=target,
                                                           args=(port, *target_args))
    process.start()
    wait_until_up(port)
    return process, port


@dataclass
class Target:
    """One endpoint under load, and where its updates are counted afterwards."""

    load: Load
    url: str
    headers: dict[str, str]
    database_url: str | None = None
    channel: str = ""


def run_rounds(targets: Sequence[Target], args: argparse.Namespace) -> None:
    """Warm every target up, then load each in turn, round after round: the machine's slow
    moments fall on all of them alike instead of on whichever ran then."""
    for target in targets:
        progress(f"{target.load.name}: warming up")
        asyncio.run(hammer(target.url, target.headers, 0, WARMUP, args.senders,
                           Load("warm-up")))
    for number in range(args.rounds):
        progress(f"round {number + 1} of {args.rounds}: {args.updates:,} updates from "
                 f"{args.senders} senders to each of {len(targets)} servers")
        first = WARMUP + number * args.updates
        for target in targets:
            asyncio.run(hammer(target.url, target.headers, first, args.updates, args.senders,
                               target.load))


def stored(database_url: str, channel: str) -> int:
    """A channel's messages the database holds after the run (each accepted update once)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM provider_post WHERE channel = :c"),
                                   {"c": channel}).scalar_one()
    engine.dispose()
    return int(count)


# --- report -----------------------------------------------------------------------------------

TABLE = Columns((28, 7, 10, 9, 9, 8, 9), gap="")


def line(load: Load, bare: Load) -> str:
    """A server's line: answers, median round's throughput, p50/p99, non-200s, ÷ bare."""
    lat = load.latencies
    return TABLE.line((load.name, f"{len(lat.seconds):,}", f"{load.per_second():,.0f}",
                       f"{lat.ms(50):.1f}", f"{lat.ms(99):.1f}", str(load.refused),
                       f"{load.per_second() / bare.per_second():.2f}"))


def verdict(load: Load, stored: int, bare: Load, args: argparse.Namespace) -> str:
    """Whether every update was stored once, and the goal met: half the bare throughput, p99
    under the target."""
    half = load.per_second() >= bare.per_second() / 2
    fast = load.latencies.ms(99) < TARGET_P99_MS
    return (f"{load.name}: {stored:,} messages stored for "
            f"{args.rounds * args.updates + WARMUP:,} updates sent; throughput "
            f"{'at least' if half else 'UNDER'} half the bare endpoint's, p99 "
            f"{'under' if fast else 'OVER'} {TARGET_P99_MS:.0f} ms")


def report(bare: Load, loads: Sequence[tuple[Load, int]], args: argparse.Namespace) -> str:
    """The whole printed report: setting, the table, the verdicts, notes."""
    lines = [f"Palabre webhook benchmark: {args.rounds} rounds of {args.updates:,} updates from "
             f"{args.senders} concurrent senders to each server, in turn (after {WARMUP} "
             "warm-up), one uvicorn worker per server",
             f"{machine()}; 1-minute load average now {os.getloadavg()[0]:.2f}", "",
             TABLE.line(("server", "answers", "per s", "p50 ms", "p99 ms", "non-200", "÷ bare")),
             line(bare, bare), *(line(load, bare) for load, _ in loads)]
    verdicts = [verdict(load, count, bare, args) for load, count in loads]
    return "\n".join([*lines, "", *verdicts,
                      "per s: the median round's answers per second; p50/p99 over every round",
                      "÷ bare: throughput divided by the bare endpoint's, measured in the same "
                      "rounds (compare this across runs)"])


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many updates, senders and rounds, which backends."""
    parser = backend_parser("bench.webhooks", __doc__)
    parser.add_argument("--updates", type=int, default=DEFAULT_UPDATES,
                        help=f"updates per server and round (default {DEFAULT_UPDATES:,})")
    parser.add_argument("--senders", type=int, default=DEFAULT_SENDERS,
                        help=f"concurrent connections (default {DEFAULT_SENDERS})")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                        help=f"rounds over every server in turn (default {DEFAULT_ROUNDS})")
    args = parse(parser, argv)
    at_least(parser, args, 1, "updates", "senders", "rounds")
    return args


def palabre_targets(stack: contextlib.ExitStack, processes: list[Any],
                    args: argparse.Namespace) -> list[Target]:
    """Palabre on each throw-away database, started: its Telegram and WhatsApp webhooks."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret()}
    targets = []
    for backend, database in databases(args, names=("SQLite", "PostgreSQL")):
        url, media = stack.enter_context(database)
        progress(f"starting Palabre on {backend}")
        process, port = start(serve_palabre, (url, str(media)))
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        targets += [Target(Load(f"Palabre Telegram, {backend}"),
                           f"{base}/webhooks/telegram/{BOT}", headers, url, "telegram"),
                    Target(Load(f"Palabre WhatsApp, {backend}"),
                           f"{base}/webhooks/twilio/whatsapp", {}, url, "whatsapp")]
    return targets


def main(argv: Sequence[str] | None = None) -> int:
    """Start every server, load each in turn round after round, count what was stored."""
    args = arguments(argv)
    with contextlib.ExitStack() as stack:
        process, port = start(serve_bare, ())
        processes = [process]
        stack.callback(stop, processes)
        bare = Target(Load("bare FastAPI endpoint"), f"http://127.0.0.1:{port}/hook", {})
        targets = [bare, *palabre_targets(stack, processes, args)]
        run_rounds(targets, args)
        counted = [(t.load, stored(t.database_url, t.channel)) for t in targets[1:]
                   if t.database_url]
    print(report(bare.load, counted, args))
    return 0


def stop(processes: list[Any]) -> None:
    """End the servers."""
    for process in processes:
        process.terminate()
        process.join(10)


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m bench.broadcast`: on each backend, queue the broadcast, deliver it through a
sender that is interrupted and replaced, check every message, print the report."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import bench.broadcast
from bench.broadcast.report import Result, report
from bench.broadcast.seed import TOKEN, Deployment, set_up, statuses
from bench.broadcast.sender import deliver
from bench.broadcast.telegram import RateLimitedTelegram
from bench.common.backends import server_version
from bench.common.cli import at_least, backend_parser, measure_and_print, parse, quick_or
from bench.common.report import progress
from core.db import make_engine

DEFAULT_MESSAGES, QUICK_MESSAGES = 10_000, 1_000
DEFAULT_RATE = 30
KILL_SHARE = 0.4  # of the bound N/rate, by default


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
            if url.startswith("sqlite") and args.senders > 1:  # one process: the embedded default
                progress("sqlite: one sender (several processes share PostgreSQL only)")
                args = argparse.Namespace(**{**vars(args), "senders": 1})
            timeline = deliver(fake, engine, deployment, args)
            version = server_version(engine)
        finally:
            engine.dispose()
        return Result(backend, version, chats, fake.received(), fake.refused(), timeline,
                      args.rate)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many messages, at what rate, how the sender is stopped, where."""
    parser = backend_parser("bench.broadcast", bench.broadcast.__doc__)
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
    parser.add_argument("--senders", type=int, default=1,
                        help="sender processes at once (PostgreSQL: they keep the bot's pace "
                             "together); the first is the one interrupted")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_MESSAGES:,} messages, no lease wait: under a minute")
    return checked(parser, parse(parser, argv))


def checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """The arguments with their defaults (which depend on --quick and --messages) filled in."""
    args.messages = quick_or(args.messages, args.quick, full=DEFAULT_MESSAGES,
                             small=QUICK_MESSAGES)
    at_least(parser, args, 1, "messages", "rate", "senders")
    if args.kill_after is None:
        args.kill_after = KILL_SHARE * args.messages / args.rate
    if args.in_flight and args.signal != "kill":
        parser.error("--in-flight goes with --signal kill")
    if args.lease_wait is None:
        args.lease_wait = not args.quick
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the table."""
    return measure_and_print(arguments(argv), run_backend, report, names=("SQLite", "PostgreSQL"))


if __name__ == "__main__":
    raise SystemExit(main())

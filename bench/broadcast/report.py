"""What a broadcast run shows: every accepted message checked against the citizens (none lost,
none twice, none to a stranger), the time from the first to the last against the bound N/rate,
the 429s, and what happened around the interruption."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bench.broadcast.seed import ANNOUNCEMENT
from bench.broadcast.sender import Stranded, Timeline
from bench.broadcast.telegram import Accepted
from bench.common.report import Columns, machine
from core.messages.delivery import CLAIM_LEASE
from core.messages.workers import DEAD_AFTER
from palabre.settings import Settings

GOAL_RATIO = 1.05
TABLE = Columns((11, 9, 7, 8, 8, 7, 7, 5, 5, 5, 9))


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


def table_line(r: Result) -> str:
    """A backend's line of the table."""
    pause = restart_pause(r)
    return TABLE.line((r.backend, f"{len(r.chats):,}", str(r.rate), f"{r.bound:.1f}",
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
    t = r.timeline
    lines = [f"{r.backend} ({r.version}): {t.ending}; outbox at the end: "
             + ", ".join(f"{n:,} {s}" for s, n in sorted(t.outbox.items()))]
    if t.interrupted_at is not None and t.gone_at is not None:
        lines += interruption_lines(r, t.interrupted_at, t.gone_at)
    return lines + [goal_line(r)]


def interruption_lines(r: Result, interrupted_at: float, gone_at: float) -> list[str]:
    """How long the sender took to die, the rates before and after, the stranded, the 429s."""
    t, first = r.timeline, r.accepted[0].at if r.accepted else 0.0
    before = [a for a in r.accepted if a.at <= gone_at]
    after = [a for a in r.accepted if a.at > gone_at]
    stranded = {s.chat_id for s in t.stranded}
    others = [a for a in after if a.chat_id not in stranded]
    late = sum(1 for at in r.refused_at if at > gone_at)
    return [f"  {t.signal} at +{interrupted_at - first:.1f} s; the sender was gone "
            f"{gone_at - interrupted_at:.2f} s later, after {len(before):,} "
            f"messages ({_rate(before):.1f}/s); the new sender's first message "
            f"{_since(after, gone_at)} after that, then {_rate(others):.1f}/s"
            + (" (the stranded left out)" if stranded else ""),
            *stranded_lines(r, after),
            f"  429 answers: {r.refused - late} before the interruption, {late} after"]


def goal_line(r: Result) -> str:
    """The verdict: met or not, and every reason."""
    return (f"  goal {'MET' if r.met() else 'NOT MET'}: {r.total:.1f} s for a bound of "
            f"{r.bound:.1f} s ({(r.total / r.bound - 1) * 100:+.1f} %), {r.refused} "
            f"answered 429, {r.lost()} lost, {r.duplicated()} duplicated"
            + (f", {r.strangers()} to unknown chats" if r.strangers() else "")
            + (f", {r.garbled()} without the announcement" if r.garbled() else "")
            + "".join(f"; outbox {s.outbox_id} still 'sending' (lease not awaited: "
                      f"{'duplicated' if s.sent_before else 'late'} when it ends)"
                      for s in r.unresolved()))


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
             f"second (429 beyond); {args.senders} sender process(es) at once, the first "
             f"{stopped} {args.kill_after:.0f} s after its first message, a new one started at "
             "once",
             f"{machine()}; worker interval "
             f"{Settings(_env_file=None).worker_interval_seconds} s; "  # type: ignore[call-arg]
             f"CLAIM_LEASE {CLAIM_LEASE.total_seconds():.0f} s, a dead sender's claims freed "
             f"after {DEAD_AFTER.total_seconds():.0f} s without heartbeat; "
             f"{'waiting' if args.lease_wait else 'not waiting'} for stranded claims",
             f"Goal: first to last accepted message within {(GOAL_RATIO - 1) * 100:.0f} % of "
             "the bound N/rate, no 429, none lost, none duplicated", "",
             TABLE.line(("backend", "messages", "rate/s", "bound s", "total s", "msg/s",
                         "ratio", "429", "lost", "dup", "pause s")),
             *map(table_line, results), ""]
    for result in results:
        lines += details(result)
    lines += ["total: first to last message Telegram accepted; ratio: total ÷ bound; lost: "
              "citizens with no message; dup: citizens with more than one; pause: seconds "
              "without a message around the interruption"]
    if skipped:
        lines.append(skipped)
    return "\n".join(lines)


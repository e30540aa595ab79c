"""Fakes at the boundary: a clock we move by hand, a messenger that records, a lookup in memory."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.messages.neutral import OutboundMessage
from core.ports import DeliveryError, SendReceipt


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 14, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class RecordingMessenger:
    """Records what would be sent; can be told to fail the next sends."""

    channel: str = "console"
    sent: list[OutboundMessage] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)

    # The next sends to one address fail (sends to different citizens go side by side, so
    # "the next send" alone may be anyone's).
    failures_for: dict[str, list[DeliveryError]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, message: OutboundMessage) -> SendReceipt:
        with self.lock:  # the sender sends to different citizens side by side
            if self.failures_for.get(message.address):
                raise self.failures_for[message.address].pop(0)
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(message)
            return SendReceipt(external_id=f"rec-{len(self.sent)}")

    def texts(self, address: str | None = None) -> list[str]:
        return [m.text for m in self.sent if address is None or m.address == address]

    def last(self, address: str | None = None) -> OutboundMessage:
        return [m for m in self.sent if address is None or m.address == address][-1]

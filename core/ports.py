"""The ports through which core reaches the outside: clock, messengers, speech, files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from core.messages.neutral import OutboundMessage


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class SendReceipt:
    external_id: str | None = None


class DeliveryError(Exception):
    """A channel could not deliver; says whether to retry and whether the citizen is gone."""

    def __init__(self, reason: str, *, retryable: bool = True, retry_after: float | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.retry_after = retry_after
        self.unreachable = unreachable


class Messenger(Protocol):
    """Delivers outbox messages on one channel."""

    channel: str

    def send(self, message: OutboundMessage) -> SendReceipt:
        """Send one message or raise DeliveryError."""
        ...


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    confidence: float | None
    duration_s: float | None
    backend: str
    model: str


class Transcriber(Protocol):
    """Turns a stored voice note into text."""

    def transcribe(self, path: Path, *, language_hint: str | None) -> Transcript:
        ...


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the store's root
    sha256: str
    size: int


class MediaStore(Protocol):
    """Keeps the files citizens send."""

    def put(self, data: bytes, *, content_type: str) -> StoredFile:
        ...

    def absolute(self, path: str) -> Path:
        ...

    def delete(self, path: str) -> None:
        ...

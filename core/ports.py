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
    """A channel could not deliver; says whether to retry and whether the citizen is gone.
    `throttled`: not a failure but a rate limit (ours or the provider's); the message waits
    `retry_after` seconds without using up an attempt. `held`: the channel may only send it
    after the citizen writes again (WhatsApp outside 24 hours without a template).
    `unsubscribed`: the provider says the citizen opted out (Twilio 21610): no more
    broadcasts for them, on any channel."""

    def __init__(self, reason: str, *, retryable: bool = True, retry_after: float | None = None,
                 unreachable: bool = False, throttled: bool = False,
                 held: bool = False, unsubscribed: bool = False) -> None:
        super().__init__(reason)
        self.unsubscribed = unsubscribed
        self.held = held  # the channel cannot send it now: it waits for the citizen
        self.retryable = retryable
        self.retry_after = retry_after
        self.unreachable = unreachable
        self.throttled = throttled


class Messenger(Protocol):
    """Delivers outbox messages on one channel."""

    channel: str

    def send(self, message: OutboundMessage) -> SendReceipt:
        """Send one message or raise DeliveryError."""
        ...


@dataclass(frozen=True)
class Transcript:
    """What a voice note said: the text, the language heard (ISO 639: "fr", "yo", "fon"), a
    confidence between 0 and 1, the audio's length, and which backend and model heard it."""

    text: str
    language: str | None
    confidence: float | None
    duration_s: float | None
    backend: str
    model: str


class TranscriptionError(Exception):
    """A voice note could not be transcribed. `reason` names what the citizen is told (a
    catalog key suffix): too_long, undecodable, empty, silent, no_model, failed.
    `retryable`: trying again later may work (a backend that crashed or ran out of memory),
    unlike a note that is too long or not audio."""

    def __init__(self, detail: str, *, reason: str, retryable: bool = False,
                 duration_s: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.retryable = retryable
        self.duration_s = duration_s


class Transcriber(Protocol):
    """Turns a stored voice note into text."""

    def transcribe(self, path: Path, *, language_hint: str | None) -> Transcript:
        """The note's transcript; the hint is the citizen's chosen language (detection when
        None or when no model is routed for it). Raises TranscriptionError."""
        ...


@dataclass(frozen=True)
class FetchedFile:
    data: bytes
    content_type: str | None = None  # when the provider says better than the message did


class FetchError(Exception):
    """A file could not be fetched; `retryable` says whether trying later may work (a network
    failure) or not (too large, gone); `reason` is a catalog key suffix (too_large, unreadable)."""

    def __init__(self, detail: str, *, retryable: bool, reason: str = "unreadable") -> None:
        super().__init__(detail)
        self.retryable = retryable
        self.reason = reason


class MediaFetcher(Protocol):
    """Fetches the files of one channel that were stored as a provider reference."""

    def fetch(self, *, account: str, remote: str, max_bytes: int) -> FetchedFile:
        """The file's bytes, or FetchError."""
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

"""Channel-neutral messages: what adapters make of provider payloads, and what they render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.geo import Point

FILE_KINDS = ("photo", "voice", "audio", "video", "document", "sticker")


@dataclass(frozen=True)
class IncomingFile:
    """A file a citizen sent: its bytes, or where the channel fetches them after the
    acknowledgement (`remote`: a Telegram file id, a Twilio media URL)."""

    kind: str  # one of FILE_KINDS
    content_type: str
    data: bytes = b""
    name: str | None = None
    remote: str | None = None
    declared_size: int | None = None  # what the provider says, before fetching


@dataclass(frozen=True)
class InboundMessage:
    """One message from a citizen, as any channel adapter reports it."""

    channel: str
    address: str  # chat id, phone number, console name
    external_id: str  # the provider's id for this message: the retry key
    account: str = ""  # the bot or sender that received it
    text: str | None = None
    choice: str | None = None  # a button's payload, on channels with buttons
    location: Point | None = None
    place_text: str | None = None  # a pin's address or label, when the provider gives one
    files: tuple[IncomingFile, ...] = ()
    display_name: str | None = None
    received_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """What the message mostly is: a file kind, location, choice, text, or other."""
        if self.files:
            return self.files[0].kind
        if self.location is not None:
            return "location"
        if self.choice is not None:
            return "choice"
        if self.text is not None:
            return "text"
        return "other"


@dataclass(frozen=True)
class Choice:
    """One option offered to the citizen: a stable id and the words shown."""

    id: str
    label: str


@dataclass(frozen=True)
class OutboundMessage:
    """A rendered message from the outbox, ready for a channel's messenger."""

    outbox_id: int
    channel: str
    account: str
    address: str
    text: str
    choices: tuple[Choice, ...] = ()
    media_path: str | None = None
    purpose: str = "reply"
    # Offers a channel may render its own way, e.g. {"request_location": "Send my location"}
    hints: dict[str, str] = field(default_factory=dict)
    last_inbound_at: datetime | None = None  # when the citizen last wrote (WhatsApp's window)

"""The WhatsApp senders of a deployment (Twilio): account, senders, templates, limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CHANNEL = "whatsapp"
PREFIX = "whatsapp:"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Kinds of messages that may have to wait for the citizen outside the 24-hour window, and the
# Content template (ContentSid) an operator can configure for each.
TEMPLATE_PURPOSES = ("status_update", "reply", "council_reminder", "announcement", "followup")


@dataclass(frozen=True)
class Sender:
    """A WhatsApp number (or a Messaging Service) that citizens write to. Its account, in
    Palabre's records, is the number ("+14155238886") or the service SID ("MG…")."""

    address: str  # +E.164, or a Messaging Service SID
    commune: str = ""
    messages_per_second: float = 10.0

    def __post_init__(self) -> None:
        bare = self.address.removeprefix(PREFIX)
        if not (E164.match(bare) or re.match(r"^MG[0-9a-f]{32}$", bare)):
            raise ValueError(f"'{self.address}': a WhatsApp sender is +E.164 (e.g. +14155238886)"
                             " or a Messaging Service SID (MG…)")
        object.__setattr__(self, "address", bare)

    @property
    def is_service(self) -> bool:
        return self.address.startswith("MG")


@dataclass(frozen=True)
class WhatsAppConfig:
    """Everything the WhatsApp adapter needs."""

    account_sid: str
    auth_token: str
    senders: tuple[Sender, ...]
    public_url: str  # what Twilio calls, e.g. https://palabre.example.bj (signatures use it)
    api_url: str = "https://api.twilio.com"
    content_url: str = "https://content.twilio.com"  # the Content API (buttons and lists)
    buttons: bool = True  # a question's options to tap; False: numbered lines only
    templates: dict[str, str] = field(default_factory=dict)  # purpose -> ContentSid
    max_media_bytes: int = 16_000_000

    def sender(self, account: str) -> Sender | None:
        return next((s for s in self.senders if s.address == account), None)

    def sender_for(self, *, to: str, service: str | None) -> Sender | None:
        """The sender an inbound message reached (its Messaging Service, else its number)."""
        if service:
            found = self.sender(service)
            if found:
                return found
        return self.sender(to.removeprefix(PREFIX))


def parse_templates(text: str) -> dict[str, str]:
    """'status_update=HX…,reply=HX…' as a dict, checked against the known purposes."""
    templates = {}
    for item in (part.strip() for part in text.split(",") if part.strip()):
        purpose, sep, sid = item.partition("=")
        purpose, sid = purpose.strip(), sid.strip()
        if not sep or purpose not in TEMPLATE_PURPOSES or not re.match(r"^HX[0-9a-f]{32}$", sid):
            raise ValueError(f"'{item}': write PURPOSE=HX… with PURPOSE one of "
                             f"{', '.join(TEMPLATE_PURPOSES)}")
        templates[purpose] = sid
    return templates

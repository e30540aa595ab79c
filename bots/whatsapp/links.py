"""Links and QR codes for mairie WhatsApp groups and posters: a wa.me link whose prefilled
text opens a flow (see dialogs/globals.py LINK_PHRASES)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import segno

from bots.whatsapp.config import Sender
from dialogs.globals import LINK_PHRASES

FLOWS = tuple(LINK_PHRASES)


def wa_link(sender: Sender, flow: str, *, language: str = "fr") -> str:
    """https://wa.me/<number>?text=<the phrase that opens the flow>."""
    if sender.is_service:
        raise ValueError("a wa.me link needs a phone number, not a Messaging Service")
    french, english = LINK_PHRASES[flow]
    phrase = english if language == "en" else french
    return f"https://wa.me/{sender.address.lstrip('+')}?text={quote(phrase)}"


def write_qr(link: str, path: Path) -> Path:
    """A PNG QR code of the link, large enough to print on a poster."""
    segno.make(link, error="m").save(str(path), scale=10, border=4)
    return path

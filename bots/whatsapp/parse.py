"""Twilio's WhatsApp webhook form as a neutral message: text, location pin, media (fetched
after the acknowledgement, with the account's credentials), a tapped button or list row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bots.whatsapp.config import CHANNEL, PREFIX
from core.geo import Point
from core.messages.neutral import InboundMessage, IncomingFile

MAX_MEDIA = 10  # Twilio sends at most 10 media per message


class NotAMessage(ValueError):
    """The form lacks what every Twilio message webhook carries."""


def form_dict(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The last value of each field (Twilio repeats none of those we read)."""
    return dict(pairs)


def check_ids(form: Mapping[str, str]) -> str:
    """The MessageSid, when the form has it, the citizen's From and the sender's To (Twilio
    sends all three with every message); else NotAMessage."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not sid.startswith(("SM", "MM")) or len(sid) > 64 \
            or not _whatsapp(form.get("From", "")) or not _whatsapp(form.get("To", "")):
        raise NotAMessage("MessageSid (SM…/MM…), From and To (whatsapp:+…) are required")
    return sid


def _whatsapp(address: str) -> bool:
    return address.startswith(PREFIX) and len(address) > len(PREFIX)


def parse_message(form: Mapping[str, str], *, account: str) -> InboundMessage:
    """The citizen's message; NotAMessage when a required field is missing or malformed."""
    sid = check_ids(form)
    sender = form["From"]
    return InboundMessage(channel=CHANNEL, account=account, external_id=sid,
                          address=sender.removeprefix(PREFIX),
                          display_name=form.get("ProfileName") or None,
                          **_content(form))


def _content(form: Mapping[str, str]) -> dict[str, object]:
    location = _location(form)
    if location is not None:
        place = ", ".join(p for p in (form.get("Label"), form.get("Address")) if p)
        return {"location": location, "place_text": place or None}
    payload = form.get("ButtonPayload") or form.get("ListId")  # a quick reply, a list's row
    if payload:
        return {"choice": payload[:64],
                "text": form.get("ButtonText") or form.get("ListTitle") or None}
    files = _media(form)
    body = form.get("Body") or None
    if files:
        return {"files": files, "text": body}
    if body is not None:
        return {"text": body}
    return {"extra": {"whatsapp": "empty"}}


def _location(form: Mapping[str, str]) -> Point | None:
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise NotAMessage("Latitude/Longitude out of range")
    return Point(latitude, longitude)


def _media(form: Mapping[str, str]) -> tuple[IncomingFile, ...]:
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError as exc:
        raise NotAMessage("NumMedia is not a number") from exc
    files = []
    for n in range(count):
        url = form.get(f"MediaUrl{n}")
        if not url:
            raise NotAMessage(f"MediaUrl{n} is missing")
        content_type = form.get(f"MediaContentType{n}") or "application/octet-stream"
        files.append(IncomingFile(kind_of(content_type), content_type, remote=url))
    return tuple(files)


def kind_of(content_type: str) -> str:
    """What a file is, from its content type: a WhatsApp voice note is audio/ogg (Opus)."""
    family, _, rest = content_type.lower().partition("/")
    if family == "image":
        return "sticker" if rest.startswith("webp") else "photo"
    if family == "audio":
        return "voice" if rest.startswith("ogg") else "audio"
    if family == "video":
        return "video"
    return "document"

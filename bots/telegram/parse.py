"""Telegram updates as Palabre sees them: a citizen's private message, a command in a group,
or something to acknowledge and leave alone.

Read from the Bot API's JSON, field by field, each checked against its documented type: the
webhook runs this same reading before it stores an update, so that the worker never meets one it
cannot read. python-telegram-bot's objects would check less (not the types) and cost more than
the rest of an acknowledgement (bench/webhooks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bots.telegram.config import CHANNEL
from core.geo import Point
from core.messages.neutral import InboundMessage, IncomingFile

Json = dict[str, Any]


class NotAnUpdate(ValueError):
    """The body is not a Telegram Update."""


@dataclass(frozen=True)
class Private:
    """A citizen's message in a private chat, to store and run through the dialogs."""

    message: InboundMessage
    callback_query_id: str | None = None  # a button press, to answer at once


@dataclass(frozen=True)
class GroupCommand:
    """A command typed in a commune group: answered with a link to a private chat."""

    chat_id: str
    external_id: str
    payload: str  # what the private chat should start with (a flow, a reference), or ""


@dataclass(frozen=True)
class GroupVoice:
    """A voice note with a « /vocal fon menu.title » caption in a group: in a commune's staff
    chat, a moderator recording a message of the bot (the receiver checks the chat)."""

    chat_id: str
    external_id: str
    file_id: str
    words: tuple[str, ...]  # what follows the command: a language and a message key
    sent_by: str


@dataclass(frozen=True)
class Ignored:
    reason: str
    callback_query_id: str | None = None


Parsed = Private | GroupCommand | GroupVoice | Ignored
PRIVATE = "private"
MAX_ID = 2**63  # ids beyond a 64-bit integer are no Telegram ids (and would not fit our columns)
# A command in a group names what the citizen wants; the private chat starts there.
GROUP_PAYLOADS = {"signaler": "report", "report": "report", "plainte": "complaint",
                  "complaint": "complaint", "idee": "idea", "idea": "idea", "idees": "ideas",
                  "ideas": "ideas", "suivi": "followup", "status": "followup"}
# Files by the Message field that carries them: Palabre's kind, the content type when Telegram
# gives none, and whether the file's name is kept.
FILE_FIELDS = (("voice", "voice", "audio/ogg", False), ("audio", "audio", "audio/mpeg", True),
               ("video", "video", "video/mp4", False),
               ("video_note", "video", "video/mp4", False))
RECORDING_COMMANDS = ("vocal", "prompt")  # « /vocal fon menu.title » on a staff voice note
UNREAD = ("sticker", "contact", "poll", "dice", "animation", "game", "story")


def parse_update(data: Any, *, account: str) -> Parsed:
    """What an Update means for Palabre; NotAnUpdate when the body is not one."""
    if not isinstance(data, dict) or type(data.get("update_id")) is not int \
            or not 0 <= data["update_id"] < MAX_ID:
        raise NotAnUpdate("an Update is a JSON object with an integer update_id")
    external_id = f"{account}:{data['update_id']}"
    if "callback_query" in data:
        return _callback(_field(data, "callback_query", dict), external_id, account)
    if "edited_message" in data:
        return _edited(_message_in(data, "edited_message"), external_id, account)
    if "message" in data:
        return _message(_message_in(data, "message"), external_id, account)
    if "channel_post" in data or "edited_channel_post" in data:
        return Ignored("a post in a channel")
    return Ignored(f"an update of another kind ({_kind(data)})")


def _field(parent: Json, name: str, kind: type | tuple[type, ...], *,
           optional: bool = False) -> Any:
    """A field as documented: present (unless optional) and of its type (a bool is no
    number)."""
    value = parent.get(name)
    if value is None:
        if optional:
            return None
        raise NotAnUpdate(f"{name} is missing")
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise NotAnUpdate(f"{name} is not of its documented type")
    return value


def _message_in(parent: Json, name: str) -> Json:
    """A Message, with what every message carries checked: its id, date and chat."""
    message = _field(parent, name, dict)
    _field(message, "message_id", int)
    _field(message, "date", int)
    _field(_field(message, "chat", dict), "type", str)
    _address(message)
    return message


def _address(message: Json) -> str:
    """The chat id as Palabre keeps it; Telegram's ids are integers of at most 52 bits."""
    chat_id = _field(message["chat"], "id", int)
    if not -MAX_ID < chat_id < MAX_ID:
        raise NotAnUpdate("a chat id beyond 64 bits")
    return str(chat_id)


def _sender(parent: Json) -> str | None:
    """The sender's full name; None when the object has no sender (`from`)."""
    user = _field(parent, "from", dict, optional=True)
    if user is None:
        return None
    _field(user, "id", int)
    _field(user, "is_bot", bool)
    first, last = _field(user, "first_name", str), _field(user, "last_name", str, optional=True)
    return f"{first} {last}" if last else first


def _kind(data: Json) -> str:
    return next((k for k in data if k != "update_id"), "empty")


def _message(message: Json, external_id: str, account: str) -> Parsed:
    if message["chat"]["type"] != PRIVATE:
        return _in_group(message, external_id)
    if message.get("from") is None:
        return Ignored("a private message without a sender")
    return Private(InboundMessage(**_base(message, external_id, account), **_content(message)))


def _edited(message: Json, external_id: str, account: str) -> Parsed:
    if message["chat"]["type"] != PRIVATE:
        return Ignored("an edited message in a group")
    return Private(InboundMessage(**_base(message, external_id, account),
                                  extra={"edited": "1"}))


def _callback(query: Json, external_id: str, account: str) -> Parsed:
    query_id = _field(query, "id", str)
    name = _sender(query)
    if name is None:
        raise NotAnUpdate("a button press without its sender")
    _field(query, "chat_instance", str)
    message = _message_in(query, "message") if query.get("message") is not None else None
    data = _field(query, "data", str, optional=True)
    if message is None or message["chat"]["type"] != PRIVATE or data is None:
        return Ignored("a button outside a private chat", callback_query_id=query_id)
    return Private(InboundMessage(channel=CHANNEL, account=account, external_id=external_id,
                                  address=_address(message), display_name=name,
                                  choice=data[:64]),
                   callback_query_id=query_id)


def _in_group(message: Json, external_id: str) -> Parsed:
    voice = _group_voice(message, external_id)
    if voice is not None:
        return voice
    text = (_field(message, "text", str, optional=True) or "").strip()
    if not text.startswith("/"):
        return Ignored("a message in a group")
    head, _, rest = text[1:].partition(" ")
    command = head.split("@", 1)[0].lower()
    payload = GROUP_PAYLOADS.get(command, "")
    if command == "start" and rest.strip():
        payload = rest.strip().split()[0][:64]
    return GroupCommand(_address(message), external_id, payload)


def _group_voice(message: Json, external_id: str) -> GroupVoice | None:
    """A voice note or audio file captioned « /vocal <language> <message> », else None."""
    caption = (_field(message, "caption", str, optional=True) or "").strip()
    head, _, rest = caption.lstrip("/").partition(" ")
    if not caption.startswith("/") or head.split("@", 1)[0].lower() not in RECORDING_COMMANDS:
        return None
    sound = _field(message, "voice", dict, optional=True) or _field(
        message, "audio", dict, optional=True)
    if sound is None:
        return None
    return GroupVoice(_address(message), external_id, _field(sound, "file_id", str),
                      tuple(rest.split()), _sender(message) or "?")


def _base(message: Json, external_id: str, account: str) -> dict[str, Any]:
    return {"channel": CHANNEL, "account": account, "external_id": external_id,
            "address": _address(message), "display_name": _sender(message),
            "received_at": _date(message["date"])}


def _date(timestamp: int) -> datetime:
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise NotAnUpdate(f"no date: {timestamp}") from exc


def _content(message: Json) -> dict[str, Any]:
    """Text, a pin or a place, files by reference (fetched after the acknowledgement)."""
    venue = _field(message, "venue", dict, optional=True)
    if venue is not None:
        place = (_field(venue, "title", str), _field(venue, "address", str))
        return {"location": _point(_field(venue, "location", dict)),
                "place_text": ", ".join(p for p in place if p)}
    location = _field(message, "location", dict, optional=True)
    if location is not None:
        return {"location": _point(location)}
    files = _files(message)
    if files:
        return {"files": files, "text": _field(message, "caption", str, optional=True)}
    text = _field(message, "text", str, optional=True)
    if text is not None:
        return {"text": text}
    return {"extra": {"telegram": _what(message)}}


def _point(location: Json) -> Point:
    point = Point(float(_field(location, "latitude", (int, float))),
                  float(_field(location, "longitude", (int, float))))
    if not (-90 <= point.latitude <= 90 and -180 <= point.longitude <= 180):
        raise NotAnUpdate("a location's latitude or longitude is out of range")
    return point


def _files(message: Json) -> tuple[IncomingFile, ...]:
    photo = _field(message, "photo", list, optional=True)
    if photo:
        return (_photo(photo),)
    for name, kind, usual_type, named in FILE_FIELDS:
        found = _field(message, name, dict, optional=True)
        if found is not None:
            content_type = _field(found, "mime_type", str, optional=True) or usual_type
            return (_remote(found, kind, content_type, named),)
    document = _field(message, "document", dict, optional=True)
    return () if document is None else (_document(document),)


def _photo(sizes: list[Any]) -> IncomingFile:
    """The largest of the sizes Telegram made of a photo."""
    for size in sizes:
        if not isinstance(size, dict):
            raise NotAnUpdate("a photo size is not an object")
        _field(size, "width", int)
        _field(size, "height", int)
    largest = max(sizes, key=lambda p: (p["width"] * p["height"], p.get("file_size") or 0))
    return _remote(largest, "photo", "image/jpeg", named=False)


def _document(document: Json) -> IncomingFile:
    """A file sent as a document: an image, a sound or a video counts as one."""
    content_type = _field(document, "mime_type", str, optional=True) or "application/octet-stream"
    family = content_type.split("/", 1)[0]
    kind = {"image": "photo", "audio": "audio", "video": "video"}.get(family, "document")
    return _remote(document, kind, content_type, named=True)


def _remote(file: Json, kind: str, content_type: str, named: bool) -> IncomingFile:
    """A file by its file id, with what Telegram declared of it."""
    _field(file, "file_unique_id", str)
    name = _field(file, "file_name", str, optional=True) if named else None
    return IncomingFile(kind, content_type, remote=_field(file, "file_id", str),
                        declared_size=_field(file, "file_size", int, optional=True), name=name)


def _what(message: Json) -> str:
    """What kind of message carries nothing Palabre reads (a sticker, a contact, a poll…)."""
    return next((name for name in UNREAD if message.get(name) is not None), "other")

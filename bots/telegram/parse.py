"""Telegram updates as Palabre sees them: a citizen's private message, a command in a group,
or something to acknowledge and leave alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Chat, Document, Message, Update

from bots.telegram.config import CHANNEL
from core.geo import Point
from core.messages.neutral import InboundMessage, IncomingFile


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
class Ignored:
    reason: str
    callback_query_id: str | None = None


Parsed = Private | GroupCommand | Ignored
PRIVATE = Chat.PRIVATE
# A command in a group names what the citizen wants; the private chat starts there.
GROUP_PAYLOADS = {"signaler": "report", "report": "report", "plainte": "complaint",
                  "complaint": "complaint", "idee": "idea", "idea": "idea", "idees": "ideas",
                  "ideas": "ideas", "suivi": "followup", "status": "followup"}


def parse_update(data: Any, *, account: str) -> Parsed:
    """What an Update means for Palabre; NotAnUpdate when the body is not one."""
    update = _update(data)
    external_id = f"{account}:{update.update_id}"
    if update.callback_query is not None:
        return _callback(update, external_id, account)
    if update.edited_message is not None:
        return _edited(update.edited_message, external_id, account)
    if update.message is not None:
        return _message(update.message, external_id, account)
    if update.channel_post is not None or update.edited_channel_post is not None:
        return Ignored("a post in a channel")
    return Ignored(f"an update of another kind ({_kind(data)})")


def _update(data: Any) -> Update:
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise NotAnUpdate("an Update is a JSON object with an integer update_id")
    try:
        return Update.de_json(data, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NotAnUpdate(f"not a Telegram Update: {exc!r}") from exc


def _kind(data: dict[str, Any]) -> str:
    return next((k for k in data if k != "update_id"), "empty")


def _message(message: Message, external_id: str, account: str) -> Parsed:
    if message.chat.type != PRIVATE:
        return _in_group(message, external_id)
    if message.from_user is None:
        return Ignored("a private message without a sender")
    return Private(InboundMessage(**_base(message, external_id, account), **_content(message)))


def _edited(message: Message, external_id: str, account: str) -> Parsed:
    if message.chat.type != PRIVATE:
        return Ignored("an edited message in a group")
    return Private(InboundMessage(**_base(message, external_id, account),
                                  extra={"edited": "1"}))


def _callback(update: Update, external_id: str, account: str) -> Parsed:
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is None or message.chat.type != PRIVATE or query.data is None:
        return Ignored("a button outside a private chat", callback_query_id=query.id)
    return Private(InboundMessage(channel=CHANNEL, account=account, external_id=external_id,
                                  address=str(message.chat.id),
                                  display_name=query.from_user.full_name,
                                  choice=query.data[:64]),
                   callback_query_id=query.id)


def _in_group(message: Message, external_id: str) -> Parsed:
    text = (message.text or "").strip()
    if not text.startswith("/"):
        return Ignored("a message in a group")
    head, _, rest = text[1:].partition(" ")
    command = head.split("@", 1)[0].lower()
    payload = GROUP_PAYLOADS.get(command, "")
    if command == "start" and rest.strip():
        payload = rest.strip().split()[0][:64]
    return GroupCommand(str(message.chat.id), external_id, payload)


def _base(message: Message, external_id: str, account: str) -> dict[str, Any]:
    user = message.from_user
    return {"channel": CHANNEL, "account": account, "external_id": external_id,
            "address": str(message.chat.id),
            "display_name": user.full_name if user else None,
            "received_at": message.date}


def _content(message: Message) -> dict[str, Any]:
    """Text, a pin or a place, files by reference (fetched after the acknowledgement)."""
    if message.venue is not None:
        venue = message.venue
        return {"location": Point(venue.location.latitude, venue.location.longitude),
                "place_text": ", ".join(p for p in (venue.title, venue.address) if p)}
    if message.location is not None:
        return {"location": Point(message.location.latitude, message.location.longitude)}
    files = _files(message)
    if files:
        return {"files": files, "text": message.caption}
    if message.text is not None:
        return {"text": message.text}
    return {"extra": {"telegram": _what(message)}}


def _files(message: Message) -> tuple[IncomingFile, ...]:
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return (_remote("photo", "image/jpeg", largest.file_id, largest.file_size),)
    if message.voice is not None:
        voice = message.voice
        return (_remote("voice", voice.mime_type or "audio/ogg", voice.file_id,
                        voice.file_size),)
    if message.audio is not None:
        audio = message.audio
        return (_remote("audio", audio.mime_type or "audio/mpeg", audio.file_id,
                        audio.file_size, audio.file_name),)
    video = message.video or message.video_note
    if video is not None:
        return (_remote("video", getattr(video, "mime_type", None) or "video/mp4",
                        video.file_id, video.file_size),)
    if message.document is not None:
        return (_document(message.document),)
    return ()


def _document(document: Document) -> IncomingFile:
    """A file sent as a document: an image, a sound or a video counts as one."""
    content_type = document.mime_type or "application/octet-stream"
    family = content_type.split("/", 1)[0]
    kind = {"image": "photo", "audio": "audio", "video": "video"}.get(family, "document")
    return _remote(kind, content_type, document.file_id, document.file_size, document.file_name)


def _remote(kind: str, content_type: str, file_id: str, size: int | None,
            name: str | None = None) -> IncomingFile:
    return IncomingFile(kind, content_type, remote=file_id, declared_size=size, name=name)


def _what(message: Message) -> str:
    """What kind of message carries nothing Palabre reads (a sticker, a contact, a poll…)."""
    for name in ("sticker", "contact", "poll", "dice", "animation", "game", "story"):
        if getattr(message, name, None) is not None:
            return name
    return "other"

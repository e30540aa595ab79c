"""Telegram updates (tests/fixtures/telegram, and variants of them) read as neutral messages;
what cannot be read is NotAnUpdate, which the webhook answers 400 before storing anything."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bots.telegram.parse import GroupCommand, Ignored, NotAnUpdate, Private, parse_update
from core.geo import Point
from core.messages.neutral import InboundMessage, IncomingFile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
BOT = "123456789"
CITIZEN = "777000111"
SENT_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
AUDIO = {"file_id": "CQAD-audio", "file_unique_id": "ua", "duration": 12,
         "file_name": "chant.mp3", "mime_type": "audio/mpeg", "file_size": 4000}
VIDEO = {"file_id": "BAAD-video", "file_unique_id": "uv", "width": 640, "height": 480,
         "duration": 5, "file_name": "rue.mp4", "mime_type": "video/mp4", "file_size": 9000}
NOTE = {"file_id": "DQAD-note", "file_unique_id": "un", "length": 240, "duration": 4}
PDF = {"file_id": "BQAD-pdf", "file_unique_id": "up", "file_name": "budget.pdf",
       "mime_type": "application/pdf"}


def fixture(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def changed(name: str, *path: str, value: Any = None, drop: bool = False) -> dict[str, Any]:
    """A fixture with the field at this path set to value, or dropped."""
    data = fixture(name)
    *parents, last = path
    inner = data
    for key in parents:
        inner = inner[key]
    if drop:
        del inner[last]
    else:
        inner[last] = value
    return data


def a_message(**fields: Any) -> dict[str, Any]:
    """The text fixture carrying these fields instead of its text."""
    data = changed("text", "message", "text", drop=True)
    data["message"].update(fields)
    return data


def from_the_citizen(data: dict[str, Any], **fields: Any) -> InboundMessage:
    return InboundMessage(channel="telegram", account=BOT, address=CITIZEN,
                          external_id=f"{BOT}:{data['update_id']}", display_name="Afi Dossou",
                          received_at=SENT_AT, **fields)


def remote(kind: str, content_type: str, file_id: str, size: int | None,
           name: str | None = None) -> tuple[IncomingFile, ...]:
    return (IncomingFile(kind, content_type, remote=file_id, declared_size=size, name=name),)


PRIVATE_MESSAGES = [
    (fixture("text"), {"text": "Bonjour"}),
    (fixture("command_start_deeplink"), {"text": "/start report"}),
    (fixture("photo"), {"text": "Le caniveau",
                        "files": remote("photo", "image/jpeg", "AgACAgQAAxkBAAIB-large", 61000)}),
    (fixture("voice"), {"files": remote("voice", "audio/ogg", "AwACAgQAAxkBAAIB-voice", 9500)}),
    (fixture("document_image"), {"files": remote("photo", "image/jpeg", "BQACAgQAAxkBAAIB-doc",
                                                 2400000, "IMG_2041.jpg")}),
    (fixture("location"), {"location": Point(6.3703, 2.3912)}),
    (fixture("venue"), {"location": Point(6.3654, 2.4183),
                        "place_text": "Marché Dantokpa, Cotonou"}),
    (fixture("sticker"), {"extra": {"telegram": "sticker"}}),
    (fixture("edited_message"), {"extra": {"edited": "1"}}),
    (a_message(audio=AUDIO, caption="Écoutez"),
     {"text": "Écoutez", "files": remote("audio", "audio/mpeg", "CQAD-audio", 4000, "chant.mp3")}),
    (a_message(video=VIDEO), {"files": remote("video", "video/mp4", "BAAD-video", 9000)}),
    (a_message(video_note=NOTE), {"files": remote("video", "video/mp4", "DQAD-note", None)}),
    (a_message(document=PDF),
     {"files": remote("document", "application/pdf", "BQAD-pdf", None, "budget.pdf")}),
    (a_message(contact={"phone_number": "+22997000000", "first_name": "Afi"}),
     {"extra": {"telegram": "contact"}}),
]


@pytest.mark.parametrize(("data", "fields"), PRIVATE_MESSAGES)
def test_a_private_message_reads_as_the_citizens_neutral_message(data, fields) -> None:
    assert parse_update(data, account=BOT) == Private(from_the_citizen(data, **fields))


def test_a_sender_without_a_last_name_is_called_by_the_first() -> None:
    data = changed("text", "message", "from", "last_name", drop=True)
    parsed = parse_update(data, account=BOT)
    assert isinstance(parsed, Private) and parsed.message.display_name == "Afi"


@pytest.mark.parametrize("message", [
    None,  # as it comes
    {"chat": {"id": 777000111, "type": "private"}, "message_id": 13, "date": 0},  # too old
])
def test_a_button_press_is_the_choice_with_its_query_to_answer(message) -> None:
    data = fixture("callback_query")
    if message is not None:
        data["callback_query"]["message"] = message
    expected = InboundMessage(channel="telegram", account=BOT, address=CITIZEN,
                              external_id=f"{BOT}:500000003", display_name="Afi Dossou",
                              choice="lang:fr")
    assert parse_update(data, account=BOT) == Private(expected, "4382bfdwdsb323b2d9")


@pytest.mark.parametrize(("data", "reason"), [
    (fixture("channel_post"), "a post in a channel"),
    (fixture("group_text"), "a message in a group"),
    (changed("text", "message", "from", drop=True), "a private message without a sender"),
    ({"update_id": 7, "edited_message": fixture("group_text")["message"]},
     "an edited message in a group"),
    ({"update_id": 7, "my_chat_member": {"chat": {"id": 1, "type": "private"}}},
     "an update of another kind (my_chat_member)"),
])
def test_what_palabre_leaves_alone_is_ignored(data, reason) -> None:
    assert parse_update(data, account=BOT) == Ignored(reason)


@pytest.mark.parametrize("data", [
    changed("callback_query", "callback_query", "message", "chat",
            value={"id": -1001234567890, "type": "supergroup", "title": "Cotonou"}),
    changed("callback_query", "callback_query", "data", drop=True),
    changed("callback_query", "callback_query", "message", drop=True),
])
def test_a_button_outside_a_private_chat_is_ignored_but_answered(data) -> None:
    assert parse_update(data, account=BOT) == Ignored("a button outside a private chat",
                                                      callback_query_id="4382bfdwdsb323b2d9")


@pytest.mark.parametrize(("text", "payload"), [
    ("/signaler@palabre_test_bot", "report"),
    ("/start@palabre_test_bot idea-12 more", "idea-12"),
    ("/aide", ""),
])
def test_a_command_in_a_group_names_what_the_private_chat_starts_with(text, payload) -> None:
    data = changed("group_command", "message", "text", value=text)
    assert parse_update(data, account=BOT) == GroupCommand("-1001234567890", f"{BOT}:500000011",
                                                           payload)


NOT_UPDATES = [
    "not an object",
    {"update_id": "5", "message": fixture("text")["message"]},
    {"update_id": -1, "message": fixture("text")["message"]},
    {"update_id": 2**70, "message": fixture("text")["message"]},
    {"update_id": 5, "message": {"chat": "x"}},
    {"update_id": 5, "message": "Bonjour"},
    changed("text", "message", "date", drop=True),
    changed("text", "message", "date", value=10**20),
    changed("text", "message", "chat", drop=True),
    changed("text", "message", "chat", "type", drop=True),
    changed("text", "message", "chat", "id", value="x" * 80),
    changed("text", "message", "chat", "id", value=2**70),
    changed("text", "message", "message_id", drop=True),
    changed("text", "message", "text", value=5),
    changed("text", "message", "from", value={"id": 777000111, "is_bot": False, "first_name": 5}),
    changed("text", "message", "from", "id", drop=True),
    changed("location", "message", "location", "latitude", value="ici"),
    changed("location", "message", "location", "latitude", value=95.0),
    changed("location", "message", "location", "longitude", drop=True),
    changed("venue", "message", "venue", "title", value=3),
    changed("photo", "message", "photo", value=[{"file_id": "a"}]),
    changed("photo", "message", "photo", value="a photo"),
    changed("photo", "message", "caption", value=["Le caniveau"]),
    changed("voice", "message", "voice", "file_id", value=5),
    changed("voice", "message", "voice", "file_size", value="9500"),
    changed("document_image", "message", "document", "file_name", value=7),
    changed("callback_query", "callback_query", "chat_instance", drop=True),
    changed("callback_query", "callback_query", "data", value=5),
    changed("callback_query", "callback_query", "from", value="Afi"),
    changed("callback_query", "callback_query", "message", "chat", value=3),
    changed("group_command", "message", "text", value=["/signaler"]),
]


@pytest.mark.parametrize("data", NOT_UPDATES)
def test_what_the_worker_could_not_read_is_not_an_update(data) -> None:
    with pytest.raises(NotAnUpdate):
        parse_update(data, account=BOT)

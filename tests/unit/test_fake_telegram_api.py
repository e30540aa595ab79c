"""The fake Telegram Bot API, driven through the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest
import telegram
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.warnings import PTBDeprecationWarning

from tests.fakes.telegram_api import DROPPED, MAX_DOWNLOAD_SIZE, Call, FakeTelegramApi

TOKEN = "123:ABC"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\r\n--not-a-boundary\r\n\xff\xd9"


def make_bot(fake: FakeTelegramApi, token: str = TOKEN) -> telegram.Bot:
    """A real PTB Bot pointed at the fake."""
    return telegram.Bot(token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")


def post(fake: FakeTelegramApi, path: str, data: bytes = b"", content_type: str = "") -> tuple:
    """A raw POST to the fake: (status, decoded JSON body)."""
    request = urllib.request.Request(f"{fake.url}{path}", data=data, method="POST")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def fake() -> Iterator[FakeTelegramApi]:
    with FakeTelegramApi(tokens=[TOKEN], long_poll_cap=0.3) as api:
        yield api


@pytest.fixture
async def bot(fake: FakeTelegramApi) -> AsyncIterator[telegram.Bot]:
    async with make_bot(fake) as client:
        yield client


async def test_initialising_the_bot_calls_get_me(fake: FakeTelegramApi, bot: telegram.Bot) -> None:
    assert fake.url.startswith("http://127.0.0.1:")
    assert (bot.id, bot.username, bot.first_name) == (123, "palabre_test_bot", "Palabre")
    assert bot.can_join_groups is True
    assert [c.method for c in fake.calls] == ["getMe"]


async def test_send_message_records_wire_params_and_answers_a_message(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Oui", callback_data="yes")]]
    )
    first = await bot.send_message(chat_id=42, text="Bonjour", reply_markup=keyboard)
    second = await bot.send_message(chat_id=42, text="Ça va ?")
    group = await bot.send_message(chat_id=-1001234, text="Salut le groupe")

    assert (first.message_id, second.message_id, group.message_id) == (1, 2, 1)
    assert first.chat.type == "private" and group.chat.type == "supergroup"
    assert first.from_user is not None and first.from_user.id == 123
    assert first.text == "Bonjour" and first.reply_markup == keyboard
    assert abs(first.date.timestamp() - time.time()) < 5
    call = fake.sent("sendmessage", chat_id=42)[0]
    assert call.params["chat_id"] == "42"  # numbers stay as sent: strings
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Oui", "callback_data": "yes"}]]
    }
    assert fake.texts(42) == ["Bonjour", "Ça va ?"]


async def test_send_photo_uploads_multipart_and_the_photo_can_be_downloaded(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    message = await bot.send_photo(chat_id=42, photo=JPEG, caption="Nid de poule")

    call = fake.sent("sendPhoto")[0]
    assert call.files["photo"] == JPEG
    assert call.params["caption"] == "Nid de poule"
    assert fake.texts(42) == ["Nid de poule"]
    assert len(message.photo) == 2 and message.photo[-1].width == 1280
    file = await bot.get_file(message.photo[-1].file_id)
    assert file.file_path is not None and file.file_path.endswith(".jpg")
    assert await file.download_as_bytearray() == bytearray(JPEG)


async def test_documents_audio_voice_and_location(fake: FakeTelegramApi, bot: telegram.Bot) -> None:
    document = await bot.send_document(chat_id=7, document=b"%PDF-1.4", filename="rapport.pdf")
    audio = await bot.send_audio(chat_id=7, audio=b"ID3audio", filename="note.mp3")
    voice = await bot.send_voice(chat_id=7, voice=b"OggSvoice", caption="Écoutez")
    place = await bot.send_location(chat_id=7, latitude=6.3703, longitude=2.3912)

    assert document.document is not None and document.document.file_name == "rapport.pdf"
    assert fake.sent("sendDocument")[0].filenames == {"document": "rapport.pdf"}
    assert audio.audio is not None and voice.voice is not None
    assert voice.voice.mime_type == "audio/ogg"
    assert place.location is not None and place.location.latitude == pytest.approx(6.3703)
    assert [m.message_id for m in (document, audio, voice, place)] == [1, 2, 3, 4]
    assert fake.texts(7) == ["Écoutez"]


async def test_get_file_serves_registered_bytes_and_refuses_big_or_unknown_files(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    fake.add_file("F1", b"OggS voice note", file_unique_id="U1")
    fake.add_file("BIG", b"x", file_size=MAX_DOWNLOAD_SIZE + 1)

    file = await bot.get_file("F1")
    assert (file.file_unique_id, file.file_size) == ("U1", 15)
    assert file.file_path == f"{fake.url}/file/bot{TOKEN}/voice/file_1.oga"
    assert await file.download_as_bytearray() == bytearray(b"OggS voice note")
    assert fake.downloads == ["voice/file_1.oga"]
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await bot.get_file("BIG")
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")


@pytest.mark.parametrize("timedelta_env", ["false", "true"])
async def test_scripted_429_raises_retry_after(
    fake: FakeTelegramApi, bot: telegram.Bot, monkeypatch: pytest.MonkeyPatch, timedelta_env: str
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", timedelta_env)
    fake.fail_next("sendMessage", status=429, retry_after=3)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(chat_id=42, text="trop vite")
        retry_after = caught.value.retry_after
    deprecated = any(issubclass(w.category, PTBDeprecationWarning) for w in seen)
    if timedelta_env == "true":
        assert (retry_after, deprecated) == (dt.timedelta(seconds=3), False)
    else:  # PTB 22's default: an int, with a deprecation warning on every read
        assert (retry_after, deprecated) == (3, True)
    await bot.send_message(chat_id=42, text="plus tard")
    assert [c.status for c in fake.sent("sendMessage")] == [429, 200]
    assert fake.texts(42) == ["plus tard"]


async def test_forbidden_when_scripted_or_when_the_user_blocked_the_bot(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    fake.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(chat_id=42, text="x")

    fake.block(43)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_photo(chat_id=43, photo=JPEG)
    assert (await bot.send_message(chat_id=42, text="ok")).text == "ok"


async def test_dropped_connection_and_bad_gateway_raise_network_error(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    fake.drop_next("sendMessage")
    fake.fail_next("sendMessage", status=502, times=2)

    with pytest.raises(NetworkError) as dropped:
        await bot.send_message(chat_id=42, text="un")
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(chat_id=42, text="deux")
    await bot.send_message(chat_id=42, text="trois")

    assert "RemoteProtocolError" in str(dropped.value)
    assert [c.status for c in fake.sent("sendMessage")] == [DROPPED, 502, 502, 200]


async def test_get_updates_returns_queued_updates_and_honours_offset(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    fake.queue_message(42, "Bonjour")
    fake.queue_callback_query(42, "menu:idea")

    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None and updates[0].message.text == "Bonjour"
    assert updates[1].callback_query is not None and updates[1].callback_query.data == "menu:idea"
    again = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert [u.update_id for u in again] == [updates[1].update_id]
    assert await bot.get_updates(offset=updates[1].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == []


async def test_get_updates_long_polls_until_an_update_arrives_or_the_cap(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()
    assert 0.25 < time.monotonic() - started < 1.5  # capped at long_poll_cap=0.3

    threading.Timer(0.1, fake.queue_update, args=[{"update_id": 7}]).start()
    started = time.monotonic()
    updates = await bot.get_updates(timeout=30)
    assert [u.update_id for u in updates] == [7]
    assert time.monotonic() - started < 0.3


async def test_callbacks_webhook_commands_and_markup_edits(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(chat_id=42, text="Choisissez")
    assert await bot.answer_callback_query("cbq-1", text="Merci") is True
    edited = await bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id)
    assert isinstance(edited, telegram.Message) and edited.message_id == sent.message_id
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_reply_markup(chat_id=42, message_id=99)

    assert await bot.set_webhook("https://palabre.example/tg", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert info.url == "https://palabre.example/tg" and info.allowed_updates == ("message",)
    assert fake.sent("setWebhook")[0].params["allowed_updates"] == ["message"]
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""

    commands = [telegram.BotCommand("start", "Commencer"), telegram.BotCommand("aide", "Aide")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)


async def test_wrong_token_and_unknown_method(fake: FakeTelegramApi, bot: telegram.Bot) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(fake, token="999:WRONG"):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    assert [(c.method, c.status) for c in fake.calls[-2:]] == [
        ("getMe", 401),
        ("sendTelepathy", 404),
    ]


def test_wire_format_of_errors_and_case_insensitive_methods(fake: FakeTelegramApi) -> None:
    form = "application/x-www-form-urlencoded"
    fake.fail_next("sendMessage", status=429, retry_after=3)
    assert post(fake, f"/bot{TOKEN}/sendMessage", b"chat_id=1&text=a", form) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    status, body = post(fake, f"/bot{TOKEN}/SENDMESSAGE", b"chat_id=1&text=a", form)
    assert status == 200 and body["ok"] is True and body["result"]["text"] == "a"
    assert fake.calls[-1].method == "sendMessage"
    assert post(fake, "/bot1:X/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert post(fake, f"/bot{TOKEN}/nope") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = post(fake, f"/bot{TOKEN}/sendMessage", b'{"chat_id": 5}', "application/json")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


def test_wait_for_sees_calls_from_other_threads_and_times_out(fake: FakeTelegramApi) -> None:
    def later() -> None:
        post(fake, f"/bot{TOKEN}/getMe")

    threading.Timer(0.05, later).start()
    calls = fake.wait_for(lambda cs: any(c.method == "getMe" for c in cs), timeout=2)
    assert isinstance(calls[0], Call)
    with pytest.raises(TimeoutError, match="getMe"):
        fake.wait_for(lambda cs: len(cs) > 5, timeout=0.05)


async def test_wait_for_async_leaves_the_event_loop_free(
    fake: FakeTelegramApi, bot: telegram.Bot
) -> None:
    waiting = fake.wait_for_async(lambda cs: len(fake.texts(9)) == 1, timeout=2)
    sending = bot.send_message(chat_id=9, text="hello")
    calls, _ = await asyncio.gather(waiting, sending)
    assert calls[-1].params["text"] == "hello"


def test_stop_closes_the_port_and_leaves_no_thread() -> None:
    fake = FakeTelegramApi().start()
    url = fake.url
    fake.queue_update({"update_id": 1})
    fake.stop()

    assert not any(t.name == "fake-telegram-api" for t in threading.enumerate())
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/bot{TOKEN}/getMe", timeout=1)
    fake.stop()  # idempotent

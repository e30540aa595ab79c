"""Sending the outbox on Telegram, and fetching the files citizens sent."""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bots.telegram.client import TelegramClient
from bots.telegram.config import CHANNEL
from bots.telegram.throttle import Throttle, is_group
from core.messages.neutral import Choice, OutboundMessage
from core.messages.pace import Booking, Rate, SharedPace, Window, book_patiently, settle
from core.ports import (
    Clock,
    DeliveryError,
    FetchedFile,
    FetchError,
    MediaStore,
    SendReceipt,
)
from dialogs.render import split_text

logger = logging.getLogger(__name__)

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024
CALLBACK_DATA_LIMIT = 64  # bytes
# Waits slept rather than given back, by what holds the message: a chat's short wait, and the
# bot-wide limit (30 a second), which never asks for more than a second: giving the message back
# would claim and return the rest of the batch for nothing. A pause after a 429 is never slept.
SLEEPABLE_S = {"chat": 0.25, "bot": 1.0}
LIMITS = {"pause": "the bot waits out a 429 (flood control)",
          "bot": "the bot's 30 messages a second", "chat": "one a second, 20 a minute in a group"}
# The bot's limit, kept by every process together when shared (core/messages/pace.py), and
# how long a sender keeps trying to book before it gives the message back.
PER_SECOND = 30
SHARED_PATIENCE_S = 2.0
PART_PATIENCE_S = 15.0
GONE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights to send")


class TelegramMessenger:
    """Renders choices as buttons, splits long texts, sends files; respects the limits."""

    channel = CHANNEL

    def __init__(self, client: TelegramClient, media: MediaStore, clock: Clock,
                 pace: SharedPace | None = None) -> None:
        self.client = client
        self.media = media
        self.clock = clock
        # Limits shared by every process (several on PostgreSQL), else kept here per bot.
        self.pace = pace
        self.throttles: dict[str, Throttle] = {}
        # Files Telegram already has, by bot and stored path: a photo sent to a thousand
        # followers is uploaded once, then sent by its file id.
        self.file_ids: dict[tuple[str, str, str], str] = {}
        # One upload of a file at a time per bot: sends beside it wait for its file id.
        self._uploads: dict[tuple[str, str], threading.Lock] = {}
        self._uploads_lock = threading.Lock()

    def send(self, message: OutboundMessage) -> SendReceipt:
        """A file Telegram has not seen yet is uploaded by one send at a time (the others
        wait for its file id); once known, sends of it go side by side like texts."""
        if message.media_path is None or self._file_key(message) in self.file_ids:
            return self._send_paced(message)
        with self._upload_lock(message.account, message.media_path):
            if self._file_key(message) not in self.file_ids:
                return self._send_paced(message)
        return self._send_paced(message)  # uploaded meanwhile: by its file id, unlocked

    def _file_key(self, message: OutboundMessage) -> tuple[str, str, str]:
        """Where a file's Telegram id is kept: by bot, stored path and the name it goes by."""
        assert message.media_path is not None
        if message.hints.get("voice"):
            return (message.account, message.media_path, "voice")
        return (message.account, message.media_path,
                message.hints.get("filename") or self.media.absolute(message.media_path).name)

    def _upload_lock(self, account: str, media_path: str) -> threading.Lock:
        with self._uploads_lock:
            return self._uploads.setdefault((account, media_path), threading.Lock())

    def _send_paced(self, message: OutboundMessage) -> SendReceipt:
        """Each message Telegram receives is paced on its own: a long text split in three
        is three messages in the bot's 30 a second (it counted as one) and in a group's 20 a
        minute, but one message in the chat's one a second. A later part waits out what holds
        it back (a 429's pause too) for up to 15 s; beyond, or on a failure, the whole goes
        again, parts already received included."""
        sent: Message | None = None
        for number, piece in enumerate(self._pieces(message)):
            turn = self._wait_turn(message.account, message.address, chat=number == 0)
            try:
                sent = self.client.call(message.account, piece)
            except TelegramError as exc:
                error = delivery_error(exc)
                if error.throttled and error.retry_after:
                    self._pause(message.account, turn, error.retry_after)
                raise error from exc
            except TimeoutError as exc:
                raise DeliveryError(f"Telegram did not answer in time: {exc}") from exc
            finally:  # the message counts in the bot's second from its answer on
                if isinstance(turn, Throttle):
                    turn.settle()
                elif turn is not None and self.pace is not None:
                    settle(self.pace, turn, self.clock.now().timestamp())
        assert sent is not None
        return SendReceipt(external_id=str(sent.message_id))

    def _wait_turn(self, account: str, chat_id: str, *,
                   chat: bool = True) -> Throttle | int | None:
        """This process's throttle, once it lets the message go; or, when the limits are
        shared, the message's entry in the bot's window. `chat=False`: the bot's limit only
        (the next part of a split message)."""
        if self.pace is not None:
            return self._shared_turn(self.pace, account, chat_id, chat=chat)
        throttle = self._throttle(account)
        started, patience = time.monotonic(), _patience(chat)
        while (wait := throttle.reserve(chat_id, chat=chat)) > 0:
            held_by = throttle.holding(chat_id, chat=chat)
            if wait > _sleepable(held_by, chat) or time.monotonic() - started > patience:
                limit = LIMITS.get(held_by, LIMITS["chat"])
                raise DeliveryError(f"Telegram limit ({limit}) for chat {chat_id}",
                                    throttled=True, retry_after=wait)
            time.sleep(wait)
        return throttle

    def _shared_turn(self, pace: SharedPace, account: str, chat_id: str, *,
                     chat: bool = True) -> int | None:
        """Book this message under the bot's limits held in the database (short waits are
        slept, for a second or two at most); its window entry, to settle once answered."""
        bot = f"{CHANNEL}:{account}"
        rates = [Rate(f"{bot}:{chat_id}", 1.0)] if chat else []
        if is_group(chat_id):  # 20 a minute: one every 3 s, with 57 s of credit, every part
            rates.append(Rate(f"{bot}:{chat_id}:minute", 3.0, burst=57.0))

        def held_by(booking: Booking) -> str:
            return "pause" if booking.paused else "bot" if booking.held_by == bot else "chat"

        booking = book_patiently(pace, lambda: self.clock.now().timestamp(), pause_key=bot,
                                 rates=rates, window=Window(bot, PER_SECOND, 1.0),
                                 sleepable=lambda b: _sleepable(held_by(b), chat),
                                 patience=_patience(chat), sleep_pauses=not chat)
        if booking.held_by:
            raise DeliveryError(f"Telegram limit ({LIMITS[held_by(booking)]}) for chat "
                                f"{chat_id}", throttled=True, retry_after=booking.wait)
        return booking.entry

    def _pause(self, account: str, throttle: Throttle | int | None, seconds: float) -> None:
        """Flood control holds the whole bot: no chat gets a message before it ends (in
        every process, when the limits are shared)."""
        if self.pace is not None:
            self.pace.pause(f"{CHANNEL}:{account}", self.clock.now().timestamp() + seconds)
        elif isinstance(throttle, Throttle):
            throttle.pause(seconds)
        logger.warning("Telegram bot %s: flood control (429), nothing sent for %s s",
                       account, seconds)

    def _throttle(self, account: str) -> Throttle:
        throttle = self.throttles.get(account)
        if throttle is None:
            throttle = Throttle(now=lambda: self.clock.now().timestamp())
            self.throttles[account] = throttle
        return throttle

    def _pieces(self, message: OutboundMessage) -> list[Callable[[Bot], Awaitable[Message]]]:
        """The messages Telegram receives for one of ours: a voice, a file (its caption, or
        the text after it when too long), a text split at Telegram's limit; the buttons on
        the last."""
        markup = keyboard(message)
        if message.media_path and message.hints.get("voice"):
            return [lambda bot: self._send_voice(bot, message)]
        pieces: list[Callable[[Bot], Awaitable[Message]]] = []
        text = message.text
        if message.media_path:
            caption = text if len(text) <= CAPTION_LIMIT else None
            pieces.append(lambda bot: self._send_file(bot, message, caption, markup))
            if caption is not None or not text:
                return pieces
        parts = split_text(text, TEXT_LIMIT)
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            pieces.append(partial(_send_text, chat_id=message.address, text=part,
                                  markup=markup if last else None))
        return pieces

    async def _send_voice(self, bot: Bot, message: OutboundMessage) -> Message:
        """A recorded prompt, as a voice message (uploaded once per bot, then by its id)."""
        assert message.media_path is not None
        key = self._file_key(message)
        known = self.file_ids.get(key)
        try:
            data = known or self.media.absolute(message.media_path).read_bytes()
        except FileNotFoundError as gone:  # removed by the mairie since: nothing to send
            raise DeliveryError(f"recorded prompt gone: {gone}", retryable=False) from gone
        sent = await bot.send_voice(message.address, data)
        if sent.voice is not None:
            self.file_ids[key] = sent.voice.file_id
        return sent

    async def _send_file(self, bot: Bot, message: OutboundMessage, caption: str | None,
                         markup: Any) -> Message:
        """The file (uploaded once per bot, then by its id), its caption and buttons when
        the text fits; otherwise the text follows as messages of its own."""
        assert message.media_path is not None
        path = self.media.absolute(message.media_path)
        photo = _is_image(path)
        send = bot.send_photo if photo else bot.send_document
        # A document goes under its own name (budget-2026.pdf), not the store's hash.
        name = message.hints.get("filename") or path.name
        key = self._file_key(message)
        known = self.file_ids.get(key)
        sent = await send(message.address, known or path.read_bytes(), caption=caption,
                          reply_markup=markup if caption is not None else None,
                          filename=name)  # ignored for a file id
        uploaded = (sent.photo[-1] if sent.photo else None) if photo else sent.document
        if uploaded is not None:
            self.file_ids[key] = uploaded.file_id
        return sent


def _sleepable(held_by: str, first_part: bool) -> float:
    """How long a wait is slept rather than the message given back: for the next part of a
    split message, any wait (a 429's pause too) up to its patience, since giving it back
    sends the parts already received again."""
    return SLEEPABLE_S.get(held_by, 0.0) if first_part else PART_PATIENCE_S


def _patience(first_part: bool) -> float:
    """How long a sender keeps trying to book a message's turn: longer for the next part of
    a split message, since giving it back sends the parts already received again."""
    return SHARED_PATIENCE_S if first_part else PART_PATIENCE_S


async def _send_text(bot: Bot, *, chat_id: str, text: str, markup: Any) -> Message:
    return await bot.send_message(chat_id, text, reply_markup=markup)


class TelegramFetcher:
    """Downloads a file by its file id (getFile, then the file URL), within a size limit."""

    def __init__(self, client: TelegramClient) -> None:
        self.client = client

    def fetch(self, *, account: str, remote: str, max_bytes: int) -> FetchedFile:
        try:
            data = self.client.call(account, lambda bot: _download(bot, remote, max_bytes))
        except FetchError:
            raise
        except BadRequest as exc:
            too_big = "too big" in exc.message.lower()
            raise FetchError(exc.message, retryable=False,
                             reason="too_large" if too_big else "unreadable") from exc
        except (NetworkError, RetryAfter, TimeoutError) as exc:
            raise FetchError(f"Telegram: {exc}", retryable=True) from exc
        except TelegramError as exc:
            raise FetchError(f"Telegram: {exc}", retryable=False) from exc
        return FetchedFile(bytes(data))


async def _download(bot: Bot, file_id: str, max_bytes: int) -> bytearray:
    found = await bot.get_file(file_id)
    if found.file_size is not None and found.file_size > max_bytes:
        raise FetchError(f"{found.file_size} bytes", retryable=False, reason="too_large")
    data = await found.download_as_bytearray()
    if len(data) > max_bytes:
        raise FetchError(f"{len(data)} bytes", retryable=False, reason="too_large")
    return data


def keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """Choices as inline buttons; at a location step, a keyboard whose first button sends the
    citizen's position (the choices follow as plain buttons that send their label)."""
    location = message.hints.get("request_location")
    if location:
        rows = [[KeyboardButton(location, request_location=True)]]
        rows += [[KeyboardButton(c.label[:100])] for c in message.choices]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if not message.choices:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(c.label[:100],
                                                       callback_data=callback_data(c, n))]
                                 for n, c in enumerate(message.choices, start=1)])


def callback_data(choice: Choice, number: int) -> str:
    """The choice id, which the dialogs check against what they offered; its number when the
    id is longer than Telegram's 64 bytes."""
    return choice.id if len(choice.id.encode()) <= CALLBACK_DATA_LIMIT else str(number)


def delivery_error(exc: TelegramError) -> DeliveryError:
    """What a Bot API error means for the outbox."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that int becomes timedelta: both work
            warnings.simplefilter("ignore")
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return DeliveryError(f"Telegram flood control: {exc}", throttled=True,
                             retry_after=seconds)
    if isinstance(exc, Forbidden):
        return DeliveryError(f"Telegram: {exc.message}", retryable=False, unreachable=True)
    if isinstance(exc, BadRequest):
        gone = any(words in exc.message.lower() for words in GONE)
        return DeliveryError(f"Telegram refused: {exc.message}", retryable=False,
                             unreachable=gone)
    return DeliveryError(f"Telegram: {exc}")  # network trouble, a server error: retry


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")

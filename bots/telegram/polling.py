"""Polling mode: ask Telegram for updates (getUpdates) instead of receiving a webhook, for a
development machine without a public address. Updates go through the same receiver."""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bots.telegram.config import BotConfig
from bots.telegram.parse import NotAnUpdate
from bots.telegram.receiver import TelegramReceiver

logger = logging.getLogger(__name__)

LONG_POLL_S = 25
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post"]
PAUSE_AFTER_ERROR_S = 5.0


class Poller(threading.Thread):
    """One bot's getUpdates loop; the offset moves past an update only once it is stored."""

    def __init__(self, receiver: TelegramReceiver, bot: BotConfig, *,
                 long_poll: int = LONG_POLL_S) -> None:
        super().__init__(name=f"palabre-telegram-poll-{bot.account}", daemon=True)
        self.receiver = receiver
        self.bot = bot
        self.long_poll = long_poll
        self.offset: int | None = None
        self.stopped = threading.Event()

    def run(self) -> None:
        self._drop_webhook()
        while not self.stopped.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # the loop's edge: log, wait, go on
                logger.warning("Telegram polling for bot %s: %s", self.bot.account, exc)
                self.stopped.wait(PAUSE_AFTER_ERROR_S)

    def poll_once(self) -> int:
        """Fetch and handle one batch of updates; how many there were."""
        updates = self.receiver.client.call(self.bot.account, self._get_updates,
                                            timeout=self.long_poll + 30)
        for update in updates:
            self._handle(update)
            if isinstance(update, dict) and type(update.get("update_id")) is int:
                self.offset = update["update_id"] + 1
        return len(updates)

    async def _get_updates(self, bot: Bot) -> list[Any]:
        """The updates as Telegram sent them, for the receiver to read one by one: PTB's
        get_updates reads them all first, and one it cannot read would fail every poll."""
        params: dict[str, Any] = {"timeout": self.long_poll, "allowed_updates": ALLOWED_UPDATES}
        if self.offset is not None:
            params["offset"] = self.offset
        with warnings.catch_warnings():  # PTB suggests get_updates, which is the trouble
            warnings.simplefilter("ignore")
            found = await bot.do_api_request("getUpdates", api_kwargs=params)
        return found if isinstance(found, list) else []

    def _handle(self, update: dict[str, Any]) -> None:
        try:
            reply = self.receiver.handle(self.bot, update)
        except NotAnUpdate as exc:
            logger.warning("Telegram polling for bot %s: skipped a malformed update: %s",
                           self.bot.account, exc)
            return
        if reply and reply.get("method") == "answerCallbackQuery":
            query_id = reply["callback_query_id"]
            try:
                self.receiver.client.call(self.bot.account,
                                          lambda bot: bot.answer_callback_query(query_id))
            except TelegramError as exc:  # too late to answer: the message is stored anyway
                logger.info("could not answer a button press: %s", exc)

    def _drop_webhook(self) -> None:
        """getUpdates does not work while a webhook is set."""
        try:
            self.receiver.client.call(self.bot.account, lambda bot: bot.delete_webhook())
        except Exception as exc:  # polling will say what is wrong
            logger.warning("could not remove the webhook of bot %s: %s", self.bot.account, exc)

    def stop(self) -> None:
        self.stopped.set()

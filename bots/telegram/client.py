"""python-telegram-bot's Bots on an event loop of their own, for Palabre's synchronous
workers: `call` runs one coroutine against one bot and waits for its result."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot
from telegram.request import HTTPXRequest

from bots.telegram.config import TelegramConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
CALL_TIMEOUT_S = 120.0  # a file upload or a long poll, at most
WARM_UP_TIMEOUT_S = 5.0
ASK_AGAIN_AFTER_S = 60.0  # getMe, while Telegram cannot say the bot's name


class TelegramClient:
    """One Bot per configured token, created on first use, on one background loop."""

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self._bots: dict[str, Bot] = {}
        self._usernames: dict[str, str] = {}
        self._asked: dict[str, float] = {}  # when getMe was last asked, per bot
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, account: str, action: Callable[[Bot], Awaitable[T]],
             timeout: float = CALL_TIMEOUT_S) -> T:
        """Run `action(bot)` for this account's bot and return what it returns (or raise)."""
        loop = self._running_loop()
        future = asyncio.run_coroutine_threadsafe(self._with_bot(account, action), loop)
        return future.result(timeout)

    def username(self, account: str, *, timeout: float = 15.0) -> str | None:
        """The bot's @username (asked once with getMe), None when Telegram cannot say."""
        if account not in self._usernames:
            self._asked[account] = time.monotonic()
            try:
                me = self.call(account, lambda bot: bot.get_me(), timeout=timeout)
            except Exception as exc:  # the edge: a link without the name is still an answer
                logger.warning("getMe failed for Telegram bot %s: %s", account, exc)
                return None
            if me.username:
                self._usernames[account] = me.username
        return self._usernames.get(account)

    def known_username(self, account: str) -> str | None:
        """The bot's @username if getMe told it already: no call (inside a transaction)."""
        return self._usernames.get(account)

    def learn_usernames(self) -> None:
        """Ask getMe for the bots whose name is not known yet, each at most once a minute
        while Telegram cannot say, waiting 5 s at most (run outside any transaction, before
        the turns of every channel)."""
        for bot in self.config.bots:
            asked = self._asked.get(bot.account)
            if bot.account not in self._usernames and (
                    asked is None or time.monotonic() - asked >= ASK_AGAIN_AFTER_S):
                self.username(bot.account, timeout=WARM_UP_TIMEOUT_S)

    async def _with_bot(self, account: str, action: Callable[[Bot], Awaitable[T]]) -> T:
        return await action(await self._bot(account))

    async def _bot(self, account: str) -> Bot:
        bot = self._bots.get(account)
        if bot is None:
            found = self.config.bot(account)
            if found is None:
                raise KeyError(f"no Telegram bot {account} is configured")
            bot = Bot(found.token, base_url=self.config.base_url,
                      base_file_url=self.config.base_file_url,
                      request=HTTPXRequest(connection_pool_size=16, read_timeout=30.0,
                                           media_write_timeout=60.0),
                      get_updates_request=HTTPXRequest(connection_pool_size=2,
                                                       read_timeout=60.0))
            await bot.initialize()
            self._bots[account] = bot
            if bot.username:
                self._usernames[account] = bot.username
        return bot

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever,
                                                name="palabre-telegram", daemon=True)
                self._thread.start()
            return self._loop

    def close(self) -> None:
        """Close the bots' connections and stop the loop."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return
        bots, self._bots = list(self._bots.values()), {}

        async def shutdown() -> None:
            for bot in bots:
                try:
                    await bot.shutdown()
                except Exception as exc:  # closing anyway
                    logger.debug("closing a Telegram bot: %s", exc)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            loop.close()

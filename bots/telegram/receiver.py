"""What happens to an update, from the webhook or from polling: a citizen's message is stored
for the pipeline, a group command is answered with a link to a private chat, the rest is
acknowledged. Nothing here waits for the dialogs or for Telegram."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from bots.telegram.client import TelegramClient
from bots.telegram.config import CHANNEL, BotConfig, TelegramConfig
from bots.telegram.parse import GroupCommand, GroupVoice, NotAnUpdate, Private, parse_update
from bots.telegram.staff import take_recording
from core.messages import service as messages
from core.messages.intake import Post
from core.uow import UnitOfWork
from dialogs.engine import say
from dialogs.i18n import DEFAULT_LANGUAGE, Catalogs
from dialogs.pipeline import Pipeline

logger = logging.getLogger(__name__)


class TelegramReceiver:
    """Turns updates into stored messages (then wakes the worker) or into quick answers."""

    def __init__(self, *, config: TelegramConfig, client: TelegramClient, pipeline: Pipeline,
                 uow_factory: Callable[[], UnitOfWork], catalogs: Catalogs,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.config = config
        self.client = client
        self.pipeline = pipeline
        self.uow_factory = uow_factory
        self.catalogs = catalogs
        self.wake = wake

    def authenticate(self, secret: str | None, account: str | None = None) -> BotConfig | None:
        """The bot whose webhook secret this is (compared in constant time), if any."""
        if not secret:
            return None
        found = None
        for bot in self.config.bots:
            same = hmac.compare_digest(bot.secret.encode(), secret.encode())
            if same and (account is None or bot.account == account):
                found = bot
        return found

    def handle(self, bot: BotConfig, data: Any) -> dict[str, Any] | None:
        """Store one update as it came (the worker reads it: `unpack`); the webhook's reply (a
        Bot API method call) when there is one to give at once: answering a button press.
        Raises NotAnUpdate when the body is not an Update."""
        self.pipeline.receive_post(self.post_of(bot, data))
        self.wake()
        return self.reply_to(data)

    async def handle_async(self, bot: BotConfig, data: Any) -> dict[str, Any] | None:
        """`handle` for the webhook: waits for the store without holding a thread."""
        await self.pipeline.receive_post_async(self.post_of(bot, data))
        self.wake()
        return self.reply_to(data)

    @staticmethod
    def post_of(bot: BotConfig, data: Any) -> Post:
        """The update as a body to store; NotAnUpdate when the worker could not read it."""
        check_update(data, bot.account)
        return Post(CHANNEL, bot.account, f"{bot.account}:{data['update_id']}", data)

    @staticmethod
    def reply_to(data: dict[str, Any]) -> dict[str, Any] | None:
        query = data.get("callback_query")
        return _answer(query.get("id") if isinstance(query, dict) else None)

    def unpack(self, uow: UnitOfWork, post: Post) -> None:
        """What a stored update means: a citizen's message, a group command, or nothing."""
        parsed = parse_update(post.payload, account=post.account)
        if isinstance(parsed, Private):
            messages.store_inbound(uow=uow, message=parsed.message)
        elif isinstance(parsed, GroupCommand):
            self._point_to_private_chat(uow, post.account, parsed)
        elif isinstance(parsed, GroupVoice):
            take_recording(uow=uow, config=self.config, catalogs=self.catalogs,
                           account=post.account, voice=parsed)
        else:
            logger.debug("Telegram bot %s: ignored %s", post.account, parsed.reason)

    def _point_to_private_chat(self, uow: UnitOfWork, account: str,
                               command: GroupCommand) -> None:
        """A command in a group gets a link to a private chat; no flow runs in a group. The
        bot's name was asked before the unpacking began (`learn_usernames`)."""
        username = self.client.known_username(account)
        if username:
            start = f"?start={command.payload}" if command.payload else ""
            text = self.catalogs.render(DEFAULT_LANGUAGE, say(
                "group.go_private", link=f"https://t.me/{username}{start}"))
        else:
            text = self.catalogs.render(DEFAULT_LANGUAGE, say("group.go_private_nolink"))
        if messages.store_group_message(uow=uow, channel=CHANNEL, account=account,
                                        external_id=command.external_id, chat=command.chat_id):
            messages.enqueue(uow=uow, to=messages.Recipient(CHANNEL, account, command.chat_id),
                             text=text, purpose="group_reply")


def check_update(data: Any, account: str) -> None:
    """What the webhook checks before storing: an object besides the update_id, and the whole
    update read as the worker will read it (a body it could not read is refused now, not
    stored to fail three times)."""
    if isinstance(data, dict) and not any(
            isinstance(v, dict) for k, v in data.items() if k != "update_id"):
        raise NotAnUpdate("an Update carries a message, a button press or another object")
    parse_update(data, account=account)


def _answer(callback_query_id: str | None) -> dict[str, Any] | None:
    """Every button press is answered, or the citizen's app shows a spinner."""
    if callback_query_id is None:
        return None
    return {"method": "answerCallbackQuery", "callback_query_id": callback_query_id}

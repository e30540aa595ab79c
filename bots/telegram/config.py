"""The Telegram bots of a deployment: token, webhook secret, the commune a bot serves."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

CHANNEL = "telegram"
# What Telegram allows in a webhook secret token: 1-256 of A-Z, a-z, 0-9, _ and -.
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TOKEN_SHAPE = re.compile(r"^(\d+):[A-Za-z0-9_-]{20,}$")


@dataclass(frozen=True)
class BotConfig:
    """One bot. Its account (in Palabre's records) is the bot id, the token's public part."""

    token: str
    commune: str = ""  # a commune name, code or id: onboarding skips the commune question
    webhook_secret: str = ""

    def __post_init__(self) -> None:
        if not TOKEN_SHAPE.match(self.token):
            raise ValueError("a Telegram bot token looks like 123456789:AAE… (from @BotFather)")
        if self.webhook_secret and not SECRET_SHAPE.match(self.webhook_secret):
            raise ValueError("a webhook secret is 1-256 characters of A-Z, a-z, 0-9, _ and -")

    @property
    def account(self) -> str:
        return self.token.split(":", 1)[0]

    @property
    def secret(self) -> str:
        """The secret Telegram sends with every update: configured, or derived from the token
        (so that a deployment with one variable is still protected)."""
        if self.webhook_secret:
            return self.webhook_secret
        return hmac.new(self.token.encode(), b"palabre-telegram-webhook",
                        hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TelegramConfig:
    """Every bot, where the Bot API is, and the commune groups and channels to post to."""

    bots: tuple[BotConfig, ...]
    api_url: str = "https://api.telegram.org"
    max_file_bytes: int = 20_000_000
    commune_chats: tuple[tuple[str, str], ...] = ()  # (commune, chat id or @channel)
    staff_chats: tuple[tuple[str, str], ...] = ()  # (commune, the moderators' group)

    def bot(self, account: str) -> BotConfig | None:
        return next((b for b in self.bots if b.account == account), None)

    @property
    def base_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/file/bot"


def parse_commune_chats(text: str) -> tuple[tuple[str, str], ...]:
    """'BJ-LI-COT=@mairie_cotonou, BJ-LI-COT=-1001234, Abomey-Calavi=-1005678' as pairs."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        commune, sep, chat = item.rpartition("=")
        if not sep or not commune.strip() or not chat.strip():
            raise ValueError(f"'{item}': write COMMUNE=CHAT, e.g. BJ-LI-COT=@mairie_cotonou")
        pairs.append((commune.strip(), chat.strip()))
    return tuple(pairs)

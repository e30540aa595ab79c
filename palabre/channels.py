"""The channels a deployment configures, built from settings (part of the composition root)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from bots.telegram.client import TelegramClient
from bots.telegram.config import BotConfig, TelegramConfig, parse_commune_chats
from bots.telegram.messenger import TelegramFetcher, TelegramMessenger
from bots.telegram.receiver import TelegramReceiver
from core.ports import Clock, MediaStore
from core.uow import UnitOfWork
from dialogs.i18n import Catalogs
from dialogs.pipeline import Pipeline
from palabre.settings import Settings


def telegram_config(settings: Settings) -> TelegramConfig | None:
    """Every configured bot, or None when Telegram is not set up."""
    bots: list[BotConfig] = []
    token = settings.telegram_token.get_secret_value().strip()
    if token:
        bots.append(BotConfig(token=token, commune=settings.telegram_commune.strip(),
                              webhook_secret=settings.telegram_webhook_secret
                              .get_secret_value().strip()))
    bots += _more_bots(settings.telegram_bots.get_secret_value())
    if not bots:
        return None
    accounts = [b.account for b in bots]
    if len(set(accounts)) != len(accounts):
        raise ValueError("PALABRE_TELEGRAM_BOTS: the same bot is configured twice")
    return TelegramConfig(bots=tuple(bots), api_url=settings.telegram_api_url,
                          max_file_bytes=settings.telegram_max_file_mb * 1_000_000,
                          commune_chats=parse_commune_chats(settings.telegram_commune_chats))


def _more_bots(text: str) -> list[BotConfig]:
    if not text.strip():
        return []
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("not a list")
        return [BotConfig(token=str(i["token"]).strip(), commune=str(i.get("commune", "")),
                          webhook_secret=str(i.get("webhook_secret", ""))) for i in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError('PALABRE_TELEGRAM_BOTS: a JSON list such as [{"token": "123:AA…", '
                         f'"commune": "Cotonou"}}] ({exc})') from exc


@dataclass
class TelegramChannel:
    """What the rest of Palabre needs of Telegram."""

    config: TelegramConfig
    client: TelegramClient
    messenger: TelegramMessenger
    fetcher: TelegramFetcher
    receiver: TelegramReceiver | None = None

    @classmethod
    def build(cls, config: TelegramConfig, media: MediaStore, clock: Clock) -> TelegramChannel:
        client = TelegramClient(config)
        return cls(config, client, TelegramMessenger(client, media, clock),
                   TelegramFetcher(client))

    def connect(self, *, pipeline: Pipeline, uow_factory: Callable[[], UnitOfWork],
                catalogs: Catalogs, wake: Callable[[], None]) -> None:
        self.receiver = TelegramReceiver(config=self.config, client=self.client,
                                         pipeline=pipeline, uow_factory=uow_factory,
                                         catalogs=catalogs, wake=wake)

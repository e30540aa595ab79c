"""The channels a deployment configures, built from settings (part of the composition root)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from bots.telegram.client import TelegramClient
from bots.telegram.config import CHANNEL, BotConfig, TelegramConfig, parse_commune_chats
from bots.telegram.messenger import TelegramFetcher, TelegramMessenger
from bots.telegram.receiver import TelegramReceiver
from bots.telegram.staff import StaffRecorder
from bots.whatsapp.config import CHANNEL as WHATSAPP
from bots.whatsapp.config import Sender, WhatsAppConfig, parse_templates
from bots.whatsapp.messenger import WhatsAppFetcher, WhatsAppMessenger
from bots.whatsapp.webhook import WhatsAppReceiver
from core.citizens import phones
from core.messages.contents import ContentBook
from core.messages.pace import SharedPace
from core.ports import Clock, MediaStore
from core.uow import UnitOfWork
from dialogs.i18n import Catalogs
from dialogs.pipeline import Pipeline
from palabre.settings import Settings
from transcription.voice import voice_note


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
                          commune_chats=parse_commune_chats(settings.telegram_commune_chats),
                          staff_chats=parse_commune_chats(settings.telegram_staff_chats))


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
    def build(cls, config: TelegramConfig, media: MediaStore, clock: Clock,
              pace: SharedPace | None = None) -> TelegramChannel:
        client = TelegramClient(config)
        return cls(config, client, TelegramMessenger(client, media, clock, pace),
                   TelegramFetcher(client))

    def connect(self, *, pipeline: Pipeline, uow_factory: Callable[[], UnitOfWork],
                catalogs: Catalogs, wake: Callable[[], None]) -> None:
        self.receiver = TelegramReceiver(config=self.config, client=self.client,
                                         pipeline=pipeline, uow_factory=uow_factory,
                                         catalogs=catalogs, wake=wake)
        pipeline.unpackers[CHANNEL] = self.receiver.unpack
        pipeline.warmups.append(self.client.learn_usernames)
        if self.config.staff_chats:  # moderators record the bot's messages from them
            pipeline.chores.append(StaffRecorder(uow_factory=uow_factory, fetcher=self.fetcher,
                                                 catalogs=catalogs,
                                                 voice_note=voice_note).run_once)


def whatsapp_config(settings: Settings) -> WhatsAppConfig | None:
    """The Twilio account and WhatsApp senders, or None when WhatsApp is not set up."""
    sid = settings.twilio_account_sid.strip()
    if not sid:
        return None
    token = settings.twilio_auth_token.get_secret_value().strip()
    if not sid.startswith("AC") or not token:
        raise ValueError("PALABRE_TWILIO_ACCOUNT_SID (AC…) and PALABRE_TWILIO_AUTH_TOKEN are "
                         "both needed for WhatsApp")
    senders = tuple(_sender(item, settings.whatsapp_messages_per_second)
                    for item in settings.whatsapp_senders.split(",") if item.strip())
    if not senders:
        raise ValueError("PALABRE_WHATSAPP_SENDERS: at least one sender, e.g. +14155238886")
    return WhatsAppConfig(account_sid=sid, auth_token=token, senders=senders,
                          public_url=settings.public_url.strip(),
                          api_url=settings.twilio_api_url,
                          content_url=settings.twilio_content_url,
                          buttons=settings.whatsapp_buttons,
                          templates=parse_templates(settings.whatsapp_templates),
                          max_media_bytes=settings.whatsapp_max_media_mb * 1_000_000)


def _sender(item: str, rate: float) -> Sender:
    """`+229 01 97 12 34 56=BJ-LI-COT`: a number as Twilio writes it (+ and digits), however
    it was typed (spaces, dashes, 00, no +229); an eight-digit form stays one, as Twilio may
    have registered the sender under it."""
    typed, _, commune = item.strip().partition("=")
    address = phones.e164(typed, moved=False) or typed.strip()
    return Sender(address=address, commune=commune.strip(), messages_per_second=rate)


@dataclass
class WhatsAppChannel:
    """What the rest of Palabre needs of WhatsApp."""

    config: WhatsAppConfig
    messenger: WhatsAppMessenger
    fetcher: WhatsAppFetcher
    receiver: WhatsAppReceiver | None = None

    @classmethod
    def build(cls, config: WhatsAppConfig, clock: Clock, contents: ContentBook,
              pace: SharedPace | None = None) -> WhatsAppChannel:
        return cls(config, WhatsAppMessenger(config, clock, pace=pace, contents=contents),
                   WhatsAppFetcher(config))

    def connect(self, *, pipeline: Pipeline, uow_factory: Callable[[], UnitOfWork],
                wake: Callable[[], None]) -> None:
        self.receiver = WhatsAppReceiver(config=self.config, pipeline=pipeline,
                                         uow_factory=uow_factory, wake=wake)
        pipeline.unpackers[WHATSAPP] = self.receiver.unpack


"""The composition root: settings in, a wired application out. Nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from bots.telegram.announce import PostAnnouncements, PostStaffAlerts
from core.citizens import service as citizens
from core.communes import service as communes
from core.db import make_engine
from core.events import (
    BroadcastQueued,
    ModeratorReplied,
    ModeratorsAlerted,
    SubmissionStatusChanged,
)
from core.media import DatabaseMediaStore, FileMediaStore
from core.messages.contents import ContentBook
from core.messages.delivery import release_stale_claims
from core.messages.pace import SharedPace
from core.messages.spool import Spool
from core.ports import Clock, MediaFetcher, MediaStore, Messenger, SystemClock
from core.uow import UnitOfWorkFactory
from dialogs.conversation import Engine as DialogEngine
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from dialogs.notifications import ReplyNotifier, StatusNotifier, announcement_renderer
from dialogs.pipeline import Pipeline
from dialogs.runner import DEFAULT_MAX_FILE_BYTES, Dialogs
from palabre.channels import (
    TelegramChannel,
    WhatsAppChannel,
    telegram_config,
    whatsapp_config,
)
from palabre.settings import Settings, spoken_codes
from palabre.speech import transcribes
from palabre.worker import Notifier, Wakeup

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass
class App:
    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    catalogs: Catalogs
    dialogs: Dialogs
    pipeline: Pipeline
    messengers: dict[str, Messenger] = field(default_factory=dict)
    telegram: TelegramChannel | None = None
    whatsapp: WhatsAppChannel | None = None
    # Set when a webhook stored something: the workers handle it now, not at their next round.
    wakeup: Wakeup = field(default_factory=Wakeup)
    notifier: Notifier | None = None  # PostgreSQL: tells the other processes

    def close(self) -> None:
        if self.notifier is not None:
            self.notifier.stop()
        if self.telegram is not None:
            self.telegram.client.close()
        self.engine.dispose()


def bootstrap(settings: Settings, *, clock: Clock | None = None,
              messengers: Mapping[str, Messenger] | None = None,
              bound_communes: Mapping[tuple[str, str], str] | None = None,
              fetchers: Mapping[str, MediaFetcher] | None = None) -> App:
    """Wire database, media, catalogs, dialogs and delivery for these settings."""
    engine = make_engine(settings.database_url)
    media = media_store(settings, engine)
    clock = clock or SystemClock()
    uow_factory = UnitOfWorkFactory(engine, clock=clock, media=media)
    catalogs = Catalogs.load()
    chosen = dict(messengers or {})
    fetching = dict(fetchers or {})
    config = telegram_config(settings)
    # Several processes share a PostgreSQL database: they keep the providers' limits together.
    pace = SharedPace(engine) if engine.dialect.name == "postgresql" else None
    telegram = TelegramChannel.build(config, media, clock, pace) if config else None
    if telegram is not None:
        chosen.setdefault("telegram", telegram.messenger)
        fetching.setdefault("telegram", telegram.fetcher)
    wa_config = whatsapp_config(settings)
    whatsapp = WhatsAppChannel.build(wa_config, clock, ContentBook(engine, clock.now), pace) \
        if wa_config else None
    if whatsapp is not None:
        chosen.setdefault("whatsapp", whatsapp.messenger)
        fetching.setdefault("whatsapp", whatsapp.fetcher)
    uow_factory.subscribe(SubmissionStatusChanged, StatusNotifier(catalogs))
    uow_factory.subscribe(ModeratorReplied, ReplyNotifier(catalogs))
    dialogs = Dialogs(uow_factory=uow_factory, catalogs=catalogs,
                      engine=DialogEngine(all_flows(), timeout=settings.conversation_timeout),
                      bound_communes=bound_communes, fetchers=fetching,
                      max_file_bytes=config.max_file_bytes if config else DEFAULT_MAX_FILE_BYTES,
                      transcribes=transcribes(settings),
                      min_confidence=settings.transcription_min_confidence,
                      spoken_languages=spoken_codes(settings.spoken_languages))
    pipeline = Pipeline(uow_factory=uow_factory, dialogs=dialogs, messengers=chosen,
                        max_attempts=settings.outbox_max_attempts,
                        concurrency=settings.delivery_concurrency,
                        spool=Spool(settings.spool_dir))
    if pipeline.intake.spool is not None and pipeline.intake.spool.waiting(limit=1):
        pipeline.intake.start()  # bodies kept while the database was down go in now
    app = App(settings=settings, engine=engine, uow_factory=uow_factory, catalogs=catalogs,
              dialogs=dialogs, pipeline=pipeline, messengers=chosen, telegram=telegram,
              whatsapp=whatsapp)
    # Committed work wakes this process's loops at once, and the other processes' through
    # PostgreSQL (SQLite is one process).
    uow_factory.when_work(app.wakeup.work)
    if engine.dialect.name == "postgresql":
        app.notifier = Notifier(engine)
        uow_factory.when_work(app.notifier.work)
    if telegram is not None:
        uow_factory.subscribe(BroadcastQueued, PostAnnouncements(
            telegram.config, announcement_renderer(catalogs, for_groups=True)))
        uow_factory.subscribe(ModeratorsAlerted, PostStaffAlerts(
            telegram.config, announcement_renderer(catalogs, for_groups=True)))
        telegram.connect(pipeline=pipeline, uow_factory=uow_factory, catalogs=catalogs,
                         wake=app.wakeup.set)
    if whatsapp is not None:
        whatsapp.connect(pipeline=pipeline, uow_factory=uow_factory, wake=app.wakeup.set)
    return app


def media_store(settings: Settings, engine: Engine) -> MediaStore:
    """Files in PALABRE_MEDIA_DIR, or in the database every machine shares."""
    if settings.media_store == "database":
        try:
            return DatabaseMediaStore(engine, settings.media_dir)
        except ValueError as exc:
            raise SystemExit(f"PALABRE_MEDIA_STORE: {exc}") from None
    return FileMediaStore(settings.media_dir)


def migrate(database_url: str) -> None:
    """Bring the database schema to the latest migration."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def prepare(app: App) -> None:
    """Migrate, load the communes, enable the configured ones, bind the bound channels."""
    migrate(app.settings.database_url)
    with app.uow_factory() as uow:
        added = communes.seed_reference_data(uow=uow, enable=app.settings.communes_to_enable)
        released = release_stale_claims(uow=uow)
        uow.commit()
    if added:
        logger.info("loaded %s communes from benin-geo", added)
    if released:
        logger.info("put %s interrupted deliveries back in the queue", released)
    bind_communes(app)


def bind_communes(app: App) -> None:
    """Channels bound to a commune (the console, a Telegram bot, a WhatsApp sender): their
    citizens are of that commune; every process applies it, migrating or not."""
    if app.settings.console_commune:
        _bind(app, "console", "console", app.settings.console_commune,
              "PALABRE_CONSOLE_COMMUNE")
    for bot in app.telegram.config.bots if app.telegram else ():
        if bot.commune:
            _bind(app, "telegram", bot.account, bot.commune, f"Telegram bot {bot.account}")
    for sender in app.whatsapp.config.senders if app.whatsapp else ():
        if sender.commune:
            _bind(app, "whatsapp", sender.address, sender.commune,
                  f"WhatsApp sender {sender.address}")


def _bind(app: App, channel: str, account: str, commune: str, what: str) -> None:
    """Citizens reaching this account belong to this commune (no commune question)."""
    with app.uow_factory() as uow:
        found = communes.find_commune(uow=uow, text=commune)
        if found is None:
            raise SystemExit(f"{what}: no enabled commune '{commune}'")
        settled = citizens.settle_bound_commune(uow=uow, channel=channel, account=account,
                                                commune_id=found.id)
        uow.commit()
    if settled:
        logger.info("%s citizens of %s are now of %s", settled, what, found.name)
    app.dialogs.bound_communes[(channel, account)] = found.id

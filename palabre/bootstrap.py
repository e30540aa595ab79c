"""The composition root: settings in, a wired application out. Nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from core.communes import service as communes
from core.db import make_engine
from core.events import ModeratorReplied, SubmissionStatusChanged
from core.media import FileMediaStore
from core.messages.delivery import release_stale_claims
from core.ports import Clock, MediaFetcher, Messenger, SystemClock
from core.uow import UnitOfWorkFactory
from dialogs.conversation import Engine as DialogEngine
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from dialogs.notifications import ReplyNotifier, StatusNotifier
from dialogs.pipeline import Pipeline
from dialogs.runner import Dialogs
from palabre.settings import Settings

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


def bootstrap(settings: Settings, *, clock: Clock | None = None,
              messengers: Mapping[str, Messenger] | None = None,
              bound_communes: Mapping[tuple[str, str], str] | None = None,
              fetchers: Mapping[str, MediaFetcher] | None = None) -> App:
    """Wire database, media, catalogs, dialogs and delivery for these settings."""
    engine = make_engine(settings.database_url)
    uow_factory = UnitOfWorkFactory(engine, clock=clock or SystemClock(),
                                    media=FileMediaStore(settings.media_dir))
    catalogs = Catalogs.load()
    uow_factory.subscribe(SubmissionStatusChanged, StatusNotifier(catalogs))
    uow_factory.subscribe(ModeratorReplied, ReplyNotifier(catalogs))
    dialogs = Dialogs(uow_factory=uow_factory, catalogs=catalogs,
                      engine=DialogEngine(all_flows(), timeout=settings.conversation_timeout),
                      bound_communes=bound_communes, fetchers=fetchers)
    chosen = dict(messengers or {})
    pipeline = Pipeline(uow_factory=uow_factory, dialogs=dialogs, messengers=chosen,
                        max_attempts=settings.outbox_max_attempts)
    return App(settings=settings, engine=engine, uow_factory=uow_factory, catalogs=catalogs,
               dialogs=dialogs, pipeline=pipeline, messengers=chosen)


def migrate(database_url: str) -> None:
    """Bring the database schema to the latest migration."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def prepare(app: App) -> None:
    """Migrate, load the communes, enable the configured ones, bind the console if asked."""
    migrate(app.settings.database_url)
    with app.uow_factory() as uow:
        added = communes.seed_reference_data(uow=uow, enable=app.settings.communes_to_enable)
        released = release_stale_claims(uow=uow)
        uow.commit()
    if added:
        logger.info("loaded %s communes from benin-geo", added)
    if released:
        logger.info("put %s interrupted deliveries back in the queue", released)
    if app.settings.console_commune:
        with app.uow_factory() as uow:
            found = communes.find_commune(uow=uow, text=app.settings.console_commune)
        if found is None:
            raise SystemExit(f"PALABRE_CONSOLE_COMMUNE: no enabled commune "
                             f"'{app.settings.console_commune}'")
        app.dialogs.bound_communes[("console", "console")] = found.id

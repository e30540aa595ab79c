"""The broadcast to deliver: citizens of Cotonou on Telegram, and one urgent announcement
created and queued through Palabre's own code (`core.broadcasts.service.create`, then
`palabre.scheduler.queue_due_broadcasts`); and what the outbox holds as it goes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import Engine, insert, select, text

from core.broadcasts import service as broadcasts
from core.broadcasts.service import NewBroadcast
from core.citizens.models import ChannelIdentity, Citizen
from palabre.bootstrap import bootstrap, prepare
from palabre.scheduler import queue_due_broadcasts
from palabre.settings import Settings

TOKEN = "123456789:AAH-bench-token-not-a-real-bot_000"
BOT = TOKEN.split(":")[0]
COMMUNE = "BJ-LI-COT"
FIRST_CHAT = 700_000_000
ANNOUNCEMENT = "Coupure d'eau demain de 8 h à 14 h dans tout Cotonou. Prévoyez des réserves."


@dataclass(frozen=True)
class Deployment:
    """What a sender process needs to build the same application as the bench."""

    database_url: str
    media: str
    api_url: str
    broadcast_id: int = 0

    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, media_dir=Path(self.media),
                        telegram_token=SecretStr(TOKEN), telegram_api_url=self.api_url,
                        transcription_routes="", console_commune="", log_level="WARNING",
                        _env_file=None)  # type: ignore[call-arg]


def set_up(deployment: Deployment, messages: int) -> tuple[Deployment, list[str]]:
    """Migrate, add the citizens, create and queue the broadcast; its id and the chat ids."""
    app = bootstrap(deployment.settings())
    try:
        prepare(app)
        chats = add_citizens(app.engine, messages)
        with app.uow_factory() as uow:
            broadcast = broadcasts.create(uow=uow, new=NewBroadcast(
                commune_id=COMMUNE, text=ANNOUNCEMENT, created_by="bench", urgent=True))
            uow.commit()
        queue_due_broadcasts(app)
        assert broadcast.id is not None
        return Deployment(deployment.database_url, deployment.media, deployment.api_url,
                          broadcast.id), chats
    finally:
        app.close()


def add_citizens(engine: Engine, count: int) -> list[str]:
    """`count` consenting French-speaking citizens of Cotonou, each with a Telegram chat."""
    now = datetime.now(UTC)
    chats = [str(FIRST_CHAT + n) for n in range(count)]
    citizen, identity = Citizen.__table__, ChannelIdentity.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(insert(citizen), [
            {"language": "fr", "commune_id": COMMUNE, "consent_at": now, "created_at": now,
             "last_seen_at": now, "broadcast_opt_out": False, "blocked": False}
            for _ in chats])
        ids = connection.execute(select(citizen.c.id).order_by(citizen.c.id)).scalars().all()
        connection.execute(insert(identity), [
            {"citizen_id": citizen_id, "channel": "telegram", "address": chat, "account": BOT,
             "unreachable": False, "created_at": now, "last_inbound_at": now}
            for citizen_id, chat in zip(ids, chats, strict=True)])
    return chats


def statuses(engine: Engine, broadcast_id: int) -> Counter[str]:
    """How many of the broadcast's outbox messages are in each status."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT status, count(*) FROM outbound_message WHERE broadcast_id = :b "
            "GROUP BY status"), {"b": broadcast_id}).all()
    return Counter({status: int(count) for status, count in rows})


def sending(engine: Engine, broadcast_id: int) -> set[int]:
    """The ids of the broadcast's messages claimed by a sender and not yet recorded."""
    with engine.connect() as connection:
        return set(connection.execute(text(
            "SELECT id FROM outbound_message WHERE broadcast_id = :b AND status = 'sending'"),
            {"b": broadcast_id}).scalars())


def waiting(counts: Counter[str]) -> int:
    """Messages not yet handed to Telegram (nor given up)."""
    return counts["pending"] + counts["sending"] + counts["held"]


"""Posts to a commune's Telegram groups and channels, through the outbox (so the group limits
and retries apply): announcements and live council updates to the public ones, alerts to the
moderators' own group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bots.telegram.config import CHANNEL, TelegramConfig
from core.broadcasts.models import Audience, Broadcast
from core.broadcasts.service import message_of
from core.communes import service as communes
from core.events import BroadcastQueued, ModeratorsAlerted
from core.messages import service as messages
from core.moderation.models import Alert
from core.uow import UnitOfWork


def commune_chats(*, uow: UnitOfWork, config: TelegramConfig, commune_id: str,
                  staff: bool = False) -> list[str]:
    """The configured chats of this commune (the setting may name it by name or code): its
    public groups and channels, or with `staff` its moderators' groups."""
    chats = []
    for named, chat in config.staff_chats if staff else config.commune_chats:
        found = communes.find_commune(uow=uow, text=named)
        if found is not None and found.id == commune_id:
            chats.append(chat)
    return chats


def announce(*, uow: UnitOfWork, config: TelegramConfig, commune_id: str, text: str,
             purpose: str = "announcement", media_path: str | None = None,
             staff: bool = False) -> int:
    """Queue the text for every (public, or with `staff` moderators') chat of the commune,
    from the bot bound to it (else the first bot); how many messages were queued."""
    account = next((b.account for b in config.bots if b.commune and _is(uow, b.commune,
                                                                      commune_id)),
                   config.bots[0].account)
    chats = commune_chats(uow=uow, config=config, commune_id=commune_id, staff=staff)
    for chat in chats:
        messages.enqueue(uow=uow, to=messages.Recipient(CHANNEL, account, chat), text=text,
                         purpose=purpose, media_path=media_path)
    return len(chats)


def _is(uow: UnitOfWork, named: str, commune_id: str) -> bool:
    found = communes.find_commune(uow=uow, text=named)
    return found is not None and found.id == commune_id


class PostAnnouncements:
    """Event handler: an announcement to a whole commune also goes to its Telegram groups and
    channels (in French, the language of the mairie's public posts)."""

    def __init__(self, config: TelegramConfig,
                 render: Callable[[str | None, str, str, dict[str, Any]], str]) -> None:
        self.config = config
        self.render = render

    def __call__(self, event: BroadcastQueued, uow: UnitOfWork) -> None:
        broadcast = uow.session.get_one(Broadcast, event.broadcast_id)
        if broadcast.audience != Audience.COMMUNE and not broadcast.commune_chats:
            return  # a part of the commune: not for everyone's groups
        commune = communes.get_commune(uow=uow, commune_id=broadcast.commune_id)
        name = commune.name if commune else broadcast.commune_id
        announce(uow=uow, config=self.config, commune_id=broadcast.commune_id,
                 text=self.render(None, name, *message_of(broadcast)),
                 media_path=broadcast.media_path)


class PostStaffAlerts:
    """Event handler: an alert for moderators (submissions left untriaged, a problem a citizen
    says is not solved) goes to the commune's staff Telegram groups, in French."""

    def __init__(self, config: TelegramConfig,
                 render: Callable[[str | None, str, str, dict[str, Any]], str]) -> None:
        self.config = config
        self.render = render

    def __call__(self, event: ModeratorsAlerted, uow: UnitOfWork) -> None:
        alert = uow.session.get_one(Alert, event.alert_id)
        commune = communes.get_commune(uow=uow, commune_id=alert.commune_id)
        name = commune.name if commune else alert.commune_id
        references = ", ".join(alert.references)
        more = int(alert.params.get("count", 0)) - len(alert.references)
        if more > 0:
            references += f" (+{more})"
        announce(uow=uow, config=self.config, commune_id=alert.commune_id, staff=True,
                 purpose="alert", text=self.render(None, name, f"staff.{alert.kind}",
                                                   {**alert.params, "references": references}))

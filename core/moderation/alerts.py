"""Alerts for moderators: raised by Palabre (untriaged submissions past the delay, a citizen
reopening a resolved one), read in the admin API's feed with an unseen count per moderator,
and posted to the commune's staff chats by the channels that listen for `ModeratorsAlerted`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select, update

from core.events import ModeratorsAlerted
from core.moderation.models import Alert, AlertKind, Moderator
from core.moderation.service import communes_visible_to
from core.uow import UnitOfWork

MAX_REFERENCES = 50  # an alert names at most this many submissions (the feed says how many)


def raise_alert(*, uow: UnitOfWork, commune_id: str, kind: AlertKind,
                references: Sequence[str], **params: Any) -> Alert:
    """Record an alert for the commune's moderators and tell the channels."""
    alert = Alert(commune_id=commune_id, kind=kind, references=list(references[:MAX_REFERENCES]),
                  params={"count": len(references), **params}, created_at=uow.clock.now())
    uow.session.add(alert)
    uow.session.flush()
    assert alert.id is not None
    uow.publish(ModeratorsAlerted(alert_id=alert.id))
    return alert


def feed(*, uow: UnitOfWork, moderator: Moderator, after: int = 0,
         limit: int = 50) -> list[Alert]:
    """The alerts of the communes this moderator sees, newest first, older than `after`
    when given (a cursor: the last id of the previous page)."""
    query = _visible(select(Alert), moderator)
    if after:
        query = query.where(col(Alert.id) < after)
    return list(uow.session.exec(query.order_by(col(Alert.id).desc()).limit(limit)).all())


def unseen(*, uow: UnitOfWork, moderator: Moderator) -> int:
    query = _visible(select(func.count()).select_from(Alert), moderator)
    return int(uow.session.exec(query.where(col(Alert.id) > moderator.alerts_seen_up_to))
               .one())


def mark_seen(*, uow: UnitOfWork, moderator: Moderator, up_to: int) -> None:
    """Everything up to this alert is seen: never past the newest one this moderator can
    see (alerts to come stay unseen), never back (two tabs may say it out of order)."""
    newest = uow.session.exec(_visible(select(func.max(Alert.id)), moderator)).one() or 0
    wanted = min(up_to, int(newest))
    uow.session.exec(update(Moderator).where(
        col(Moderator.id) == moderator.id, col(Moderator.alerts_seen_up_to) < wanted)
        .values(alerts_seen_up_to=wanted))
    uow.session.refresh(moderator)


def _visible(query: Any, moderator: Moderator) -> Any:
    communes = communes_visible_to(moderator)
    return query if communes is None else query.where(col(Alert.commune_id).in_(communes))

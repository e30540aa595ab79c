"""Announcements: created for an audience, queued into the outbox at their time (each citizen
once, on the channel they use, opted-out and blocked citizens left out), followed by the
statuses of their messages. Quiet hours hold non-urgent ones until morning (core/messages/
delivery.py asks `quiet_until`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import false, func, insert
from sqlmodel import col, select

from core import errors
from core.broadcasts.models import Audience, Broadcast, BroadcastStatus, Subscription
from core.citizens.models import ChannelIdentity, Citizen
from core.communes.models import Arrondissement, Commune
from core.events import BroadcastQueued
from core.messages.models import OutboundStatus, OutboxRecord
from core.submissions.models import Submission
from core.uow import DELIVERIES, UnitOfWork

LOCAL_TZ = ZoneInfo("Africa/Porto-Novo")
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(7, 0)  # local time: no announcements between
MAX_TEXT = 3000
PURPOSE = "announcement"
# Renders an announcement for one citizen: (language, commune name, catalog key, parameters)
Render = Callable[[str | None, str, str, dict[str, Any]], str]
TEXT_KEY = "broadcast.text"  # the mairie's own words, framed
# Whether the mairie's own words reach this identity at that moment, or only a registered
# template does (WhatsApp past its 24 hours): the channels' rule, given by the composition root.
FreeText = Callable[[ChannelIdentity, datetime], bool]


@dataclass(frozen=True)
class NewBroadcast:
    commune_id: str
    text: str
    created_by: str
    audience: Audience = Audience.COMMUNE
    arrondissement_id: str | None = None
    topic: str | None = None
    send_at: datetime | None = None  # None: now
    urgent: bool = False
    key: str | None = None  # a message of Palabre's, rendered per citizen (then text is a summary)
    params: dict[str, Any] = field(default_factory=dict)
    commune_chats: bool = False
    purpose: str = PURPOSE  # council_reminder: WhatsApp's template for it outside 24 hours
    media_path: str | None = None  # a photo with it, in the media store
    media_url: str | None = None  # where it is served publicly (for WhatsApp)


@dataclass(frozen=True)
class Progress:
    """Where a broadcast's messages are: waiting (incl. quiet hours), sent, delivered, failed."""

    recipients: int
    waiting: int
    sent: int
    delivered: int
    failed: int


@dataclass(frozen=True)
class Reach:
    """Who an announcement would reach if it were sent as it stands, shown before sending."""

    recipients: int
    by_channel: dict[str, int]  # "telegram": 120, "whatsapp": 80…
    template_only: int  # reached only through a template when it goes (WhatsApp's 24 hours)
    opted_out: int  # in the audience, but asked for no announcements (STOP)
    asked_at: datetime  # when it was asked to go
    starts_at: datetime  # when its first message goes (quiet hours hold a non-urgent one)


def reach(*, uow: UnitOfWork, new: NewBroadcast, free_text: FreeText | None = None) -> Reach:
    """What `create` would do with `new`, without doing it; refused for the same reasons.
    `free_text` says who the words reach as they are (everyone, when not given)."""
    now = uow.clock.now()
    send_at = new.send_at or now
    _check(uow, new, send_at, now)
    draft = _draft(new, send_at, now)
    starts_at = send_at if new.urgent else (quiet_until(send_at) or send_at)
    by_channel: dict[str, int] = {}
    template_only = 0
    for identity, _language in _audience(uow, draft):
        by_channel[identity.channel] = by_channel.get(identity.channel, 0) + 1
        if free_text is not None and not free_text(identity, starts_at):
            template_only += 1
    opted_out = uow.session.exec(select(func.count()).select_from(
        _citizens(draft, opted_out=True).subquery())).one()
    return Reach(recipients=sum(by_channel.values()), by_channel=dict(sorted(
        by_channel.items())), template_only=template_only, opted_out=int(opted_out),
        asked_at=send_at, starts_at=starts_at)


def create(*, uow: UnitOfWork, new: NewBroadcast) -> Broadcast:
    """Schedule an announcement; refused when its text, time or audience make no sense."""
    now = uow.clock.now()
    send_at = new.send_at or now
    _check(uow, new, send_at, now)
    broadcast = _draft(new, send_at, now)
    broadcast.recipients = len(_audience(uow, broadcast))
    if broadcast.recipients == 0 and not new.commune_chats:
        raise errors.Invalid("Nobody would receive this announcement: the audience is empty "
                             "(or everyone in it opted out).", field="audience",
                             reason="audience_empty")
    uow.session.add(broadcast)
    uow.session.flush()
    return broadcast


def _draft(new: NewBroadcast, send_at: datetime, now: datetime) -> Broadcast:
    return Broadcast(commune_id=new.commune_id, audience=new.audience,
                     arrondissement_id=new.arrondissement_id, topic=new.topic,
                     text=new.text.strip(), send_at=send_at, urgent=new.urgent,
                     key=new.key, params=dict(new.params), commune_chats=new.commune_chats,
                     purpose=new.purpose, media_path=new.media_path,
                     media_url=new.media_url, created_by=new.created_by[:80], created_at=now)


def _check(uow: UnitOfWork, new: NewBroadcast, send_at: datetime, now: datetime) -> None:
    text = new.text.strip()
    if not text or len(text) > MAX_TEXT:
        raise errors.Invalid(f"The text must have 1 to {MAX_TEXT} characters.", field="text",
                             reason="text_length")
    if send_at.tzinfo is None:
        raise errors.Invalid("send_at needs a time zone, e.g. 2026-12-01T08:00:00+01:00.",
                             field="send_at", reason="send_at_zone")
    if send_at < now - timedelta(minutes=1):
        raise errors.Invalid("send_at is in the past.", field="send_at", reason="send_at_past")
    if new.audience == Audience.ARRONDISSEMENT:
        found = uow.session.get(Arrondissement, new.arrondissement_id or "")
        if found is None or found.commune_id != new.commune_id:
            raise errors.Invalid("arrondissement_id must be an arrondissement of the commune.",
                                 field="arrondissement_id", reason="arrondissement")
    if new.audience == Audience.TOPIC and not (new.topic or "").strip():
        raise errors.Invalid("A topic audience needs its topic (e.g. council).", field="topic",
                             reason="topic")


def cancel(*, uow: UnitOfWork, broadcast_id: int) -> Broadcast:
    """Cancel an announcement not sent yet; its messages still waiting are cancelled too."""
    broadcast = get(uow=uow, broadcast_id=broadcast_id)
    if broadcast.status == BroadcastStatus.CANCELLED:
        return broadcast
    broadcast.status = BroadcastStatus.CANCELLED
    uow.session.add(broadcast)
    waiting = uow.session.exec(select(OutboxRecord).where(
        OutboxRecord.broadcast_id == broadcast_id,
        col(OutboxRecord.status).in_((OutboundStatus.PENDING, OutboundStatus.HELD))))
    for record in waiting:
        record.status = OutboundStatus.CANCELLED
        uow.session.add(record)
    return broadcast


def get(*, uow: UnitOfWork, broadcast_id: int) -> Broadcast:
    found = uow.session.get(Broadcast, broadcast_id)
    if found is None:
        raise errors.NotFound(f"No broadcast {broadcast_id}.")
    return found


def queue_due(*, uow: UnitOfWork, render: Render, limit: int = 10) -> int:
    """Put the messages of every announcement whose time has come into the outbox (the
    audience as it is now); how many announcements were queued (one that fails is marked
    `failed` and logged). Each is claimed first (its row locked; on PostgreSQL another
    process's run skips it, then finds it queued): run twice at once, it is queued once."""
    due = uow.session.exec(select(Broadcast).where(
        Broadcast.status == BroadcastStatus.SCHEDULED,
        col(Broadcast.send_at) <= uow.clock.now()).order_by(col(Broadcast.send_at))
        .limit(limit).with_for_update(skip_locked=True)).all()
    queued = 0
    for broadcast in due:  # one that cannot be queued is marked failed, never blocks the rest
        if uow.attempt(partial(_queue, uow, broadcast, render),
                       f"queueing broadcast {broadcast.id}", failed=False):
            queued += 1
        else:
            broadcast.status = BroadcastStatus.FAILED
            uow.session.add(broadcast)
    return queued


def _queue(uow: UnitOfWork, broadcast: Broadcast, render: Render) -> bool:
    now = uow.clock.now()
    commune = uow.session.get_one(Commune, broadcast.commune_id)
    hints = {"urgent": "1"} if broadcast.urgent else {}
    if broadcast.media_url:
        hints["public_media_url"] = broadcast.media_url
    rows: list[dict[str, object]] = [{"citizen_id": identity.citizen_id, "identity_id": identity.id,
             "channel": identity.channel, "account": identity.account,
             "address": identity.address, "purpose": broadcast.purpose,
             "text": render(language, commune.name, *message_of(broadcast)), "choices": [],
             "media_path": broadcast.media_path,
             "hints": hints, "status": OutboundStatus.PENDING, "attempts": 0,
             "next_attempt_at": now, "created_at": now, "broadcast_id": broadcast.id}
            for identity, language in _audience(uow, broadcast)]
    if rows:
        uow.session.execute(insert(OutboxRecord), rows)
        uow.wake_workers(DELIVERIES)
    broadcast.status, broadcast.recipients, broadcast.queued_at = (
        BroadcastStatus.QUEUED, len(rows), now)
    uow.session.add(broadcast)
    assert broadcast.id is not None
    uow.publish(BroadcastQueued(broadcast_id=broadcast.id))
    return True


def message_of(broadcast: Broadcast) -> tuple[str, dict[str, Any]]:
    """The catalog key and parameters an announcement is rendered with."""
    if broadcast.key:
        return broadcast.key, dict(broadcast.params)
    return TEXT_KEY, {"text": broadcast.text}


def _audience(uow: UnitOfWork,
              broadcast: Broadcast) -> list[tuple[ChannelIdentity, str | None]]:
    """Who receives it, each once, on the channel they last wrote from."""
    citizens = _citizens(broadcast)
    rows = uow.session.exec(
        select(ChannelIdentity, Citizen.language)
        .join(Citizen, col(Citizen.id) == col(ChannelIdentity.citizen_id))
        .where(col(ChannelIdentity.citizen_id).in_(citizens),
               col(ChannelIdentity.unreachable).is_(False))
        .order_by(col(ChannelIdentity.citizen_id),
                  col(ChannelIdentity.last_inbound_at).desc().nulls_last()))
    return list(_first_per_citizen(rows))


def _citizens(broadcast: Broadcast, *, opted_out: bool = False) -> Any:
    """The ids of the audience's citizens (blocked ones never); with `opted_out`, those of
    them who asked for no announcements instead of the others. A topic's followers are all
    in: following it is their consent to its news, given since their last STOP (which ends
    every follow)."""
    citizens = select(Citizen.id).where(Citizen.commune_id == broadcast.commune_id,
                                        col(Citizen.blocked).is_(False))
    if broadcast.audience != Audience.TOPIC:
        citizens = citizens.where(col(Citizen.broadcast_opt_out).is_(opted_out))
    elif opted_out:
        citizens = citizens.where(false())
    if broadcast.audience == Audience.ARRONDISSEMENT:
        reported = select(Submission.citizen_id).where(
            Submission.arrondissement_id == broadcast.arrondissement_id)
        citizens = citizens.where(col(Citizen.id).in_(reported))
    elif broadcast.audience == Audience.TOPIC:
        following = select(Subscription.citizen_id).where(Subscription.topic == broadcast.topic)
        citizens = citizens.where(col(Citizen.id).in_(following))
    return citizens


def _first_per_citizen(rows: Iterable[tuple[ChannelIdentity, str | None]],
                       ) -> Iterable[tuple[ChannelIdentity, str | None]]:
    seen: set[int] = set()
    for identity, language in rows:
        if identity.citizen_id not in seen:
            seen.add(identity.citizen_id)
            yield identity, language


def progress(*, uow: UnitOfWork, broadcast_id: int) -> Progress:
    """How far its messages got, from the outbox and the providers' delivery reports."""
    broadcast = get(uow=uow, broadcast_id=broadcast_id)
    counts = dict(uow.session.exec(
        select(OutboxRecord.status, func.count()).where(
            OutboxRecord.broadcast_id == broadcast_id).group_by(
            col(OutboxRecord.status))).all())
    waiting = sum(counts.get(s, 0) for s in (OutboundStatus.PENDING, OutboundStatus.SENDING,
                                             OutboundStatus.HELD))
    delivered = sum(counts.get(s, 0) for s in (OutboundStatus.DELIVERED, OutboundStatus.READ))
    failed = sum(counts.get(s, 0) for s in (OutboundStatus.FAILED, OutboundStatus.UNDELIVERED,
                                            OutboundStatus.CANCELLED))
    return Progress(recipients=broadcast.recipients, waiting=waiting,
                    sent=counts.get(OutboundStatus.SENT, 0), delivered=delivered, failed=failed)


def subscribe(*, uow: UnitOfWork, citizen_id: int, topic: str) -> bool:
    """Follow a topic; False when already following."""
    exists = uow.session.exec(select(Subscription).where(
        Subscription.citizen_id == citizen_id, Subscription.topic == topic)).first()
    if exists is not None:
        return False
    uow.session.add(Subscription(citizen_id=citizen_id, topic=topic[:64],
                                 created_at=uow.clock.now()))
    return True


def unsubscribe(*, uow: UnitOfWork, citizen_id: int, topic: str) -> bool:
    found = uow.session.exec(select(Subscription).where(
        Subscription.citizen_id == citizen_id, Subscription.topic == topic)).first()
    if found is None:
        return False
    uow.session.delete(found)
    return True


def quiet_until(now: datetime) -> datetime | None:
    """During quiet hours (21:00-07:00 in Benin), when they end; None outside them."""
    local = now.astimezone(LOCAL_TZ)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    morning = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(morning, QUIET_UNTIL, tzinfo=LOCAL_TZ).astimezone(now.tzinfo)

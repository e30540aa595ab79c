"""Citizens: recognising them on a channel, updating their profile, erasing their data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select, update

from core.broadcasts.models import Subscription
from core.citizens import phones
from core.citizens.models import ChannelIdentity, Citizen
from core.conversations.models import Conversation
from core.messages.models import Attachment, InboundRecord, OutboundStatus, OutboxRecord
from core.submissions.models import Submission
from core.uow import UnitOfWork

# A citizen's last message is written this often at most, not at every message of a
# conversation: an UPDATE less per turn. An identity's is read for WhatsApp's 24-hour window,
# which it then closes at most this early; a citizen's for retention, counted in months.
INBOUND_WRITTEN_EVERY = timedelta(minutes=1)
SEEN_WRITTEN_EVERY = timedelta(hours=1)
PROFILE_FIELDS = frozenset({"language", "spoken_language", "commune_id", "consent_at",
                            "gender", "age_band", "disability", "broadcast_opt_out",
                            "display_name", "voice_data_consent_at"})


def identify(*, uow: UnitOfWork, channel: str, address: str, account: str = "",
             display_name: str | None = None, seen_at: datetime | None = None,
             ) -> ChannelIdentity:
    """The identity for this channel address, creating the citizen on first contact."""
    now = seen_at or uow.clock.now()
    query = select(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                          ChannelIdentity.address == address)
    identity = uow.session.exec(query).first() \
        or _under_another_form(uow, channel=channel, address=address) \
        or _first_contact(uow, channel=channel, address=address, display_name=display_name)
    identity.account = account or identity.account
    identity.display_name = display_name or identity.display_name
    if _older(identity.last_inbound_at, now, INBOUND_WRITTEN_EVERY):
        identity.last_inbound_at = now
    identity.unreachable = False
    uow.session.add(identity)  # written only when something changed
    uow.session.flush()
    return identity


def seen(*, uow: UnitOfWork, citizen: Citizen) -> None:
    """The citizen wrote: when they were last heard (what retention counts, in months)."""
    now = uow.clock.now()
    if _older(citizen.last_seen_at, now, SEEN_WRITTEN_EVERY):
        citizen.last_seen_at = now
        uow.session.add(citizen)


def _older(then: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether a time kept at this precision must be written again."""
    return then is None or not timedelta(0) <= now - then < every


def _under_another_form(uow: UnitOfWork, *, channel: str,
                        address: str) -> ChannelIdentity | None:
    """The identity known under another form of the same number (Benin's eight-digit and
    ten-digit forms, core/citizens/phones.py), which now writes from this one: it answers
    here from now on, what waits to be sent to it too."""
    twins = phones.twins(address)
    if not twins:
        return None
    identity = uow.session.exec(select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, col(ChannelIdentity.address).in_(twins))).first()
    if identity is None:
        return None
    identity.address = address
    uow.session.add(identity)
    uow.session.exec(update(OutboxRecord).where(
        col(OutboxRecord.identity_id) == identity.id,
        col(OutboxRecord.status).in_((OutboundStatus.PENDING, OutboundStatus.HELD)))
        .values(address=address))
    return identity


def _first_contact(uow: UnitOfWork, *, channel: str, address: str,
                   display_name: str | None) -> ChannelIdentity:
    """A new citizen and identity; if another process made them meanwhile, theirs."""
    now = uow.clock.now()
    try:
        with uow.session.begin_nested():
            citizen = Citizen(created_at=now, display_name=display_name)
            uow.session.add(citizen)
            uow.session.flush()
            assert citizen.id is not None
            identity = ChannelIdentity(citizen_id=citizen.id, channel=channel, address=address,
                                       created_at=now)
            uow.session.add(identity)
        return identity
    except IntegrityError:
        query = select(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                              ChannelIdentity.address == address)
        return uow.session.exec(query).one()


def get_citizen(*, uow: UnitOfWork, citizen_id: int) -> Citizen | None:
    return uow.session.get(Citizen, citizen_id)


def update_profile(*, uow: UnitOfWork, citizen_id: int, changes: dict[str, Any]) -> Citizen:
    """Set profile fields the citizen chose (language, commune, consent, inclusion data…)."""
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    citizen = uow.session.get_one(Citizen, citizen_id)
    stopping = changes.get("broadcast_opt_out") is True and not citizen.broadcast_opt_out
    for name, value in changes.items():
        setattr(citizen, name, value)
    uow.session.add(citizen)
    if stopping:
        stop_announcements(uow=uow, citizen=citizen)
    return citizen


def stop_announcements(*, uow: UnitOfWork, citizen: Citizen) -> None:
    """STOP: no more announcements, and no more news of what the citizen followed (the
    council, projects). Following something again later is their consent for that topic."""
    citizen.broadcast_opt_out = True
    uow.session.add(citizen)
    uow.session.execute(delete(Subscription).where(col(Subscription.citizen_id) == citizen.id))


def belong_to(*, uow: UnitOfWork, citizen: Citizen, commune_id: str) -> None:
    """The citizen wrote through a channel bound to this commune: they are of it."""
    if citizen.commune_id != commune_id:
        citizen.commune_id = commune_id
        uow.session.add(citizen)


def settle_bound_commune(*, uow: UnitOfWork, channel: str, account: str,
                         commune_id: str) -> int:
    """Citizens last heard through a bound account who have no commune yet are of its commune
    (those stored before bound channels recorded it); how many."""
    heard_there = select(ChannelIdentity.citizen_id).where(
        ChannelIdentity.channel == channel, ChannelIdentity.account == account)
    result = uow.session.exec(update(Citizen).where(
        col(Citizen.commune_id).is_(None), col(Citizen.id).in_(heard_there))
        .values(commune_id=commune_id))
    return int(result.rowcount or 0)


def identities_of(*, uow: UnitOfWork, citizen_id: int) -> list[ChannelIdentity]:
    query = (select(ChannelIdentity).where(ChannelIdentity.citizen_id == citizen_id)
             .order_by(col(ChannelIdentity.last_inbound_at).desc().nulls_last()))
    return list(uow.session.exec(query).all())


def reachable_identity(*, uow: UnitOfWork, citizen_id: int,
                       preferred: int | None = None) -> ChannelIdentity | None:
    """The identity to write to: the one the citizen wrote from last (a citizen on two
    channels hears where they are now); the preferred one (the channel a submission came
    from) when no other wrote after it."""
    query = (select(ChannelIdentity)
             .where(ChannelIdentity.citizen_id == citizen_id,
                    col(ChannelIdentity.unreachable).is_(False))
             .order_by(col(ChannelIdentity.last_inbound_at).desc().nulls_last(),
                       col(ChannelIdentity.id)))
    reachable = list(uow.session.exec(query).all())
    latest = reachable[0] if reachable else None
    chosen = next((i for i in reachable if i.id == preferred), None)
    if chosen is not None and latest is not None and (
            latest.last_inbound_at is None or chosen.last_inbound_at == latest.last_inbound_at):
        return chosen
    return latest


@dataclass(frozen=True)
class DataSummary:
    """What Palabre keeps about a citizen, as they may ask to see it."""

    citizen: Citizen
    identities: list[ChannelIdentity]
    messages: int
    submissions: int


SYSTEM_KINDS = ("transcript", "invite")  # records Palabre puts in a citizen's conversation


def data_summary(*, uow: UnitOfWork, citizen_id: int) -> DataSummary:
    count = func.count()
    sent = select(count).select_from(InboundRecord).where(  # not Palabre's own records
        InboundRecord.citizen_id == citizen_id,
        col(InboundRecord.kind).not_in(SYSTEM_KINDS))
    filed = select(count).select_from(Submission).where(Submission.citizen_id == citizen_id)
    return DataSummary(citizen=uow.session.get_one(Citizen, citizen_id),
                       identities=identities_of(uow=uow, citizen_id=citizen_id),
                       messages=int(uow.session.exec(sent).one()),
                       submissions=int(uow.session.exec(filed).one()))


def _messages_of(citizen_id: int) -> ColumnElement[bool]:
    """Messages the citizen sent: handled ones name them; ones not handled yet carry one of
    their channel addresses."""
    theirs = exists().where(col(ChannelIdentity.citizen_id) == citizen_id,
                            col(ChannelIdentity.channel) == col(InboundRecord.channel),
                            col(ChannelIdentity.address) == col(InboundRecord.address))
    return or_(col(InboundRecord.citizen_id) == citizen_id,
               and_(col(InboundRecord.identity_id).is_(None), theirs))


def erase_citizen(*, uow: UnitOfWork, citizen_id: int) -> None:
    """Delete a citizen's personal data; their submissions stay, anonymous, without voice notes
    (nor their transcripts).

    Messages they sent are deleted with their files; pending messages to them are kept (the
    confirmation of the erasure is one of them) but no longer point to them.
    """
    session = uow.session
    own = select(Submission.id).where(Submission.citizen_id == citizen_id)
    voices = session.exec(select(Attachment).where(
        col(Attachment.submission_id).in_(own), col(Attachment.kind).in_(("voice", "audio")))).all()
    mine = _messages_of(citizen_id)
    inbound_ids = select(InboundRecord.id).where(mine)
    loose = session.exec(select(Attachment).where(col(Attachment.inbound_id).in_(inbound_ids),
                                                  col(Attachment.submission_id).is_(None))).all()
    doomed = [*voices, *loose]
    for attachment in doomed:
        session.delete(attachment)
    session.flush()
    for path in {a.path for a in doomed}:
        still_used = select(Attachment.id).where(Attachment.path == path)
        if session.exec(still_used).first() is None:  # files are shared by content hash
            uow.after_commit(partial(uow.media.delete, path))
    session.exec(update(Submission).where(col(Submission.citizen_id) == citizen_id)
                 .values(citizen_id=None, identity_id=None, anonymous=True,
                         voice_text=""))  # their voice notes go, and what they said
    session.exec(update(OutboxRecord).where(col(OutboxRecord.citizen_id) == citizen_id)
                 .values(citizen_id=None, identity_id=None))
    session.exec(update(Attachment).where(col(Attachment.inbound_id).in_(inbound_ids))
                 .values(inbound_id=None))
    session.exec(update(OutboxRecord).where(col(OutboxRecord.in_reply_to).in_(inbound_ids))
                 .values(in_reply_to=None))
    session.exec(delete(InboundRecord).where(mine))
    session.exec(delete(Conversation).where(col(Conversation.citizen_id) == citizen_id))
    session.exec(delete(ChannelIdentity).where(col(ChannelIdentity.citizen_id) == citizen_id))
    session.flush()
    session.delete(session.get_one(Citizen, citizen_id))
    session.flush()

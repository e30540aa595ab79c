"""One citizen on several channels: a short code asked for on one channel and sent from the
other makes both identities one citizen.

The code is six digits, lives ten minutes, serves once, and is the citizen's only live code
(asking again voids the last). An identity that sends wrong codes is stopped after five in an
hour: with codes that short-lived, guessing one would take a hundred thousand identities.

The citizen who sends the code keeps their record and takes in the other: submissions,
follows, supports, subscriptions, survey answers (the completed set when both began one),
messages and conversations all become theirs; a profile field they have not set comes from the
other, but an opt-out or a consent withdrawn on either side holds. Both identities stay, each on its
channel; Palabre answers on the one the citizen wrote from last.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, func, select, update

from core.broadcasts.models import Subscription
from core.citizens.models import ChannelIdentity, Citizen, LinkCode, LinkTry
from core.citizens.service import PROFILE_FIELDS
from core.conversations.models import Conversation
from core.council.models import CouncilQuestion
from core.errors import AlreadyLinked, LinkCodeUnknown, LinkSameIdentity, LinkTriedTooOften
from core.messages.models import InboundRecord, OutboxRecord
from core.submissions.models import Follower, FollowUp, Submission, Support
from core.surveys.models import SurveyResponse
from core.transcripts.models import Transcription
from core.uow import UnitOfWork

CODE_LIFETIME = timedelta(minutes=10)
WRONG_TRIES = 5  # wrong codes an identity may send in TRIES_WINDOW
TRIES_WINDOW = timedelta(hours=1)
DIGITS = 6
CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", "console": "console"}
# Rows that name their citizen, each with the column a merge moves; those where the citizen
# may appear once per item keep the survivor's (the absorbed one's duplicate goes).
MOVED = (Submission, FollowUp, InboundRecord, OutboxRecord, Transcription, CouncilQuestion)
ONCE_PER = ((Follower, "submission_id"), (Support, "submission_id"),
            (Subscription, "topic"))


def issue_code(*, uow: UnitOfWork, identity: ChannelIdentity) -> LinkCode:
    """A new code for the identity's citizen (their earlier one no longer works)."""
    assert identity.id is not None
    now = uow.clock.now()
    session = uow.session
    session.exec(delete(LinkCode).where(
        (col(LinkCode.citizen_id) == identity.citizen_id) | (col(LinkCode.expires_at) <= now)))
    for _ in range(10):  # a clash with another live code: draw again
        link = LinkCode(code=f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}",
                        citizen_id=identity.citizen_id, identity_id=identity.id,
                        created_at=now, expires_at=now + CODE_LIFETIME)
        try:
            with session.begin_nested():
                session.add(link)
            return link
        except IntegrityError:
            continue
    raise RuntimeError("no free link code after 10 draws")


def peek(*, uow: UnitOfWork, identity: ChannelIdentity, code: str) -> ChannelIdentity | None:
    """The identity that asked for this code, shown to the one that sends it before anything
    is linked; None when the code would be refused (unknown, expired, this citizen's own, or
    this identity stopped for its wrong tries): using it then says why, and counts a wrong
    try. Writes nothing."""
    assert identity.id is not None
    link = _live(uow, code)
    if _wrong_tries(uow, identity.id) >= WRONG_TRIES or link is None \
            or link.citizen_id == identity.citizen_id:
        return None
    return uow.session.get(ChannelIdentity, link.identity_id)


def use_code(*, uow: UnitOfWork, identity: ChannelIdentity, code: str) -> list[str]:
    """Make the code's citizen and this identity's one citizen (this identity's); the
    channels the citizen now has."""
    assert identity.id is not None
    uow.session.exec(delete(LinkTry).where(
        col(LinkTry.at) < uow.clock.now() - TRIES_WINDOW))  # forgotten after the hour
    if _wrong_tries(uow, identity.id) >= WRONG_TRIES:
        raise LinkTriedTooOften()
    link = _live(uow, code)
    if link is None:
        uow.session.add(LinkTry(identity_id=identity.id, at=uow.clock.now()))
        raise LinkCodeUnknown(code=code)
    if link.identity_id == identity.id:
        raise LinkSameIdentity()
    absorbed = link.citizen_id
    uow.session.delete(link)
    if absorbed == identity.citizen_id:
        raise AlreadyLinked()
    merge_citizens(uow=uow, survivor_id=identity.citizen_id, absorbed_id=absorbed)
    channels = uow.session.exec(select(ChannelIdentity.channel).where(
        ChannelIdentity.citizen_id == identity.citizen_id).distinct()).all()
    return sorted(channels)


def _live(uow: UnitOfWork, code: str) -> LinkCode | None:
    """The live code typed, however spaced ("482 913")."""
    wanted = "".join(ch for ch in code if ch.isdigit())
    if len(wanted) != DIGITS:
        return None
    return uow.session.exec(select(LinkCode).where(
        LinkCode.code == wanted, col(LinkCode.expires_at) > uow.clock.now())).first()


def _wrong_tries(uow: UnitOfWork, identity_id: int) -> int:
    """The wrong codes this identity sent in the last hour."""
    return int(uow.session.exec(select(func.count()).select_from(LinkTry).where(
        LinkTry.identity_id == identity_id,
        col(LinkTry.at) >= uow.clock.now() - TRIES_WINDOW)).one())


def merge_citizens(*, uow: UnitOfWork, survivor_id: int, absorbed_id: int) -> Citizen:
    """Everything of the absorbed citizen becomes the survivor's; the absorbed one goes."""
    session = uow.session
    survivor = session.get_one(Citizen, survivor_id)
    # A turn of the absorbed citizen's, on their other channel, finishes first (it holds this
    # lock): what it adds is moved with the rest, never left pointing at nobody.
    absorbed = session.exec(select(Citizen).where(Citizen.id == absorbed_id)
                            .with_for_update()).one()
    _merge_profile(survivor, absorbed)
    _merge_surveys(uow, survivor_id, absorbed_id)
    for once, key in ONCE_PER:
        table: Any = once
        _drop_duplicates(uow, table, key, survivor_id, absorbed_id)
        session.exec(update(table).where(col(table.citizen_id) == absorbed_id)
                     .values(citizen_id=survivor_id))
    for model in MOVED:
        moved: Any = model
        session.exec(update(moved).where(col(moved.citizen_id) == absorbed_id)
                     .values(citizen_id=survivor_id))
    own = select(Submission.id).where(Submission.citizen_id == survivor_id)
    session.exec(delete(Support).where(col(Support.citizen_id) == survivor_id,
                                       col(Support.submission_id).in_(own)))  # one's own idea
    session.exec(update(ChannelIdentity).where(col(ChannelIdentity.citizen_id) == absorbed_id)
                 .values(citizen_id=survivor_id))
    session.exec(delete(Conversation).where(col(Conversation.citizen_id) == absorbed_id))
    session.exec(delete(LinkCode).where(col(LinkCode.citizen_id) == absorbed_id))
    session.flush()
    session.delete(absorbed)
    session.add(survivor)
    session.flush()
    return survivor


def _merge_surveys(uow: UnitOfWork, survivor_id: int, absorbed_id: int) -> None:
    """One answer set per survey: of two, the completed one (the survivor's if both are, or
    neither), its answers with it."""
    session = uow.session
    theirs = {r.survey_id: r for r in session.exec(select(SurveyResponse).where(
        SurveyResponse.citizen_id == absorbed_id)).all()}
    for mine in session.exec(select(SurveyResponse).where(
            SurveyResponse.citizen_id == survivor_id,
            col(SurveyResponse.survey_id).in_(list(theirs)))).all():
        other = theirs[mine.survey_id]
        dropped = mine if other.completed_at and not mine.completed_at else other
        session.delete(dropped)
    session.flush()
    session.exec(update(SurveyResponse).where(col(SurveyResponse.citizen_id) == absorbed_id)
                 .values(citizen_id=survivor_id))


def _drop_duplicates(uow: UnitOfWork, table: Any, key: str, survivor_id: int,
                     absorbed_id: int) -> None:
    """The absorbed citizen's rows for an item the survivor has a row for already."""
    held = select(getattr(table, key)).where(table.citizen_id == survivor_id)
    uow.session.exec(delete(table).where(col(table.citizen_id) == absorbed_id,
                                         col(getattr(table, key)).in_(held)))


def _merge_profile(survivor: Citizen, absorbed: Citizen) -> None:
    """The survivor's answers, completed by the absorbed one's; what protects the citizen
    (an opt-out, a block, a consent withdrawn) from either; the earliest consent to Palabre's
    terms and first contact."""
    for name in PROFILE_FIELDS - {"broadcast_opt_out", "voice_data_consent_at"}:
        if getattr(survivor, name) is None:
            setattr(survivor, name, getattr(absorbed, name))
    # None may mean "withdrawn": consent to train speech models stays only where both hold it
    if absorbed.voice_data_consent_at is None:
        survivor.voice_data_consent_at = None
    if survivor.consent_at is not None and absorbed.consent_at is not None:
        survivor.consent_at = min(survivor.consent_at, absorbed.consent_at)
    survivor.broadcast_opt_out = survivor.broadcast_opt_out or absorbed.broadcast_opt_out
    survivor.blocked = survivor.blocked or absorbed.blocked
    survivor.created_at = min(survivor.created_at, absorbed.created_at)
    if absorbed.last_seen_at is not None and (survivor.last_seen_at is None
                                              or absorbed.last_seen_at > survivor.last_seen_at):
        survivor.last_seen_at = absorbed.last_seen_at

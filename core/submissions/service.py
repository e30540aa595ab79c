"""Submissions: filing, status changes with their history, follows, supports and look-ups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from core import errors
from core.communes.models import Commune
from core.events import SubmissionCreated, SubmissionStatusChanged
from core.geo import Point, distance_m
from core.messages.models import Attachment, InboundRecord, OutboxRecord
from core.submissions.lifecycle import check_transition
from core.submissions.models import (
    OPEN_STATUSES,
    Follower,
    Kind,
    Status,
    StatusChange,
    Submission,
    Support,
)
from core.submissions.references import format_reference, next_number, parse_reference
from core.transcripts import service as transcripts
from core.uow import UnitOfWork

LOCAL_TZ = ZoneInfo("Africa/Porto-Novo")
SIMILAR_RADIUS_M = 250.0
SIMILAR_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class NewSubmission:
    """What a citizen filed, before it has a reference."""

    kind: Kind
    commune_id: str
    channel: str
    citizen_id: int | None
    identity_id: int | None = None
    description: str = ""
    title: str | None = None
    category_id: int | None = None
    service_id: int | None = None
    arrondissement_id: str | None = None
    location: Point | None = None
    place_text: str | None = None
    anonymous: bool = False
    attachment_ids: Sequence[int] = ()
    public: bool = False  # what the citizen said may be published (a report's text and pin)
    thread: str | None = None  # the flow run that filed it; a new thread otherwise


def submit(*, uow: UnitOfWork, new: NewSubmission) -> Submission:
    """File a submission: give it a reference, attach its files, start its history."""
    commune = uow.session.get(Commune, new.commune_id)
    if commune is None or not commune.enabled:
        raise errors.CommuneNotEnabled(new.commune_id)
    now = uow.clock.now()
    number = next_number(session=uow.session, commune_id=commune.id, kind=new.kind,
                         year=now.astimezone(LOCAL_TZ).year)
    submission = Submission(
        reference=format_reference(commune_code=commune.code, kind=new.kind,
                                   year=now.astimezone(LOCAL_TZ).year, number=number),
        kind=new.kind, commune_id=commune.id, arrondissement_id=new.arrondissement_id,
        category_id=new.category_id, service_id=new.service_id, title=new.title,
        description=new.description, place_text=new.place_text, anonymous=new.anonymous,
        latitude=new.location.latitude if new.location else None,
        longitude=new.location.longitude if new.location else None,
        citizen_id=new.citizen_id, identity_id=new.identity_id, channel=new.channel,
        public=new.public, thread=new.thread or uuid.uuid4().hex, created_at=now,
        updated_at=now)
    uow.session.add(submission)
    uow.session.flush()
    assert submission.id is not None
    _attach(uow=uow, submission_id=submission.id, attachment_ids=new.attachment_ids)
    if new.attachment_ids:  # a voice note heard before it was sent: searchable at once
        uow.session.flush()
        submission.voice_text = transcripts.voice_text(uow=uow, submission_id=submission.id)
    uow.session.add(StatusChange(submission_id=submission.id, to_status=Status.NEW,
                                 actor="citizen", at=now))
    uow.publish(SubmissionCreated(submission_id=submission.id))
    return submission


def _attach(*, uow: UnitOfWork, submission_id: int, attachment_ids: Sequence[int]) -> None:
    for attachment_id in attachment_ids:
        attachment = uow.session.get_one(Attachment, attachment_id)
        attachment.submission_id = submission_id
        uow.session.add(attachment)


def change_status(*, uow: UnitOfWork, reference: str, status: Status, actor: str,
                  public_note: str | None = None, internal_note: str | None = None,
                  merged_into: str | None = None,
                  already_told: int | None = None) -> Submission:
    """Move a submission along its lifecycle, record who and why; the citizen will be told
    (unless it is `already_told`, the citizen who made the change)."""
    submission = get_by_reference(uow=uow, reference=reference)
    old = Status(submission.status)
    check_transition(old, status)
    now = uow.clock.now()
    submission.status = status
    submission.updated_at = now
    if status == Status.RESOLVED:
        submission.resolved_at = now
    elif status == Status.REOPENED:
        submission.resolved_at = None
    assert submission.id is not None
    uow.session.add(submission)
    uow.session.add(StatusChange(submission_id=submission.id, from_status=old, to_status=status,
                                 actor=actor, at=now, public_note=public_note or None,
                                 internal_note=internal_note or None))
    uow.publish(SubmissionStatusChanged(submission_id=submission.id, old_status=old,
                                        new_status=status, public_note=public_note or None,
                                        merged_into=merged_into,
                                        already_told=already_told))
    return submission


def add_internal_note(*, uow: UnitOfWork, submission: Submission, actor: str,
                      text: str) -> StatusChange:
    """A note for moderators only, kept in the history without changing the status."""
    assert submission.id is not None
    entry = StatusChange(submission_id=submission.id, from_status=submission.status,
                         to_status=submission.status, actor=actor, at=uow.clock.now(),
                         internal_note=text)
    uow.session.add(entry)
    return entry


def get_by_reference(*, uow: UnitOfWork, reference: str) -> Submission:
    """The submission with this reference, however it was typed; SubmissionNotFound otherwise."""
    canonical = parse_reference(reference)
    found = None
    if canonical is not None:
        query = select(Submission).where(Submission.reference == canonical)
        found = uow.session.exec(query).first()
    if found is None:
        shown = reference.strip().upper()[:40]
        raise errors.SubmissionNotFound(f"no submission {shown}", reference=shown)
    return found


def follow(*, uow: UnitOfWork, citizen_id: int, reference: str) -> Submission:
    """Have a citizen told about a submission's changes."""
    submission = get_by_reference(uow=uow, reference=reference)
    assert submission.id is not None
    if submission.citizen_id == citizen_id or _is_follower(uow, submission.id, citizen_id):
        raise errors.AlreadyFollowing(reference, reference=submission.reference)
    uow.session.add(Follower(submission_id=submission.id, citizen_id=citizen_id,
                             created_at=uow.clock.now()))
    uow.session.flush()
    return submission


def _is_follower(uow: UnitOfWork, submission_id: int, citizen_id: int) -> bool:
    query = select(Follower.id).where(Follower.submission_id == submission_id,
                                      Follower.citizen_id == citizen_id)
    return uow.session.exec(query).first() is not None


def support_idea(*, uow: UnitOfWork, citizen_id: int, reference: str) -> Submission:
    """Count a citizen's support for an idea (once) and have them follow it."""
    idea = get_by_reference(uow=uow, reference=reference)
    assert idea.id is not None
    if idea.kind != Kind.IDEA:
        raise errors.NotAnIdea(reference, reference=idea.reference)
    if idea.citizen_id == citizen_id:
        raise errors.OwnIdea(reference, reference=idea.reference)
    if idea.status not in OPEN_STATUSES:
        raise errors.IdeaClosed(reference, reference=idea.reference)
    try:
        with uow.session.begin_nested():
            uow.session.add(Support(submission_id=idea.id, citizen_id=citizen_id,
                                    created_at=uow.clock.now()))
    except IntegrityError as exc:
        raise errors.AlreadySupported(reference, reference=idea.reference) from exc
    if not _is_follower(uow, idea.id, citizen_id):
        uow.session.add(Follower(submission_id=idea.id, citizen_id=citizen_id,
                                 created_at=uow.clock.now()))
    return idea


def support_count(*, uow: UnitOfWork, submission_id: int) -> int:
    query = select(func.count()).select_from(Support).where(Support.submission_id == submission_id)
    return int(uow.session.exec(query).one())


def top_ideas(*, uow: UnitOfWork, commune_id: str, limit: int = 5) -> list[tuple[Submission, int]]:
    """The commune's open ideas, most supported first."""
    supports = func.count(col(Support.id))
    query = (select(Submission, supports).join(Support, isouter=True)
             .where(Submission.commune_id == commune_id, Submission.kind == Kind.IDEA,
                    col(Submission.status).in_(OPEN_STATUSES))
             .group_by(col(Submission.id))
             .order_by(supports.desc(), col(Submission.created_at).desc()).limit(limit))
    return [(idea, int(count)) for idea, count in uow.session.exec(query).all()]


def similar_open_reports(*, uow: UnitOfWork, commune_id: str, category_id: int,
                         location: Point | None, arrondissement_id: str | None,
                         excluding_citizen: int | None = None,
                         limit: int = 3) -> list[Submission]:
    """Open reports of the same category filed in the last 30 days nearby or in the same place
    (leaving out those the citizen filed or follows already)."""
    since = uow.clock.now() - SIMILAR_WINDOW
    query = (select(Submission)
             .where(Submission.commune_id == commune_id, Submission.kind == Kind.REPORT,
                    Submission.category_id == category_id,
                    col(Submission.status).in_(OPEN_STATUSES),
                    col(Submission.created_at) >= since)
             .order_by(col(Submission.created_at).desc()).limit(200))
    if excluding_citizen is not None:
        followed = select(Follower.submission_id).where(Follower.citizen_id == excluding_citizen)
        query = query.where(or_(col(Submission.citizen_id).is_(None),
                                col(Submission.citizen_id) != excluding_citizen),
                            col(Submission.id).notin_(followed))
    nearby = [s for s in uow.session.exec(query).all()
              if _is_near(s, location, arrondissement_id)]
    return nearby[:limit]


def _is_near(report: Submission, location: Point | None, arrondissement_id: str | None) -> bool:
    if location is not None and report.latitude is not None and report.longitude is not None:
        there = Point(report.latitude, report.longitude)
        return distance_m(location, there) <= SIMILAR_RADIUS_M
    return arrondissement_id is not None and report.arrondissement_id == arrondissement_id


def submissions_of(*, uow: UnitOfWork, citizen_id: int, limit: int = 10) -> list[Submission]:
    """A citizen's own submissions and those they follow, newest first."""
    followed = select(Follower.submission_id).where(Follower.citizen_id == citizen_id)
    query = (select(Submission)
             .where(or_(col(Submission.citizen_id) == citizen_id, col(Submission.id).in_(followed)))
             .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
             .limit(limit))
    return list(uow.session.exec(query).all())


def concerns(*, uow: UnitOfWork, citizen_id: int, submission: Submission) -> bool:
    """Whether the citizen filed or follows the submission."""
    assert submission.id is not None
    return submission.citizen_id == citizen_id or _is_follower(uow, submission.id, citizen_id)


def may_read_words(*, citizen_id: int | None, submission: Submission) -> bool:
    """Whether a citizen may read what a submission says and the mairie's notes to its
    author: its author, and anyone when it is public (a report its author agreed to publish,
    an idea); a follower of a private report or a complaint reads its status only."""
    return submission.public or (citizen_id is not None and submission.citizen_id == citizen_id)


def history(*, uow: UnitOfWork, submission_id: int) -> list[StatusChange]:
    query = (select(StatusChange).where(StatusChange.submission_id == submission_id)
             .order_by(col(StatusChange.at), col(StatusChange.id)))
    return list(uow.session.exec(query).all())


def followers_of(*, uow: UnitOfWork, submission_id: int) -> list[int]:
    query = select(Follower.citizen_id).where(Follower.submission_id == submission_id)
    return list(uow.session.exec(query).all())


def list_submissions(*, uow: UnitOfWork, commune_id: str | None = None,
                     status: str | None = None, kind: str | None = None,
                     limit: int = 50) -> list[Submission]:
    """Newest submissions first, optionally filtered."""
    query = select(Submission)
    if commune_id:
        query = query.where(Submission.commune_id == commune_id)
    if status:
        query = query.where(Submission.status == status)
    if kind:
        query = query.where(Submission.kind == kind)
    query = query.order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
    return list(uow.session.exec(query.limit(limit)).all())


def attachments_of(*, uow: UnitOfWork, submission_id: int) -> list[Attachment]:
    query = select(Attachment).where(Attachment.submission_id == submission_id)
    return list(uow.session.exec(query.order_by(col(Attachment.id))).all())


CONVERSATION_KINDS_LEFT_OUT = ("invite",)  # Palabre's own marker that opened a question


def conversation_of(*, uow: UnitOfWork, submission: Submission,
                    limit: int = 200) -> list[InboundRecord | OutboxRecord]:
    """What moderators read beside a submission: the messages of the flow that filed it and
    those exchanged about it since, all carrying its thread; never the citizen's other
    conversations (another submission, another commune, a survey), whatever their time."""
    if submission.thread is None:
        return []
    inbound = select(InboundRecord).where(
        InboundRecord.thread == submission.thread,
        col(InboundRecord.kind).not_in(CONVERSATION_KINDS_LEFT_OUT))
    outbound = select(OutboxRecord).where(OutboxRecord.thread == submission.thread)
    both: list[InboundRecord | OutboxRecord] = [
        *uow.session.exec(inbound.order_by(col(InboundRecord.id)).limit(limit)).all(),
        *uow.session.exec(outbound.order_by(col(OutboxRecord.id)).limit(limit)).all()]
    return sorted(both, key=_message_time)[:limit]


def _message_time(message: InboundRecord | OutboxRecord) -> tuple[datetime, float, int]:
    """When it was, with each reply right after the message it answers."""
    if isinstance(message, InboundRecord):
        return message.received_at, float(message.id or 0), 0
    return message.created_at, float(message.in_reply_to or "inf"), 1


def follower_count(*, uow: UnitOfWork, submission_id: int) -> int:
    query = select(func.count()).select_from(Follower).where(
        Follower.submission_id == submission_id)
    return int(uow.session.exec(query).one())

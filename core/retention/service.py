"""Keeping personal data only as long as needed (PALABRE_RETENTION_MONTHS).

Past the retention period Palabre forgets who said what, and keeps what was said:
- a submission closed that long ago loses the link to its author (their number, their other
  channels) and its followers; the recordings of its voice notes go once they are
  transcribed (a recording nobody could transcribe is the only record of what was said: it
  stays, without its author); its text, photos, history and transcripts stay, anonymous;
- a citizen silent that long, with nothing open, who follows nothing open and receives no
  announcements they asked for, loses their channel identities (number, Telegram id, name),
  conversation and the addresses of the messages they sent or were sent; their anonymous
  profile (language, commune, the inclusion answers they chose to give) stays for the figures;
- messages that old lose their sender's or recipient's address (one never sent is cancelled),
  and the providers' raw webhook bodies (which carry numbers) are deleted.

A run works each kind a batch at a time (each batch its own transaction, walking ids upwards so
no batch reads again what an earlier one handled) until nothing is left or its time budget is
spent; a dry run only counts. Every real run writes one line to the audit trail.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import col, delete, exists, select, update
from sqlmodel.sql.expression import SelectOfScalar

from core.broadcasts.models import Subscription
from core.citizens.models import ChannelIdentity, Citizen
from core.conversations.models import Conversation
from core.messages.models import (
    Attachment,
    InboundRecord,
    InboundStatus,
    OutboundStatus,
    OutboxRecord,
    ProviderPost,
)
from core.moderation.models import AuditEntry
from core.submissions.models import OPEN_STATUSES, Follower, Status, Submission
from core.transcripts.models import Transcription, TranscriptionStatus
from core.transcripts.service import UNCLEAR
from core.uow import UnitOfWork

ACTOR = "retention"
BATCH = 1000  # rows of one kind per transaction
VOICE_KINDS = ("voice", "audio")
CLOSED = tuple(sorted(set(Status) - OPEN_STATUSES))
UNSENT = (OutboundStatus.PENDING, OutboundStatus.HELD)  # never sent by now: cancelled
KINDS = ("submissions", "voice_notes", "citizens", "inbound", "outbound", "provider_posts")


@dataclass
class RetentionReport:
    """What a run did (or, dry, would do) to data older than `cutoff`."""

    cutoff: datetime
    dry_run: bool = False
    complete: bool = True  # False: the time budget ran out; the next run goes on
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.done.values())


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if
    shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


Act = Callable[[UnitOfWork, Sequence[int]], None]


@dataclass(frozen=True)
class Kind:
    """One kind of data the retention period applies to: which rows, and what is done."""

    name: str
    rows: Callable[[datetime], SelectOfScalar[Any]]  # ids of the rows past the cutoff
    act: Act


def apply_retention(*, uow_factory: Callable[[], UnitOfWork], months: int,
                    dry_run: bool = False, batch: int = BATCH,
                    budget_s: float | None = None) -> RetentionReport:
    """Strip (or, dry, count) what is older than `months`, kind after kind, until done or
    `budget_s` seconds are spent; a real run is audited."""
    with uow_factory() as uow:
        report = RetentionReport(cutoff=months_before(uow.clock.now(), months), dry_run=dry_run)
        if dry_run:
            report.done = {k.name: _count(uow, k.rows(report.cutoff)) for k in KINDS_OF_DATA}
            return report
    deadline = None if budget_s is None else time.monotonic() + budget_s
    for kind in KINDS_OF_DATA:
        report.complete = _work_through(uow_factory, kind, report, batch, deadline)
        if not report.complete:
            break
    _audit(uow_factory, report)
    return report


def _count(uow: UnitOfWork, rows: SelectOfScalar[Any]) -> int:
    return int(uow.session.exec(select(func.count()).select_from(rows.subquery())).one())


def _work_through(uow_factory: Callable[[], UnitOfWork], kind: Kind, report: RetentionReport,
                  batch: int, deadline: float | None) -> bool:
    """Batches of one kind until none is left (True) or the deadline passes (False)."""
    after = 0
    while deadline is None or time.monotonic() < deadline:
        with uow_factory() as uow:
            query = kind.rows(report.cutoff)
            id_column = query.selected_columns[0]
            ids = [int(i) for i in uow.session.exec(
                query.where(id_column > after).order_by(id_column).limit(batch)).all()]
            if not ids:
                return True
            kind.act(uow, ids)
            uow.commit()
        report.done[kind.name] += len(ids)
        after = ids[-1]
    return False


def _closed_submissions(cutoff: datetime) -> SelectOfScalar[Any]:
    """Closed before the cutoff and still tied to someone (an author or a follower)."""
    followed = exists().where(col(Follower.submission_id) == col(Submission.id))
    tied = or_(col(Submission.citizen_id).is_not(None), col(Submission.identity_id).is_not(None),
               followed)
    return select(Submission.id).where(col(Submission.status).in_(CLOSED),
                                       col(Submission.updated_at) < cutoff, tied)


def _strip_submissions(uow: UnitOfWork, ids: Sequence[int]) -> None:
    uow.session.exec(update(Submission).where(col(Submission.id).in_(ids))
                     .values(citizen_id=None, identity_id=None))
    uow.session.exec(delete(Follower).where(col(Follower.submission_id).in_(ids)))


def _transcribed_voices(cutoff: datetime) -> SelectOfScalar[Any]:
    """Recordings of submissions closed before the cutoff whose words are kept in writing: a
    moderator's transcript, or the machine's when it was not doubted (a doubtful text is no
    record of what was said: its audio stays)."""
    old = select(Submission.id).where(col(Submission.status).in_(CLOSED),
                                      col(Submission.updated_at) < cutoff)
    machine = (col(Transcription.status) == TranscriptionStatus.DONE) & (
        func.length(func.coalesce(col(Transcription.text), "")) > 0) & or_(
        col(Transcription.reason).is_(None), col(Transcription.reason) != UNCLEAR)
    written = func.length(func.coalesce(col(Transcription.corrected_text), "")) > 0
    heard = exists().where(col(Transcription.attachment_id) == col(Attachment.id),
                           or_(machine, written))
    return select(Attachment.id).where(
        col(Attachment.submission_id).in_(old), col(Attachment.kind).in_(VOICE_KINDS),
        col(Attachment.erased_at).is_(None), heard)


def _erase_voices(uow: UnitOfWork, ids: Sequence[int]) -> None:
    """The recordings go; the rows stay (their transcripts hang on them), without a file."""
    doomed = uow.session.exec(select(Attachment).where(col(Attachment.id).in_(ids))).all()
    paths = {a.path for a in doomed if a.path}
    now = uow.clock.now()
    for attachment in doomed:
        attachment.path, attachment.erased_at = "", now
        uow.session.add(attachment)
    uow.session.flush()
    for path in paths:
        still_used = select(Attachment.id).where(Attachment.path == path)
        if uow.session.exec(still_used).first() is None:  # files are shared by content hash
            uow.after_commit(partial(uow.media.delete, path))


def _silent_citizens(cutoff: datetime) -> SelectOfScalar[Any]:
    """Not heard from since the cutoff, not yet forgotten, with nothing open they filed or
    follow, and no announcements they asked for."""
    last_heard = or_(col(Citizen.last_seen_at) < cutoff,
                     and_(col(Citizen.last_seen_at).is_(None), col(Citizen.created_at) < cutoff))
    still_open = col(Submission.status).in_(OPEN_STATUSES)
    filed = exists().where(col(Submission.citizen_id) == col(Citizen.id), still_open)
    follows = exists().where(col(Follower.citizen_id) == col(Citizen.id),
                             col(Follower.submission_id) == col(Submission.id), still_open)
    listens = and_(col(Citizen.broadcast_opt_out).is_(False), exists().where(
        col(Subscription.citizen_id) == col(Citizen.id)))
    return select(Citizen.id).where(last_heard, col(Citizen.forgotten_at).is_(None),
                                    ~filed, ~follows, ~listens)


def _forget_citizens(uow: UnitOfWork, ids: Sequence[int]) -> None:
    theirs = partial(_of_citizens, ids)
    uow.session.exec(delete(Conversation).where(theirs(Conversation)))
    uow.session.exec(update(Submission).where(theirs(Submission)).values(identity_id=None))
    uow.session.exec(update(InboundRecord).where(theirs(InboundRecord))
                     .values(identity_id=None, address=None, display_name=None))
    _strip_outbox(uow, theirs(OutboxRecord))
    uow.session.exec(update(OutboxRecord).where(theirs(OutboxRecord)).values(identity_id=None))
    uow.session.exec(delete(ChannelIdentity).where(theirs(ChannelIdentity)))
    uow.session.exec(update(Citizen).where(col(Citizen.id).in_(ids))
                     .values(display_name=None, forgotten_at=uow.clock.now()))


def _of_citizens(ids: Sequence[int], table: Any) -> Any:
    return col(table.citizen_id).in_(ids)


def _old_inbound(cutoff: datetime) -> SelectOfScalar[Any]:
    """Handled messages received before the cutoff that still name their sender."""
    handled = col(InboundRecord.status).in_((InboundStatus.PROCESSED, InboundStatus.FAILED))
    named = or_(col(InboundRecord.address).is_not(None),
                col(InboundRecord.display_name).is_not(None))
    return select(InboundRecord.id).where(handled, named, col(InboundRecord.received_at) < cutoff)


def _strip_inbound(uow: UnitOfWork, ids: Sequence[int]) -> None:
    uow.session.exec(update(InboundRecord).where(col(InboundRecord.id).in_(ids))
                     .values(address=None, display_name=None))


def _old_outbound(cutoff: datetime) -> SelectOfScalar[Any]:
    """Messages queued before the cutoff that still carry an address (not one being sent)."""
    return select(OutboxRecord.id).where(col(OutboxRecord.status) != OutboundStatus.SENDING,
                                         col(OutboxRecord.created_at) < cutoff,
                                         col(OutboxRecord.address) != "")


def _strip_outbound(uow: UnitOfWork, ids: Sequence[int]) -> None:
    _strip_outbox(uow, col(OutboxRecord.id).in_(ids))


def _strip_outbox(uow: UnitOfWork, chosen: Any) -> None:
    """No address left on these messages; those never sent are cancelled."""
    uow.session.exec(update(OutboxRecord).where(chosen, col(OutboxRecord.status).in_(UNSENT))
                     .values(status=OutboundStatus.CANCELLED,
                             last_error="not sent within the retention period"))
    uow.session.exec(update(OutboxRecord).where(
        chosen, col(OutboxRecord.status) != OutboundStatus.SENDING).values(address=""))


def _old_posts(cutoff: datetime) -> SelectOfScalar[Any]:
    return select(ProviderPost.id).where(col(ProviderPost.received_at) < cutoff)


def _delete_posts(uow: UnitOfWork, ids: Sequence[int]) -> None:
    uow.session.exec(delete(ProviderPost).where(col(ProviderPost.id).in_(ids)))


# Old messages before citizens: each row is counted once, by the kind that strips it, so a
# dry run's counts are what the run does (forgetting a citizen then strips only the messages
# of theirs younger than the cutoff).
KINDS_OF_DATA = (Kind("submissions", _closed_submissions, _strip_submissions),
                 Kind("voice_notes", _transcribed_voices, _erase_voices),
                 Kind("inbound", _old_inbound, _strip_inbound),
                 Kind("outbound", _old_outbound, _strip_outbound),
                 Kind("provider_posts", _old_posts, _delete_posts),
                 Kind("citizens", _silent_citizens, _forget_citizens))


def _audit(uow_factory: Callable[[], UnitOfWork], report: RetentionReport) -> None:
    with uow_factory() as uow:
        uow.session.add(AuditEntry(
            actor=ACTOR, action="retention", target_type="personal_data",
            target_id=f"before {report.cutoff:%Y-%m-%d}",
            after={"cutoff": report.cutoff.isoformat(), "complete": report.complete,
                   **report.done}, at=uow.clock.now()))
        uow.commit()

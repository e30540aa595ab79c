"""Keeping personal data only as long as needed (PALABRE_RETENTION_MONTHS).

Past the retention period Palabre forgets who said what, and keeps what was said:
- a submission closed that long ago loses the link to its author (their number, their other
  channels), its followers, and the audio of its voice notes; its text, photos, history and
  transcripts stay, anonymous;
- a citizen silent that long, with nothing open, loses their channel identities (number,
  Telegram id, name) and conversation; their anonymous profile (language, commune, the
  inclusion answers they chose to give) stays for the statistics;
- messages that old lose their sender's address and name, and the providers' raw webhook
  bodies (which carry numbers) are deleted.
Every run that changes something is written to the audit trail; a dry run only counts.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, delete, select, update
from sqlmodel.sql.expression import SelectOfScalar

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
from core.uow import UnitOfWork

ACTOR = "retention"
BATCH = 1000  # rows of each kind per run: the daily job comes back for the rest
VOICE_KINDS = ("voice", "audio")
CLOSED = tuple(sorted(set(Status) - OPEN_STATUSES))
# A message not sent within the retention period never will be: it is cancelled.
UNSENT = (OutboundStatus.PENDING, OutboundStatus.HELD)


@dataclass(frozen=True)
class RetentionReport:
    """What a run did (or, dry, would do) to data older than `cutoff`."""

    cutoff: datetime
    submissions: int = 0  # closed submissions that lost their author's contact
    voice_notes: int = 0  # voice recordings erased (their transcripts kept)
    citizens: int = 0  # silent citizens whose identities were forgotten
    inbound: int = 0  # messages whose sender's address and name were removed
    outbound: int = 0  # messages to citizens whose address was removed (unsent: cancelled)
    provider_posts: int = 0  # raw webhook bodies deleted

    @property
    def total(self) -> int:
        return sum(v for k, v in asdict(self).items() if k != "cutoff")


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if
    shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def apply_retention(*, uow: UnitOfWork, months: int, dry_run: bool = False,
                    batch: int = BATCH) -> RetentionReport:
    """Strip or count what is older than `months` (up to `batch` rows of each kind); the
    caller commits. A real run that changed something is audited."""
    cutoff = months_before(uow.clock.now(), months)
    submissions = _closed_submissions(uow, cutoff, batch)
    voices = _voice_notes(uow, submissions, batch)
    citizens = _silent_citizens(uow, cutoff, batch)
    inbound = _old_inbound(uow, cutoff, batch)
    outbound = _old_outbound(uow, cutoff, batch)
    posts = _old_posts(uow, cutoff, batch)
    report = RetentionReport(cutoff=cutoff, submissions=len(submissions),
                             voice_notes=len(voices), citizens=len(citizens),
                             inbound=len(inbound), outbound=len(outbound),
                             provider_posts=len(posts))
    if dry_run or report.total == 0:
        return report
    _strip_submissions(uow, submissions)
    _erase_voices(uow, voices)
    _forget_citizens(uow, citizens)
    _strip_messages(uow, inbound, outbound, posts)
    _audit(uow, report)
    return report


def _ids(uow: UnitOfWork, query: SelectOfScalar[Any]) -> list[int]:
    return [int(i) for i in uow.session.exec(query).all() if i is not None]


def _closed_submissions(uow: UnitOfWork, cutoff: datetime, batch: int) -> list[int]:
    """Closed before the cutoff and still tied to someone (an author, a follower, audio)."""
    followed = select(Follower.submission_id)
    audio = select(Attachment.submission_id).where(
        col(Attachment.kind).in_(VOICE_KINDS), col(Attachment.erased_at).is_(None),
        col(Attachment.submission_id).is_not(None))
    tied = or_(col(Submission.citizen_id).is_not(None), col(Submission.identity_id).is_not(None),
               col(Submission.id).in_(followed), col(Submission.id).in_(audio))
    return _ids(uow, select(Submission.id).where(
        col(Submission.status).in_(CLOSED), col(Submission.updated_at) < cutoff, tied)
        .order_by(col(Submission.id)).limit(batch))


def _voice_notes(uow: UnitOfWork, submissions: Sequence[int], batch: int) -> list[int]:
    if not submissions:
        return []
    return _ids(uow, select(Attachment.id).where(
        col(Attachment.submission_id).in_(submissions), col(Attachment.kind).in_(VOICE_KINDS),
        col(Attachment.erased_at).is_(None)).order_by(col(Attachment.id)).limit(batch))


def _silent_citizens(uow: UnitOfWork, cutoff: datetime, batch: int) -> list[int]:
    """Not heard from since the cutoff, not yet forgotten, with nothing still open."""
    last_heard = or_(col(Citizen.last_seen_at) < cutoff,
                     and_(col(Citizen.last_seen_at).is_(None), col(Citizen.created_at) < cutoff))
    open_ones = select(Submission.citizen_id).where(
        col(Submission.status).in_(OPEN_STATUSES), col(Submission.citizen_id).is_not(None))
    return _ids(uow, select(Citizen.id).where(
        last_heard, col(Citizen.forgotten_at).is_(None), col(Citizen.id).not_in(open_ones))
        .order_by(col(Citizen.id)).limit(batch))


def _old_inbound(uow: UnitOfWork, cutoff: datetime, batch: int) -> list[int]:
    """Handled messages received before the cutoff that still name their sender."""
    handled = col(InboundRecord.status).in_((InboundStatus.PROCESSED, InboundStatus.FAILED))
    named = or_(col(InboundRecord.address).is_not(None),
                col(InboundRecord.display_name).is_not(None))
    return _ids(uow, select(InboundRecord.id).where(
        handled, named, col(InboundRecord.received_at) < cutoff)
        .order_by(col(InboundRecord.id)).limit(batch))


def _old_outbound(uow: UnitOfWork, cutoff: datetime, batch: int) -> list[int]:
    """Messages queued before the cutoff that still carry an address (not one being sent)."""
    return _ids(uow, select(OutboxRecord.id).where(
        col(OutboxRecord.status) != OutboundStatus.SENDING,
        col(OutboxRecord.created_at) < cutoff, col(OutboxRecord.address) != "")
        .order_by(col(OutboxRecord.id)).limit(batch))


def _old_posts(uow: UnitOfWork, cutoff: datetime, batch: int) -> list[int]:
    return _ids(uow, select(ProviderPost.id).where(col(ProviderPost.received_at) < cutoff)
                .order_by(col(ProviderPost.id)).limit(batch))


def _strip_submissions(uow: UnitOfWork, ids: Sequence[int]) -> None:
    if not ids:
        return
    uow.session.exec(update(Submission).where(col(Submission.id).in_(ids))
                     .values(citizen_id=None, identity_id=None))
    uow.session.exec(delete(Follower).where(col(Follower.submission_id).in_(ids)))


def _erase_voices(uow: UnitOfWork, ids: Sequence[int]) -> None:
    """The recordings go; the rows stay (their transcripts hang on them), without a file."""
    if not ids:
        return
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


def _forget_citizens(uow: UnitOfWork, ids: Sequence[int]) -> None:
    if not ids:
        return
    uow.session.exec(delete(Conversation).where(col(Conversation.citizen_id).in_(ids)))
    uow.session.exec(update(Submission).where(col(Submission.citizen_id).in_(ids))
                     .values(identity_id=None))
    for table in (InboundRecord, OutboxRecord):
        uow.session.exec(update(table).where(col(table.citizen_id).in_(ids))
                         .values(identity_id=None))
    uow.session.exec(delete(ChannelIdentity).where(col(ChannelIdentity.citizen_id).in_(ids)))
    uow.session.exec(update(Citizen).where(col(Citizen.id).in_(ids))
                     .values(display_name=None, forgotten_at=uow.clock.now()))


def _strip_messages(uow: UnitOfWork, inbound: Sequence[int], outbound: Sequence[int],
                    posts: Sequence[int]) -> None:
    if inbound:
        uow.session.exec(update(InboundRecord).where(col(InboundRecord.id).in_(inbound))
                         .values(address=None, display_name=None))
    if outbound:
        chosen = col(OutboxRecord.id).in_(outbound)
        uow.session.exec(update(OutboxRecord).where(chosen, col(OutboxRecord.status).in_(UNSENT))
                         .values(status=OutboundStatus.CANCELLED,
                                 last_error="not sent within the retention period"))
        uow.session.exec(update(OutboxRecord).where(chosen).values(address=""))
    if posts:
        uow.session.exec(delete(ProviderPost).where(col(ProviderPost.id).in_(posts)))


def _audit(uow: UnitOfWork, report: RetentionReport) -> None:
    counts = {k: v for k, v in asdict(report).items() if k != "cutoff"}
    uow.session.add(AuditEntry(actor=ACTOR, action="retention", target_type="personal_data",
                               target_id=f"before {report.cutoff:%Y-%m-%d}",
                               after={"cutoff": report.cutoff.isoformat(), **counts},
                               at=uow.clock.now()))

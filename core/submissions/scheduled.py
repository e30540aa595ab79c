"""Scheduled work beside submissions: escalating what nobody triaged in time."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from sqlmodel import col, select

from core.moderation import alerts
from core.moderation.models import AlertKind, AuditEntry
from core.submissions.models import Priority, Status, Submission
from core.uow import UnitOfWork

logger = logging.getLogger(__name__)

OVERDUE = "en retard"  # the label moderators filter the inbox on


def escalate_untriaged(*, uow: UnitOfWork, after: timedelta, limit: int = 500) -> int:
    """Submissions still `new` past the delay: labelled, raised to high priority and audited
    (moderators see them first with the inbox's label and priority filters), each once; the
    moderators of each commune get one alert naming that run's submissions."""
    cutoff = uow.clock.now() - after
    already = select(AuditEntry.id).where(
        AuditEntry.target_type == "submission", AuditEntry.action == "escalated",
        col(AuditEntry.target_id) == col(Submission.reference))
    overdue = uow.session.exec(select(Submission).where(
        Submission.status == Status.NEW, col(Submission.created_at) <= cutoff,
        col(Submission.hidden).is_(False), ~already.exists())
        .order_by(col(Submission.created_at)).limit(limit)
        .with_for_update(skip_locked=True)).all()  # claimed: once, run twice at once
    escalated: dict[str, list[str]] = {}
    for submission in overdue:  # once each, even if a moderator took the label off
        if uow.attempt(partial(_escalate, uow, submission),
                       f"escalating {submission.reference}", failed=False):
            escalated.setdefault(submission.commune_id, []).append(submission.reference)
    for commune_id, references in escalated.items():  # a failing chat never undoes the rest
        uow.attempt(partial(alerts.raise_alert, uow=uow, commune_id=commune_id,
                            kind=AlertKind.OVERDUE, references=references,
                            hours=round(after.total_seconds() / 3600)),
                    f"alert of {commune_id}", failed=None)
    count = sum(len(refs) for refs in escalated.values())
    if count:
        logger.info("%s submission(s) escalated: untriaged for over %s", count, after)
    return count


def _escalate(uow: UnitOfWork, submission: Submission) -> bool:
    before = {"labels": list(submission.labels), "priority": submission.priority}
    submission.labels = sorted({*submission.labels, OVERDUE})
    if submission.priority not in (Priority.HIGH, Priority.URGENT):
        submission.priority = Priority.HIGH
    uow.session.add(submission)
    uow.session.add(AuditEntry(moderator_id=None, actor="palabre", action="escalated",
                               target_type="submission", target_id=submission.reference,
                               commune_id=submission.commune_id, before=before,
                               after={"labels": submission.labels,
                                      "priority": submission.priority},
                               at=uow.clock.now()))
    return True

"""Scheduled work beside submissions: escalating what nobody triaged in time."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from core.moderation.models import AuditEntry
from core.submissions.models import Priority, Status, Submission
from core.uow import UnitOfWork

logger = logging.getLogger(__name__)

OVERDUE = "en retard"  # the label moderators filter the inbox on


def escalate_untriaged(*, uow: UnitOfWork, after: timedelta, limit: int = 500) -> int:
    """Submissions still `new` past the delay: labelled, raised to high priority and audited
    (moderators see them first with the inbox's label and priority filters); each once."""
    cutoff = uow.clock.now() - after
    overdue = uow.session.exec(select(Submission).where(
        Submission.status == Status.NEW, col(Submission.created_at) <= cutoff,
        col(Submission.hidden).is_(False)).order_by(col(Submission.created_at))
        .limit(limit)).all()
    escalated = 0
    for submission in overdue:
        if OVERDUE in submission.labels:
            continue
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
        escalated += 1
    if escalated:
        logger.info("%s submission(s) escalated: untriaged for over %s", escalated, after)
    return escalated

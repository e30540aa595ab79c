""""Was it really fixed?": some days after a submission is resolved, its author is asked
(the question opens in their conversation when they are not busy, twice at most); "no"
reopens it with their comment (typed or spoken) and alerts the commune's moderators."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from sqlmodel import col, select

from core import errors
from core.citizens import service as citizens
from core.citizens.models import ChannelIdentity, Citizen
from core.messages import service as messages
from core.messages.models import Attachment
from core.moderation import alerts
from core.moderation.models import AlertKind
from core.submissions import service as submissions
from core.submissions.models import FollowUp, Status, Submission
from core.uow import UnitOfWork

logger = logging.getLogger(__name__)

FLOW = "fixed"  # the dialogs' flow that asks the question
Reachable = Callable[[ChannelIdentity], bool]
MAX_INVITES = 2
BETWEEN_INVITES = timedelta(days=2)


def ask_due(*, uow: UnitOfWork, after: timedelta, limit: int = 200,
            reachable: Reachable | None = None) -> int:
    """Start the follow-up of submissions resolved `after` ago (once per resolution), and put
    the question to their authors (again, past BETWEEN_INVITES, if they were busy or did
    not answer); how many questions were put. `reachable` says whether a message can reach
    an identity now (WhatsApp outside its 24 hours without a template cannot): if not, the
    question waits for a later run rather than open a flow whose question is held."""
    now = uow.clock.now()
    known = select(FollowUp.id).where(col(FollowUp.submission_id) == col(Submission.id),
                                      col(FollowUp.resolved_at) == col(Submission.resolved_at))
    fresh = uow.session.exec(select(Submission).where(
        Submission.status == Status.RESOLVED, col(Submission.resolved_at) <= now - after,
        col(Submission.citizen_id).is_not(None), col(Submission.hidden).is_(False),
        ~known.exists()).order_by(col(Submission.resolved_at)).limit(limit)).all()
    for submission in fresh:
        assert submission.id is not None and submission.resolved_at is not None
        uow.session.add(FollowUp(submission_id=submission.id, citizen_id=submission.citizen_id,
                                 resolved_at=submission.resolved_at))
    uow.session.flush()
    due = uow.session.exec(select(FollowUp).where(
        col(FollowUp.answered_at).is_(None), col(FollowUp.invites) < MAX_INVITES,
        col(FollowUp.citizen_id).is_not(None),
        (col(FollowUp.invited_at).is_(None)) | (col(FollowUp.invited_at) <= now - BETWEEN_INVITES))
        .order_by(col(FollowUp.id)).limit(limit).with_for_update(skip_locked=True)).all()
    return sum(uow.attempt(partial(_invite, uow, followup, reachable or _anyone),
                           f"follow-up {followup.id}", failed=0) for followup in due)


def _anyone(identity: ChannelIdentity) -> bool:
    return True


def _invite(uow: UnitOfWork, followup: FollowUp, reachable: Reachable) -> int:
    submission = uow.session.get_one(Submission, followup.submission_id)
    citizen = uow.session.get(Citizen, followup.citizen_id) if followup.citizen_id else None
    identity = None
    if citizen is not None and citizen.id is not None and not citizen.blocked:
        identity = citizens.reachable_identity(uow=uow, citizen_id=citizen.id,
                                               preferred=submission.identity_id)
    still = submission.status == Status.RESOLVED and submission.resolved_at == followup.resolved_at
    if identity is not None and still and not reachable(identity):
        return 0  # e.g. WhatsApp's window is closed and no template carries it: later
    followup.invites += 1
    followup.invited_at = uow.clock.now()
    if identity is None or not still:  # unreachable, or moved on since: not asked
        followup.invites = MAX_INVITES
        uow.session.add(followup)
        return 0
    uow.session.add(followup)
    messages.invite(uow=uow, identity=identity, flow=FLOW,
                    key=f"followup:{followup.id}:{followup.invites}",
                    data={"followup_id": followup.id, "thread": submission.thread})
    return 1


def get(*, uow: UnitOfWork, followup_id: int) -> FollowUp:
    found = uow.session.get(FollowUp, followup_id)
    if found is None:
        raise errors.NotFound(f"No follow-up {followup_id}.")
    return found


def answer(*, uow: UnitOfWork, followup_id: int, citizen_id: int, fixed: bool,
           comment: str = "", attachment_id: int | None = None) -> FollowUp:
    """The author's answer. "No" reopens the submission (if it is still resolved or closed),
    keeps their comment in its history and their voice note with its files, tells its
    followers, and alerts the moderators."""
    followup = get(uow=uow, followup_id=followup_id)
    if followup.citizen_id != citizen_id:
        raise errors.NotFound(f"No follow-up {followup_id} for this citizen.")
    if followup.answered_at is not None:
        raise errors.FollowUpAnswered("This follow-up was already answered.")
    followup.answered_at, followup.fixed = uow.clock.now(), fixed
    followup.comment, followup.attachment_id = comment.strip()[:2000], attachment_id
    uow.session.add(followup)
    if fixed:
        return followup
    submission = uow.session.get_one(Submission, followup.submission_id)
    if attachment_id is not None:  # the moderators hear it with the submission's files
        spoken = uow.session.get_one(Attachment, attachment_id)
        spoken.submission_id = submission.id
        uow.session.add(spoken)
    if submission.status in (Status.RESOLVED, Status.CLOSED):
        submissions.change_status(
            uow=uow, reference=submission.reference, status=Status.REOPENED, actor="citizen",
            internal_note="Not solved, says the citizen" + (f": {followup.comment}"
                                                              if followup.comment else "."),
            already_told=citizen_id)
    alerts.raise_alert(uow=uow, commune_id=submission.commune_id, kind=AlertKind.REOPENED,
                       references=[submission.reference],
                       comment=followup.comment or ("🎤" if attachment_id else "—"))
    return followup

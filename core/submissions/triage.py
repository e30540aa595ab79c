"""What moderators do to submissions: claim, assign, prioritise, label, merge, hide, answer.

Every action checks that the moderator may see the item, that nobody else holds it, and
writes a line of the audit trail in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core import errors
from core.citizens.models import ChannelIdentity, Citizen
from core.communes.models import Category
from core.events import ModeratorReplied
from core.moderation.models import Moderator, Role
from core.moderation.service import may_see, may_see_contacts, record, record_contacts_seen
from core.submissions import service as submissions
from core.submissions.models import Priority, Status, Submission
from core.uow import UnitOfWork

CLAIM_FOR = timedelta(minutes=5)
MAX_LABELS = 10


def visible(*, uow: UnitOfWork, moderator: Moderator, reference: str) -> Submission:
    """The submission if the moderator may see it; NotFound otherwise (no hint it exists)."""
    found = submissions.get_by_reference(uow=uow, reference=reference)
    if not may_see(moderator, found.commune_id):
        shown = reference.strip().upper()[:40]
        raise errors.SubmissionNotFound(f"no submission {shown}", reference=shown)
    return found


def _acting(uow: UnitOfWork, moderator: Moderator, reference: str) -> Submission:
    """The submission a moderator is about to change: visible, and not held by someone else."""
    if moderator.role in (Role.ANALYST, Role.INTEGRATION):
        raise errors.Forbidden("this account may not change submissions")
    found = visible(uow=uow, moderator=moderator, reference=reference)
    holder = found.claimed_by_id
    if holder not in (None, moderator.id) and found.claimed_until is not None \
            and found.claimed_until > uow.clock.now():
        other = uow.session.get(Moderator, holder)
        raise errors.Claimed(f"{found.reference} is being handled by "
                             f"{other.name if other else 'another moderator'} until "
                             f"{found.claimed_until:%H:%M} UTC")
    return found


def _audit(uow: UnitOfWork, moderator: Moderator, action: str, found: Submission,
           before: dict[str, object], after: dict[str, object]) -> None:
    found.updated_at = uow.clock.now()  # every action counts for "recently updated"
    uow.session.add(found)
    record(uow=uow, moderator=moderator, action=action, target_type="submission",
           target_id=found.reference, commune_id=found.commune_id, before=before, after=after)


def claim(*, uow: UnitOfWork, moderator: Moderator, reference: str) -> Submission:
    """Hold the item for five minutes so that nobody else answers the citizen meanwhile."""
    found = _acting(uow, moderator, reference)
    found.claimed_by_id = moderator.id
    found.claimed_until = uow.clock.now() + CLAIM_FOR
    uow.session.add(found)
    _audit(uow, moderator, "claim", found, {}, {"until": found.claimed_until})
    return found


def release(*, uow: UnitOfWork, moderator: Moderator, reference: str) -> Submission:
    found = _acting(uow, moderator, reference)
    found.claimed_by_id, found.claimed_until = None, None
    uow.session.add(found)
    _audit(uow, moderator, "release", found, {}, {})
    return found


def change_status(*, uow: UnitOfWork, moderator: Moderator, reference: str, status: Status,
                  public_note: str | None = None,
                  internal_note: str | None = None) -> Submission:
    """Move the item along its lifecycle; the citizen is told (with the public note)."""
    found = _acting(uow, moderator, reference)
    before = found.status
    submissions.change_status(uow=uow, reference=found.reference, status=status,
                              actor=moderator.name, public_note=public_note,
                              internal_note=internal_note)
    _responded(uow, found)
    _audit(uow, moderator, "status", found, {"status": before},
           {"status": status, "public_note": public_note, "internal_note": internal_note})
    return found


def note(*, uow: UnitOfWork, moderator: Moderator, reference: str, text: str) -> Submission:
    """An internal note, for moderators only, in the history."""
    found = _acting(uow, moderator, reference)
    submissions.add_internal_note(uow=uow, submission=found, actor=moderator.name, text=text)
    _audit(uow, moderator, "note", found, {}, {"internal_note": text})
    return found


def reply(*, uow: UnitOfWork, moderator: Moderator, reference: str, text: str) -> Submission:
    """Answer the citizen on their channel, in the mairie's words."""
    found = _acting(uow, moderator, reference)
    if found.citizen_id is None:
        raise errors.Conflict(f"{found.reference} has no citizen to answer (data erased)")
    assert found.id is not None
    uow.publish(ModeratorReplied(submission_id=found.id, text=text))
    _responded(uow, found)
    _audit(uow, moderator, "reply", found, {}, {"text": text})
    return found


def _responded(uow: UnitOfWork, found: Submission) -> None:
    if found.first_response_at is None:
        found.first_response_at = uow.clock.now()
        uow.session.add(found)


def assign(*, uow: UnitOfWork, moderator: Moderator, reference: str,
           assignee: str | None) -> Submission:
    """Give the item an owner (a moderator who can see its commune), or none."""
    found = _acting(uow, moderator, reference)
    owner = None
    if assignee is not None:
        owner = uow.session.exec(select(Moderator).where(Moderator.name == assignee)).first()
        if owner is None or not owner.active or owner.role in (Role.ANALYST, Role.INTEGRATION) \
                or not may_see(owner, found.commune_id):
            raise errors.Invalid(f"{assignee!r} cannot handle items of this commune")
    before = found.assignee_id
    found.assignee_id = owner.id if owner else None
    uow.session.add(found)
    _audit(uow, moderator, "assign", found, {"assignee_id": before},
           {"assignee_id": found.assignee_id})
    return found


def set_priority(*, uow: UnitOfWork, moderator: Moderator, reference: str,
                 priority: Priority) -> Submission:
    found = _acting(uow, moderator, reference)
    before, found.priority = found.priority, priority
    uow.session.add(found)
    _audit(uow, moderator, "priority", found, {"priority": before}, {"priority": priority})
    return found


def set_category(*, uow: UnitOfWork, moderator: Moderator, reference: str,
                 category_id: int) -> Submission:
    found = _acting(uow, moderator, reference)
    category = uow.session.get(Category, category_id)
    if category is None or category.commune_id != found.commune_id or not category.active:
        raise errors.Invalid(f"category {category_id} is not one of this commune's")
    before, found.category_id = found.category_id, category_id
    uow.session.add(found)
    _audit(uow, moderator, "category", found, {"category_id": before},
           {"category_id": category_id})
    return found


def set_labels(*, uow: UnitOfWork, moderator: Moderator, reference: str,
               labels: list[str]) -> Submission:
    found = _acting(uow, moderator, reference)
    cleaned = sorted({" ".join(label.split())[:40] for label in labels if label.strip()})
    if len(cleaned) > MAX_LABELS:
        raise errors.Invalid(f"at most {MAX_LABELS} labels")
    before, found.labels = list(found.labels), cleaned
    uow.session.add(found)
    _audit(uow, moderator, "labels", found, {"labels": before}, {"labels": cleaned})
    return found


def hide(*, uow: UnitOfWork, moderator: Moderator, reference: str, hidden: bool) -> Submission:
    """Hide an abusive item from the inbox and public lists (it is kept)."""
    found = _acting(uow, moderator, reference)
    before, found.hidden = found.hidden, hidden
    uow.session.add(found)
    _audit(uow, moderator, "hide" if hidden else "unhide", found, {"hidden": before},
           {"hidden": hidden})
    return found


def merge(*, uow: UnitOfWork, moderator: Moderator, reference: str, into: str) -> Submission:
    """Mark the item a duplicate of another; its author is told and follows the other."""
    found = _acting(uow, moderator, reference)
    target = visible(uow=uow, moderator=moderator, reference=into)
    if target.id == found.id or target.commune_id != found.commune_id \
            or target.duplicate_of_id is not None:
        raise errors.Invalid(f"{found.reference} cannot be merged into {target.reference}")
    submissions.change_status(uow=uow, reference=found.reference, status=Status.DUPLICATE,
                              actor=moderator.name, merged_into=target.reference)
    found.duplicate_of_id = target.id
    uow.session.add(found)
    if found.citizen_id is not None and found.citizen_id != target.citizen_id \
            and not submissions.concerns(uow=uow, citizen_id=found.citizen_id,
                                         submission=target):
        submissions.follow(uow=uow, citizen_id=found.citizen_id, reference=target.reference)
    _responded(uow, found)
    _audit(uow, moderator, "merge", found, {"duplicate_of": None},
           {"duplicate_of": target.reference})
    return found


def reveal_contact(*, uow: UnitOfWork, moderator: Moderator, reference: str,
                   reason: str) -> ChannelIdentity:
    """The author's full contact for an account allowed to see contacts, with the reason in
    the audit trail; never that of an anonymous submission."""
    if not may_see_contacts(moderator):
        raise errors.Forbidden("this account may not see citizens' contacts")
    found = visible(uow=uow, moderator=moderator, reference=reference)
    if found.anonymous:
        raise errors.Conflict(f"{found.reference} is anonymous: its author is never shown")
    identity = uow.session.get(ChannelIdentity, found.identity_id) if found.identity_id else None
    if identity is None:
        raise errors.Conflict(f"{found.reference} keeps no contact (erased, or past the "
                              "retention period)")
    record_contacts_seen(uow=uow, moderator=moderator, reason=reason, target_type="submission",
                         target_id=found.reference, communes=[found.commune_id])
    return identity


def duplicates_of(*, uow: UnitOfWork, submission: Submission) -> list[Submission]:
    query = select(Submission).where(Submission.duplicate_of_id == submission.id)
    return list(uow.session.exec(query.order_by(col(Submission.id))).all())


def set_blocked(*, uow: UnitOfWork, moderator: Moderator, reference: str,
                blocked: bool) -> Citizen:
    """Block (or unblock) the author of an item: their messages are kept but not answered."""
    found = _acting(uow, moderator, reference)
    if found.anonymous:  # the author's other submissions would then show who they are
        raise errors.Conflict(f"{found.reference} is anonymous: its author cannot be blocked "
                              "through it (hide it as abuse instead)")
    citizen = uow.session.get(Citizen, found.citizen_id) if found.citizen_id else None
    if citizen is None:
        raise errors.Conflict(f"{found.reference} has no citizen (data erased)")
    before, citizen.blocked = citizen.blocked, blocked
    uow.session.add(citizen)
    _audit(uow, moderator, "block" if blocked else "unblock", found, {"blocked": before},
           {"blocked": blocked})
    return citizen

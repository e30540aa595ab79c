"""Acting once on a form: each console form carries a random nonce, recorded in the same
transaction as what the form does; the same form sent again finds its nonce used."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, delete

from core.moderation.models import FormUse, Moderator
from core.uow import UnitOfWork

KEPT = timedelta(days=1)


def first_use(*, uow: UnitOfWork, moderator: Moderator, nonce: str) -> bool:
    """Whether this form is sent for the first time; records it (commit with the action).
    Two copies racing both pass here, and the second fails at commit on the nonce's key."""
    if not 16 <= len(nonce) <= 64 or uow.session.get(FormUse, nonce) is not None:
        return False
    assert moderator.id is not None
    now = uow.clock.now()
    uow.session.exec(delete(FormUse).where(  # type: ignore[call-overload]
        col(FormUse.moderator_id) == moderator.id, col(FormUse.used_at) < now - KEPT))
    uow.session.add(FormUse(nonce=nonce, moderator_id=moderator.id, used_at=now))
    return True

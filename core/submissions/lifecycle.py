"""Which status may follow which: the lifecycle of a submission."""

from __future__ import annotations

from core.errors import InvalidTransition
from core.submissions.models import Status

_WORKING = {Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}
_AFTER_AN_END = {Status.CLOSED, Status.REOPENED}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED, *_WORKING}),
    Status.ACKNOWLEDGED: frozenset(_WORKING),
    Status.IN_PROGRESS: frozenset(_WORKING - {Status.IN_PROGRESS}),
    Status.REOPENED: frozenset({Status.ACKNOWLEDGED, *_WORKING}),
    Status.RESOLVED: frozenset(_AFTER_AN_END),
    Status.REJECTED: frozenset(_AFTER_AN_END),
    Status.DUPLICATE: frozenset(_AFTER_AN_END),
    Status.CLOSED: frozenset({Status.REOPENED}),
}


def allowed_next(status: Status) -> frozenset[Status]:
    return TRANSITIONS[status]


def check_transition(old: Status, new: Status) -> None:
    """Raise InvalidTransition unless `new` may follow `old`."""
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "none"
        raise InvalidTransition(f"cannot go from {old} to {new} (allowed: {allowed})",
                                old=old, new=new)

"""Events: what happened, in the past tense; handlers run before the unit of work commits."""

from __future__ import annotations

from dataclasses import dataclass


class Event:
    """Base of every domain event."""


@dataclass(frozen=True)
class SubmissionCreated(Event):
    submission_id: int


@dataclass(frozen=True)
class SubmissionStatusChanged(Event):
    submission_id: int
    old_status: str
    new_status: str
    public_note: str | None
    merged_into: str | None = None  # the reference it was merged into, for a duplicate
    already_told: int | None = None  # a citizen who needs no notice (they made the change)


@dataclass(frozen=True)
class BroadcastQueued(Event):
    """An announcement's messages are in the outbox (channels may post it elsewhere too)."""

    broadcast_id: int


@dataclass(frozen=True)
class ModeratorReplied(Event):
    submission_id: int
    text: str


@dataclass(frozen=True)
class ModeratorsAlerted(Event):
    """An alert for a commune's moderators was raised (channels may post it to staff chats)."""

    alert_id: int

"""Conversation state: load it (locked for the turn), save it, forget it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, delete

from core.citizens.models import Citizen
from core.conversations.models import Conversation
from core.uow import UnitOfWork


def citizen_for_turn(*, uow: UnitOfWork, citizen_id: int) -> Citizen | None:
    """The citizen, their row locked until the turn commits so that two processes never run
    turns of the same citizen at once, even through two channels (PostgreSQL; SQLite has one
    writer anyway)."""
    return uow.session.get(Citizen, citizen_id, with_for_update=True)


def load_for_turn(*, uow: UnitOfWork, citizen_id: int) -> Conversation | None:
    """The conversation of a citizen locked by `citizen_for_turn`."""
    return uow.session.get(Conversation, citizen_id)


def save(*, uow: UnitOfWork, citizen_id: int, flow: str | None, state: str | None,
         data: dict[str, Any], offered: list[list[str]]) -> None:
    """Store where the citizen is; no flow means the conversation is over."""
    row = uow.session.get(Conversation, citizen_id)
    if flow is None or state is None:
        if row is not None:
            uow.session.delete(row)
        return
    now = uow.clock.now()
    row = row or Conversation(citizen_id=citizen_id, flow=flow, state=state, updated_at=now)
    row.flow, row.state, row.data, row.offered, row.updated_at = flow, state, data, offered, now
    uow.session.add(row)


def expire_stale(*, uow: UnitOfWork, older_than: timedelta) -> int:
    """Forget drafts abandoned long ago (their messages and files stay); the citizen starts
    from the menu next time. How many conversations were dropped."""
    cutoff = uow.clock.now() - older_than
    result = uow.session.exec(delete(Conversation).where(
        col(Conversation.updated_at) < cutoff))
    return int(result.rowcount or 0)

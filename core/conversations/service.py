"""Conversation state: load it (locked for the turn), save it, forget it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, delete, select

from core.citizens.models import Citizen
from core.communes.models import Commune
from core.conversations.models import Conversation
from core.uow import UnitOfWork


@dataclass(frozen=True)
class ForTurn:
    """A citizen locked for their turn, where they are in the conversation, and their
    commune (held here, so that the session keeps it for the turn's look-ups)."""

    citizen: Citizen
    conversation: Conversation | None
    commune: Commune | None


def citizen_for_turn(*, uow: UnitOfWork, citizen_id: int) -> ForTurn | None:
    """The citizen, their row locked until the turn commits so that two processes never run
    turns of the same citizen at once, even through two channels (PostgreSQL; SQLite has one
    writer anyway); with their conversation, and their commune for the turn's look-ups, in the
    same query."""
    found = uow.session.exec(_FOR_TURN, params={"locked": citizen_id}).first()
    return ForTurn(*found) if found is not None else None


_FOR_TURN = (select(Citizen, Conversation, Commune)
             .outerjoin(Conversation, col(Conversation.citizen_id) == col(Citizen.id))
             .outerjoin(Commune, col(Commune.id) == col(Citizen.commune_id))
             .where(col(Citizen.id) == bindparam("locked"))
             .with_for_update(of=Citizen)  # type: ignore[arg-type]  # a mapped class is a table
             .execution_options(populate_existing=True))  # as locked, not as read before


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

"""What the queues look like now, for operators: how much waits and for how long, how fast
the recent turns and deliveries went, which processes are alive, how often a provider said
429. Read from the database, which every process shares: one web process's /metrics speaks
for the whole deployment. Bounded queries only (counts on the status indexes, the last
`RECENT` rows by id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from core.messages.models import (
    InboundRecord,
    InboundStatus,
    OutboundStatus,
    OutboxRecord,
    ProviderPost,
    SendPace,
    WorkerProcess,
)
from core.messages.workers import DEAD_AFTER
from core.transcripts.models import Transcription, TranscriptionStatus
from core.uow import UnitOfWork

RECENT = 1000  # the latest turns and deliveries the latencies are read from


@dataclass(frozen=True)
class Queue:
    name: str
    depth: int
    oldest_s: float  # 0 when empty


@dataclass
class Figures:
    queues: list[Queue] = field(default_factory=list)
    turn_s: list[float] = field(default_factory=list)  # received → handled, recent turns
    delivery_s: list[float] = field(default_factory=list)  # queued → sent, recent messages
    workers: dict[str, int] = field(default_factory=dict)  # role → processes alive
    pauses: dict[str, int] = field(default_factory=dict)  # provider key → 429s so far


def figures(*, uow: UnitOfWork) -> Figures:
    now = uow.clock.now()
    found = Figures()
    waiting: list[tuple[str, Any, ColumnElement[bool]]] = [
        ("webhook_bodies", ProviderPost.received_at,
         col(ProviderPost.status) == InboundStatus.RECEIVED),
        ("turns", InboundRecord.received_at, col(InboundRecord.status) == InboundStatus.RECEIVED),
        ("deliveries", OutboxRecord.created_at,
         col(OutboxRecord.status).in_((OutboundStatus.PENDING, OutboundStatus.SENDING))),
        ("transcriptions", Transcription.created_at, col(Transcription.status).in_(
            (TranscriptionStatus.PENDING, TranscriptionStatus.RUNNING))),
    ]
    for name, since, where in waiting:
        depth, oldest = uow.session.exec(select(func.count(), func.min(since)).where(where)).one()
        found.queues.append(Queue(name, int(depth), _age(now, oldest)))
    found.turn_s = [(done - came).total_seconds() for came, done in uow.session.exec(
        select(InboundRecord.received_at, InboundRecord.processed_at)
        .where(InboundRecord.status == InboundStatus.PROCESSED)
        .order_by(col(InboundRecord.id).desc()).limit(RECENT)).all()
        if came is not None and done is not None]
    found.delivery_s = [(sent - queued).total_seconds() for queued, sent in uow.session.exec(
        select(OutboxRecord.created_at, OutboxRecord.sent_at)
        .where(col(OutboxRecord.sent_at).is_not(None), col(OutboxRecord.broadcast_id).is_(None))
        .order_by(col(OutboxRecord.id).desc()).limit(RECENT)).all()
        if queued is not None and sent is not None]
    for roles, alive in uow.session.exec(select(WorkerProcess.roles, func.count()).where(
            col(WorkerProcess.seen_at) >= now - DEAD_AFTER).group_by(
            col(WorkerProcess.roles))).all():
        found.workers[roles] = int(alive)
    for key, pauses in uow.session.exec(select(SendPace.key, SendPace.pauses).where(
            col(SendPace.pauses) > 0)).all():
        found.pauses[key] = int(pauses)
    return found


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0

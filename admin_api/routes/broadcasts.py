"""Announcements: send one to an audience now or at a set time, follow its progress, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import col, select

from admin_api import schemas
from admin_api.deps import ReaderDep, RowId, StaffDep, UowDep, visible_commune
from admin_api.errors import DocumentedRoute
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Audience, Broadcast
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["broadcasts"], route_class=DocumentedRoute)


def _public(uow: UnitOfWork, row: Broadcast) -> schemas.BroadcastPublic:
    assert row.id is not None
    done = broadcasts.progress(uow=uow, broadcast_id=row.id)
    return schemas.BroadcastPublic(
        **row.model_dump(exclude={"progress"}),
        progress=schemas.BroadcastProgressPublic(waiting=done.waiting, sent=done.sent,
                                                 delivered=done.delivered, failed=done.failed))


def _visible(uow: UnitOfWork, moderator: Moderator, broadcast_id: int) -> Broadcast:
    row = uow.session.get(Broadcast, broadcast_id)
    if row is None or not moderation.may_see(moderator, row.commune_id):
        raise HTTPException(404, f"No broadcast {broadcast_id}.")
    return row


@router.post("/broadcasts", response_model=schemas.BroadcastPublic, status_code=201)
def create_broadcast(body: schemas.BroadcastIn, uow: UowDep,
                     moderator: StaffDep) -> schemas.BroadcastPublic:
    """Announce something to a commune, an arrondissement (citizens who reported from it) or a
    topic's followers (`council`, `project:12`…), now or at `send_at`. Citizens who opted out
    are left out; outside WhatsApp's 24-hour window the `announcement` template is used; non-
    urgent announcements wait for 07:00 during quiet hours."""
    commune = visible_commune(uow, moderator, body.commune_id)
    row = broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
        commune_id=commune, text=body.text, created_by=moderator.name,
        audience=Audience(body.audience), arrondissement_id=body.arrondissement_id,
        topic=body.topic, send_at=body.send_at, urgent=body.urgent))
    moderation.record(uow=uow, moderator=moderator, action="broadcast_created",
                      target_type="broadcast", target_id=str(row.id), commune_id=commune,
                      after={"audience": row.audience, "send_at": row.send_at.isoformat(),
                             "recipients": row.recipients, "urgent": row.urgent})
    uow.commit()
    return _public(uow, row)


@router.get("/broadcasts", response_model=list[schemas.BroadcastPublic])
def list_broadcasts(uow: UowDep, moderator: ReaderDep,
                    commune: Annotated[str | None, Query(max_length=16)] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    ) -> list[schemas.BroadcastPublic]:
    """Announcements, newest first, with their progress."""
    query = select(Broadcast)
    visible = moderation.communes_visible_to(moderator)
    if visible is not None:
        query = query.where(col(Broadcast.commune_id).in_(visible))
    if commune:
        query = query.where(Broadcast.commune_id == commune)
    rows = uow.session.exec(query.order_by(col(Broadcast.id).desc()).limit(limit)).all()
    return [_public(uow, row) for row in rows]


@router.get("/broadcasts/{broadcast_id}", response_model=schemas.BroadcastPublic)
def get_broadcast(broadcast_id: RowId, uow: UowDep,
                  moderator: ReaderDep) -> schemas.BroadcastPublic:
    """One announcement and how far its messages got (waiting, sent, delivered, failed)."""
    return _public(uow, _visible(uow, moderator, broadcast_id))


@router.post("/broadcasts/{broadcast_id}/cancel", response_model=schemas.BroadcastPublic)
def cancel_broadcast(broadcast_id: RowId, uow: UowDep,
                     moderator: StaffDep) -> schemas.BroadcastPublic:
    """Stop an announcement: not sent if scheduled; its messages still waiting are dropped."""
    row = _visible(uow, moderator, broadcast_id)
    before = row.status
    broadcasts.cancel(uow=uow, broadcast_id=broadcast_id)
    moderation.record(uow=uow, moderator=moderator, action="broadcast_cancelled",
                      target_type="broadcast", target_id=str(broadcast_id),
                      commune_id=row.commune_id, before={"status": before},
                      after={"status": row.status})
    uow.commit()
    return _public(uow, row)

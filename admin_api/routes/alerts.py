"""The moderators' alert feed: what Palabre raised for their communes (submissions left
untriaged, problems citizens say are not solved), with how many they have not seen yet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from admin_api import schemas
from admin_api.deps import StaffDep, UowDep
from admin_api.errors import DocumentedRoute
from core.moderation import alerts
from core.moderation.models import Alert, Moderator

router = APIRouter(prefix="/api/v1", tags=["alerts"], route_class=DocumentedRoute)


def _public(row: Alert, moderator: Moderator) -> schemas.AlertPublic:
    assert row.id is not None
    details = {k: v for k, v in row.params.items() if k != "count"}
    return schemas.AlertPublic(id=row.id, commune_id=row.commune_id, kind=row.kind,
                               references=row.references,
                               count=int(row.params.get("count", len(row.references))),
                               details=details, created_at=row.created_at,
                               seen=row.id <= moderator.alerts_seen_up_to)


@router.get("/alerts", response_model=schemas.AlertFeed)
def feed(uow: UowDep, moderator: StaffDep,
         after: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
         limit: Annotated[int, Query(ge=1, le=200)] = 50) -> schemas.AlertFeed:
    """The alerts of the communes this moderator works on, newest first; `after` is the
    cursor of the previous page."""
    rows = alerts.feed(uow=uow, moderator=moderator, after=after, limit=limit)
    return schemas.AlertFeed(alerts=[_public(row, moderator) for row in rows],
                             unseen=alerts.unseen(uow=uow, moderator=moderator),
                             next_cursor=rows[-1].id if len(rows) == limit else None)


@router.post("/alerts/seen", response_model=schemas.AlertFeed)
def seen(body: schemas.AlertsSeenIn, uow: UowDep, moderator: StaffDep) -> schemas.AlertFeed:
    """Every alert up to this one is seen by this moderator (the unseen count drops)."""
    alerts.mark_seen(uow=uow, moderator=moderator, up_to=body.up_to)
    uow.commit()
    return feed(uow, moderator)

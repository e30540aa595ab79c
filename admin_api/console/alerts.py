"""The alert feed in the console: what Palabre raised for the moderator's communes (items
left untriaged past the delay, problems citizens say are not solved), newest first, the
unseen ones marked; opening the page marks them seen, and the header's count drops."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from admin_api.console.auth import SignedInDep
from admin_api.console.pages import render
from admin_api.deps import UowDep
from core.moderation import alerts

router = APIRouter(prefix="/console/alerts", include_in_schema=False)
PAGE = 50


@router.get("", response_class=HTMLResponse)
def feed(request: Request, uow: UowDep, moderator: SignedInDep,
         after: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0) -> HTMLResponse:
    seen_before = moderator.alerts_seen_up_to
    rows = alerts.feed(uow=uow, moderator=moderator, after=after, limit=PAGE)
    if rows and not after:
        alerts.mark_seen(uow=uow, moderator=moderator, up_to=rows[0].id or 0)
        uow.commit()
        request.state.unseen_alerts = alerts.unseen(uow=uow, moderator=moderator)
    return render(request, "alerts.html", moderator=moderator, rows=rows,
                  seen_before=seen_before,
                  next_cursor=rows[-1].id if len(rows) == PAGE else None)

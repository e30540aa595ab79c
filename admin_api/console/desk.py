"""The triage desk's inbox: folders with their counts, the search box and the filters, keyset
pages, and rows that say what a moderator needs to choose what to open next."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import col, func, select

from admin_api.console.auth import SignedInDep
from admin_api.console.pages import render, words
from admin_api.deps import UowDep
from core.communes.models import Arrondissement, Category, label
from core.messages.models import Attachment
from core.moderation.models import Moderator
from core.moderation.service import communes_visible_to
from core.submissions.inbox import MAX_PAGE, InboxFilter, count, inbox
from core.submissions.models import Kind, Priority, Status, Submission
from core.submissions.scheduled import OVERDUE
from core.uow import UnitOfWork

router = APIRouter(prefix="/console", include_in_schema=False)

OPEN = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED)
FOLDERS = ("all", "new", "mine", "unassigned", "overdue", "reopened")
PAGE = 50


@dataclass(frozen=True)
class Row:
    """One line of the inbox, as a moderator reads it."""

    item: Submission
    category: str
    place: str
    overdue: bool
    claimed: str | None  # who holds it, while their claim lasts
    photo: bool
    voice: bool


def folder_filter(folder: str, moderator: Moderator) -> InboxFilter:
    """The filter behind a folder, within the moderator's communes."""
    mine = InboxFilter(communes=communes_visible_to(moderator))
    return {
        "new": replace(mine, statuses=(Status.NEW,)),
        "mine": replace(mine, assignee_id=moderator.id, statuses=OPEN),
        "unassigned": replace(mine, unassigned=True, statuses=OPEN),
        "overdue": replace(mine, label=OVERDUE, statuses=OPEN),
        "reopened": replace(mine, statuses=(Status.REOPENED,)),
    }.get(folder, mine)


@router.get("/", response_class=HTMLResponse)
def inbox_page(request: Request, uow: UowDep, moderator: SignedInDep,
               folder: Annotated[str, Query(max_length=20)] = "all",
               q: Annotated[str | None, Query(max_length=200)] = None,
               status: Annotated[str, Query(max_length=20)] = "",
               kind: Annotated[str, Query(max_length=20)] = "",
               cursor: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    """A folder's submissions, newest first, narrowed by the search box and the filters."""
    folder = folder if folder in FOLDERS else "all"
    wanted = filtered(folder, moderator, q, status, kind)
    page = inbox(uow=uow, wanted=wanted, limit=min(PAGE, MAX_PAGE), cursor=cursor)
    language = words(request).language
    counts = {name: count(uow=uow, wanted=folder_filter(name, moderator)) for name in FOLDERS}
    matching = count(uow=uow, wanted=wanted)
    return render(request, "inbox.html", moderator=moderator, folder=folder, counts=counts,
                  rows=rows_of(uow, page.items, language),
                  next_cursor=page.next_cursor,
                  q=q or "", status=Status(status) if status in set(Status) else None,
                  kind=Kind(kind) if kind in set(Kind) else None, statuses=list(Status),
                  kinds=list(Kind),
                  priorities=list(Priority), matching=matching,
                  newest=_newest(uow))


@router.get("/poll")
def poll(request: Request, uow: UowDep, moderator: SignedInDep,
         after: Annotated[int, Query(ge=0, le=2_147_483_647)],
         folder: Annotated[str, Query(max_length=20)] = "all",
         q: Annotated[str | None, Query(max_length=200)] = None,
         status: Annotated[str, Query(max_length=20)] = "",
         kind: Annotated[str, Query(max_length=20)] = "") -> Response:
    """How many items of the page's filter arrived after its newest one (the page's script
    asks every half minute; unchanged, the answer is an empty 304)."""
    wanted = filtered(folder, moderator, q, status, kind)
    arrived = count(uow=uow, wanted=wanted, after_id=after)
    tag = f'"{arrived}"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": "no-cache"})
    return JSONResponse({"new": arrived}, headers={"ETag": tag, "Cache-Control": "no-cache"})


def _newest(uow: UnitOfWork) -> int:
    """The id of the newest submission (what arrives later has a greater one)."""
    return int(uow.session.exec(select(func.max(Submission.id))).one() or 0)


def filtered(folder: str, moderator: Moderator, q: str | None, status: str,
              kind: str) -> InboxFilter:
    """The folder's filter narrowed by the search box and the filters (an empty or unknown
    status or kind, as a form's "any" sends it, narrows nothing)."""
    wanted = replace(folder_filter(folder if folder in FOLDERS else "all", moderator),
                     text=(q or "").strip() or None)
    if status in set(Status):
        wanted = replace(wanted, statuses=(Status(status),))
    if kind in set(Kind):
        wanted = replace(wanted, kinds=(Kind(kind),))
    return wanted


def rows_of(uow: UnitOfWork, items: list[Submission], language: str) -> list[Row]:
    """The lines of a page, with a fixed number of queries whatever its length."""
    categories = _by_id(uow, Category, {i.category_id for i in items})
    places = _by_id(uow, Arrondissement, {i.arrondissement_id for i in items})
    now = uow.clock.now()
    holders = _by_id(uow, Moderator, {i.claimed_by_id for i in items
                                      if i.claimed_until and i.claimed_until > now})
    files = _file_kinds(uow, [i.id for i in items if i.id is not None])
    return [Row(item=i, overdue=OVERDUE in i.labels,
                category=label(categories[i.category_id].names, language)
                if i.category_id in categories else "",
                place=places[i.arrondissement_id].name if i.arrondissement_id in places
                else i.place_text or "",
                claimed=holders[i.claimed_by_id].name if i.claimed_by_id in holders else None,
                photo="photo" in files.get(i.id, ()),
                voice=bool({"voice", "audio"} & files.get(i.id, set())))
            for i in items]


def _by_id(uow: UnitOfWork, table: Any, ids: set[Any]) -> dict[Any, Any]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in uow.session.exec(select(table).where(
        col(table.id).in_(wanted))).all()}


def _file_kinds(uow: UnitOfWork, ids: list[int]) -> dict[int, set[str]]:
    kinds: dict[int, set[str]] = {}
    if ids:
        for submission_id, kind in uow.session.exec(select(
                Attachment.submission_id, Attachment.kind).where(
                col(Attachment.submission_id).in_(ids)).distinct()).all():
            kinds.setdefault(submission_id, set()).add(kind)
    return kinds

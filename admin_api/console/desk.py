"""The triage desk's inbox: folders with their counts, the search box and the filters, keyset
pages, and rows that say what a moderator needs to choose what to open next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import col, func, select

from admin_api.console.asked import FOLDERS, MOST, Asked, asked, folder_filter
from admin_api.console.auth import ReaderDep, SignedInDep
from admin_api.console.pages import redirect, render, words
from admin_api.deps import UowDep
from core.communes.models import Arrondissement, Category, Commune, label
from core.messages.models import Attachment
from core.moderation.models import Moderator, Role
from core.moderation.service import communes_visible_to, list_moderators
from core.submissions.inbox import MAX_PAGE, count, inbox
from core.submissions.models import Kind, Priority, Status, Submission
from core.submissions.scheduled import OVERDUE
from core.uow import UnitOfWork

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = 50
COUNTED = 1000  # a search's matches are counted up to this; past it, "more than 1,000"
AskedDep = Annotated[Asked, Depends(asked)]


@dataclass(frozen=True)
class Row:
    """One line of the inbox, as a moderator reads it."""

    item: Submission
    category: str
    place: str
    overdue: bool  # still new past the escalation delay, or labelled so
    claimed: str | None  # who holds it, while their claim lasts
    photo: bool
    voice: bool
    age: tuple[str, int]  # ("hours", 3): how long ago it came in, as `age_of` says it


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the categories, arrondissements and colleagues of the
    moderator's communes."""

    categories: list[tuple[int, str]]
    arrondissements: list[tuple[str, str]]
    colleagues: list[tuple[int, str]]


@router.get("/", response_class=HTMLResponse)
def inbox_page(request: Request, uow: UowDep, moderator: ReaderDep, wanted: AskedDep,
               cursor: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """A folder's submissions, newest first, narrowed by the search box and the filters (an
    analyst, who reads no submission, lands on the figures)."""
    if moderator.role == Role.ANALYST:
        return redirect(request, "/console/dashboard")
    narrowed = wanted.filter(moderator)
    page = inbox(uow=uow, wanted=narrowed, limit=min(PAGE, MAX_PAGE), cursor=cursor)
    language = words(request).language
    folders = {name: count(uow=uow, wanted=folder_filter(name, moderator)) for name in FOLDERS}
    matching = folders[wanted.folder] if not (wanted.narrowed() or wanted.q.strip()) \
        else count(uow=uow, wanted=narrowed, at_most=COUNTED)
    return render(request, "inbox.html", moderator=moderator, asked=wanted, counts=folders,
                  rows=rows_of(uow, page.items, language, overdue_after(request)),
                  next_cursor=page.next_cursor, matching=matching, counted=COUNTED,
                  most=MOST,
                  newest=_newest(uow), choices=_choices(uow, moderator, language),
                  statuses=list(Status), kinds=list(Kind), priorities=list(Priority))


@router.get("/poll")
def poll(request: Request, uow: UowDep, moderator: SignedInDep, wanted: AskedDep,
         after: Annotated[int, Query(ge=0, le=2_147_483_647)]) -> Response:
    """How many items of the page's filter arrived after its newest one (the page's script
    asks every half minute; unchanged, the answer is an empty 304)."""
    arrived = count(uow=uow, wanted=wanted.filter(moderator), after_id=after)
    tag = f'"{arrived}"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": "no-cache"})
    return JSONResponse({"new": arrived}, headers={"ETag": tag, "Cache-Control": "no-cache"})


def overdue_after(request: Request) -> timedelta:
    """How long an item may stay new before it is overdue (PALABRE_ESCALATION_HOURS)."""
    return timedelta(hours=getattr(request.app.state, "escalation_hours", 48))


def _newest(uow: UnitOfWork) -> int:
    """The id of the newest submission (what arrives later has a greater one)."""
    return int(uow.session.exec(select(func.max(Submission.id))).one() or 0)


def _choices(uow: UnitOfWork, moderator: Moderator, language: str) -> Choices:
    communes = communes_visible_to(moderator)
    categories = select(Category).where(col(Category.active)).order_by(col(Category.position))
    places = select(Arrondissement).order_by(col(Arrondissement.name))
    if communes is not None:
        categories = categories.where(col(Category.commune_id).in_(sorted(communes)))
        places = places.where(col(Arrondissement.commune_id).in_(sorted(communes)))
    else:
        enabled = select(Commune.id).where(col(Commune.enabled))
        categories = categories.where(col(Category.commune_id).in_(enabled))
        places = places.where(col(Arrondissement.commune_id).in_(enabled))
    colleagues = [m for m in list_moderators(uow=uow) if m.active and m.id is not None and
                  m.role in (Role.ADMIN, Role.MODERATOR) and
                  (communes is None or set(m.communes) & communes or m.role == Role.ADMIN)]
    return Choices(
        categories=[(c.id or 0, label(c.names, language)) for c in uow.session.exec(
            categories).all()],
        arrondissements=[(a.id, a.name) for a in uow.session.exec(places).all()],
        colleagues=[(m.id or 0, m.name) for m in colleagues])


def rows_of(uow: UnitOfWork, items: list[Submission], language: str,
            overdue: timedelta) -> list[Row]:
    """The lines of a page, with a fixed number of queries whatever its length."""
    categories = by_id(uow, Category, {i.category_id for i in items})
    places = by_id(uow, Arrondissement, {i.arrondissement_id for i in items})
    now = uow.clock.now()
    holders = by_id(uow, Moderator, {i.claimed_by_id for i in items
                                      if i.claimed_until and i.claimed_until > now})
    files = _file_kinds(uow, [i.id for i in items if i.id is not None])
    late = now - overdue
    return [Row(item=i, overdue=OVERDUE in i.labels or (i.status == Status.NEW and
                                                       i.created_at <= late),
                category=label(categories[i.category_id].names, language)
                if i.category_id in categories else "",
                place=places[i.arrondissement_id].name if i.arrondissement_id in places
                else i.place_text or "",
                claimed=holders[i.claimed_by_id].name if i.claimed_by_id in holders else None,
                photo="photo" in files.get(i.id, ()),
                voice=bool({"voice", "audio"} & files.get(i.id, set())),
                age=age_of(i.created_at, now))
            for i in items]


def age_of(since: datetime, now: datetime) -> tuple[str, int]:
    """How long ago, in the unit a person would say it: ("now", 0), ("minutes", 12),
    ("hours", 5) up to two days, then ("days", 3)."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return "now", 0
    if minutes < 60:
        return "minutes", minutes
    if minutes < 48 * 60:
        return "hours", minutes // 60
    return "days", minutes // (24 * 60)


def by_id(uow: UnitOfWork, table: Any, ids: set[Any]) -> dict[Any, Any]:
    """The rows of `table` with these ids, by id, in one query."""
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

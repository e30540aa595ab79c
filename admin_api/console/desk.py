"""The triage desk: the inbox with its folders and filters, one submission with its
conversation, and what a moderator does to it. Every write goes through the same core
services as the API (audited, the lifecycle's rules applied, the citizen told)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import col, select

from admin_api import privacy
from admin_api.console.auth import SignedInDep
from admin_api.console.pages import check_csrf, redirect, render, words
from admin_api.deps import UowDep
from core.communes.models import Arrondissement, Category, label
from core.messages.models import Attachment
from core.moderation.models import Moderator
from core.moderation.service import canned_replies, communes_visible_to, may_see
from core.submissions import triage
from core.submissions.inbox import MAX_PAGE, InboxFilter, count, inbox
from core.submissions.models import Kind, Status, Submission
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
               status: Annotated[Status | None, Query()] = None,
               kind: Annotated[Kind | None, Query()] = None,
               cursor: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    """A folder's submissions, newest first, narrowed by the search box and the filters."""
    folder = folder if folder in FOLDERS else "all"
    wanted = replace(folder_filter(folder, moderator), text=(q or "").strip() or None)
    if status:
        wanted = replace(wanted, statuses=(status,))
    if kind:
        wanted = replace(wanted, kinds=(kind,))
    page = inbox(uow=uow, wanted=wanted, limit=min(PAGE, MAX_PAGE), cursor=cursor)
    language = words(request).language
    counts = {name: count(uow=uow, wanted=folder_filter(name, moderator)) for name in FOLDERS}
    return render(request, "inbox.html", moderator=moderator, folder=folder, counts=counts,
                  rows=rows_of(uow, page.items, language),
                  next_cursor=page.next_cursor,
                  q=q or "", status=status, kind=kind, statuses=list(Status), kinds=list(Kind))


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


@router.get("/s/{reference}", response_class=HTMLResponse)
def submission_page(request: Request, reference: str, uow: UowDep,
                    moderator: SignedInDep) -> HTMLResponse:
    """One submission: its facts, files, conversation and history, and the forms to act."""
    item = triage.visible(uow=uow, moderator=moderator, reference=reference)
    detail = privacy.submission_detail(uow, moderator, item)
    return render(request, "submission.html", moderator=moderator, item=detail,
                  row=rows_of(uow, [item], words(request).language)[0],
                  statuses=list(Status),
                  replies=canned_replies(uow=uow, commune_id=item.commune_id),
                  notice=request.query_params.get("done"))


@router.post("/s/{reference}/status")
def change_status(request: Request, reference: str, uow: UowDep, moderator: SignedInDep,
                  status: Annotated[Status, Form()],
                  public_note: Annotated[str, Form(max_length=1000)] = "",
                  internal_note: Annotated[str, Form(max_length=4000)] = "",
                  csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    return _act(request, uow, moderator, reference, "status", triage.change_status,
                status=status, public_note=public_note.strip() or None,
                internal_note=internal_note.strip() or None)


@router.post("/s/{reference}/reply")
def reply(request: Request, reference: str, uow: UowDep, moderator: SignedInDep,
          text: Annotated[str, Form(max_length=2000)] = "",
          canned: Annotated[str, Form(max_length=2000)] = "",
          csrf: Annotated[str | None, Form()] = None) -> Response:
    """Send the text written, or the canned reply chosen when nothing was written."""
    check_csrf(request, csrf)
    said = text.strip() or canned.strip()
    if not said:
        raise HTTPException(422, "reply.empty")
    return _act(request, uow, moderator, reference, "reply", triage.reply, text=said)


@router.post("/s/{reference}/claim")
def claim(request: Request, reference: str, uow: UowDep, moderator: SignedInDep,
          csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    return _act(request, uow, moderator, reference, "claim", triage.claim)


def _act(request: Request, uow: UnitOfWork, moderator: Moderator, reference: str, done: str,
         action: Any, **arguments: Any) -> Response:
    found = action(uow=uow, moderator=moderator, reference=reference, **arguments)
    uow.commit()
    return redirect(request, f"/console/s/{found.reference}?done={done}")


@router.get("/files/{attachment_id}")
def attachment_file(attachment_id: int, uow: UowDep, moderator: SignedInDep) -> FileResponse:
    """A photo or voice note of a submission the moderator may see."""
    attachment = uow.session.get(Attachment, attachment_id) if attachment_id < 2**31 else None
    item = (uow.session.get(Submission, attachment.submission_id)
            if attachment is not None and attachment.submission_id else None)
    if attachment is None or item is None or not may_see(moderator, item.commune_id) or \
            attachment.erased_at is not None:
        raise HTTPException(404, "file.missing")
    path = uow.media.absolute(attachment.path)
    if not path.exists():
        raise HTTPException(404, "file.missing")
    return FileResponse(path, media_type=attachment.content_type.split(";")[0],
                        headers={"Cache-Control": "private, max-age=3600",
                                 "Content-Security-Policy": "default-src 'none'; sandbox",
                                 "X-Content-Type-Options": "nosniff"})

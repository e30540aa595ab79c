"""One submission on the desk: its facts, files, conversation, similar reports nearby,
history and audit, and every action a moderator takes on it. Each action goes through core's
triage services as the API's do (audited, the lifecycle's rules applied, the citizen told),
then shows the page again (a reload does not act twice)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.exc import IntegrityError

from admin_api import privacy
from admin_api.console.auth import SignedInDep
from admin_api.console.desk import overdue_after, rows_of
from admin_api.console.minimap import MiniMap, minimap
from admin_api.console.pages import check_csrf, redirect, render, with_pictures_from, words
from admin_api.console.thumbnails import thumbnail
from admin_api.deps import UowDep
from core import languages
from core.geo import Point
from core.messages.models import Attachment
from core.moderation import once
from core.moderation.models import Moderator
from core.moderation.service import audit_trail, canned_replies, communes_visible_to, may_see
from core.submissions import service as submissions
from core.submissions import triage
from core.submissions.models import Kind, Priority, Status, Submission
from core.transcripts import corrections
from core.uow import UnitOfWork

router = APIRouter(prefix="/console", include_in_schema=False)


def sent_form(request: Request, csrf: Annotated[str | None, Form()] = None,
              once: Annotated[str, Form(max_length=64)] = "") -> str:
    """A form of this console (its CSRF token checked); the nonce that makes it act once."""
    check_csrf(request, csrf)
    if not once:
        raise HTTPException(403, "csrf")
    return once


SentDep = Annotated[str, Depends(sent_form)]


@router.get("/s/{reference}", response_class=HTMLResponse)
def submission_page(request: Request, reference: str, uow: UowDep,
                    moderator: SignedInDep) -> HTMLResponse:
    """One submission: its facts, files, conversation and history, and the forms to act."""
    item = triage.visible(uow=uow, moderator=moderator, reference=reference)
    similar = _similar(uow, item)
    tiles: str = getattr(request.app.state, "map_tiles", "")
    page = render(request, "submission.html", moderator=moderator,
                  item=privacy.submission_detail(uow, moderator, item),
                  row=rows_of(uow, [item], words(request).language, overdue_after(request))[0],
                  statuses=list(Status), priorities=list(Priority),
                  replies=canned_replies(uow=uow, commune_id=item.commune_id),
                  similar=similar, mine=item.claimed_by_id == moderator.id,
                  minimap=_minimap(item, similar, tiles), tiles_by=_tiles_by(tiles),
                  audit=audit_trail(uow=uow, communes=communes_visible_to(moderator),
                                    target_id=item.reference, limit=20),
                  notice=request.query_params.get("done"))
    return with_pictures_from(page, tiles)


def _minimap(item: Submission, similar: list[Submission], tiles: str) -> MiniMap | None:
    if item.latitude is None or item.longitude is None:
        return None
    return minimap(item.reference, item.status, item.latitude, item.longitude,
                   [(o.reference, o.status, o.latitude, o.longitude) for o in similar
                    if o.latitude is not None and o.longitude is not None], tiles)


def _tiles_by(tiles: str) -> str:
    """Whom the map's tiles are owed to, for the credit under them."""
    host = urlsplit(tiles).hostname or ""
    return "OpenStreetMap" if host.endswith("openstreetmap.org") else host


def _similar(uow: UnitOfWork, item: Submission) -> list[Submission]:
    """Open reports of the same category nearby, into which this one may be merged."""
    if item.kind != Kind.REPORT or item.category_id is None or item.duplicate_of_id:
        return []
    place = Point(item.latitude, item.longitude) if item.latitude is not None and \
        item.longitude is not None else None
    found = submissions.similar_open_reports(
        uow=uow, commune_id=item.commune_id, category_id=item.category_id, location=place,
        arrondissement_id=item.arrondissement_id, limit=6)
    return [other for other in found if other.id != item.id][:5]


@router.post("/s/{reference}/status")
def change_status(request: Request, reference: str, uow: UowDep, moderator: SignedInDep,
                  sent: SentDep,
                  status: Annotated[Status, Form()],
                  public_note: Annotated[str, Form(max_length=1000)] = "",
                  internal_note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    return _act(request, uow, moderator, reference, sent, "status", triage.change_status,
                status=status, public_note=public_note.strip() or None,
                internal_note=internal_note.strip() or None)


@router.post("/s/{reference}/reply")
def reply(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
          text: Annotated[str, Form(max_length=2000)] = "",
          canned: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Send the text written, or the canned reply chosen when nothing was written."""
    said = text.strip() or canned.strip()
    if not said:
        raise HTTPException(422, "reply.empty")
    return _act(request, uow, moderator, reference, sent, "reply", triage.reply, text=said)


@router.post("/s/{reference}/note")
def note(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
         text: Annotated[str, Form(min_length=1, max_length=4000)]) -> Response:
    return _act(request, uow, moderator, reference, sent, "note", triage.note, text=text.strip())


@router.post("/s/{reference}/claim")
def claim(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
          release: Annotated[bool, Form()] = False) -> Response:
    if release:
        return _act(request, uow, moderator, reference, sent, "release", triage.release)
    return _act(request, uow, moderator, reference, sent, "claim", triage.claim)


@router.post("/s/{reference}/assignee")
def assign(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
           assignee: Annotated[str, Form(max_length=80)] = "") -> Response:
    """Assign to a colleague by name ("me" for oneself), or to nobody."""
    owner = moderator.name if assignee.strip() == "me" else assignee.strip() or None
    return _act(request, uow, moderator, reference, sent, "assign", triage.assign, assignee=owner)


@router.post("/s/{reference}/priority")
def priority(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
             value: Annotated[Priority, Form()]) -> Response:
    return _act(request, uow, moderator, reference, sent, "priority", triage.set_priority,
                priority=value)


@router.post("/s/{reference}/labels")
def labels(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
           value: Annotated[str, Form(max_length=500)] = "") -> Response:
    """The labels, written separated by commas."""
    return _act(request, uow, moderator, reference, sent, "labels", triage.set_labels,
                labels=[part for part in value.split(",") if part.strip()])


@router.post("/s/{reference}/hidden")
def hidden(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
           value: Annotated[bool, Form()]) -> Response:
    return _act(request, uow, moderator, reference, sent, "hidden", triage.hide, hidden=value)


@router.post("/s/{reference}/blocked")
def blocked(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
            value: Annotated[bool, Form()]) -> Response:
    return _act(request, uow, moderator, reference, sent, "blocked", triage.set_blocked,
                blocked=value)


@router.post("/s/{reference}/merge")
def merge(request: Request, reference: str, uow: UowDep, moderator: SignedInDep, sent: SentDep,
          into: Annotated[str, Form(max_length=40)]) -> Response:
    return _act(request, uow, moderator, reference, sent, "merge", triage.merge, into=into.strip())


@router.post("/s/{reference}/transcripts/{attachment_id}")
def transcript(request: Request, reference: str, attachment_id: int, uow: UowDep,
               moderator: SignedInDep, sent: SentDep,
               text: Annotated[str, Form(max_length=4000)] = "",
               language: Annotated[str, Form(max_length=8)] = "") -> Response:
    """A voice note's transcript as the moderator heard it, kept beside the machine's."""
    if not text.strip():
        raise HTTPException(422, "transcript.empty")
    if language.strip() and not languages.is_code(language.strip().lower()):
        raise HTTPException(422, "transcript.language")
    return _act(request, uow, moderator, reference, sent, "transcript", corrections.correct,
                attachment_id=attachment_id, text=text, language=language)


def _act(request: Request, uow: UnitOfWork, moderator: Moderator, reference: str, nonce: str,
         done: str, action: Any, **arguments: Any) -> Response:
    """Do what the form asks, once: the same form sent again shows the result."""
    shown = triage.visible(uow=uow, moderator=moderator, reference=reference).reference
    if once.first_use(uow=uow, moderator=moderator, nonce=nonce):
        action(uow=uow, moderator=moderator, reference=reference, **arguments)
        try:
            uow.commit()
        except IntegrityError:  # the same form, sent twice at once: the other copy acted
            uow.rollback()
    return redirect(request, f"/console/s/{shown}?done={done}")


@router.get("/files/{attachment_id}")
def attachment_file(attachment_id: int, uow: UowDep, moderator: SignedInDep,
                    size: Annotated[str, Query(pattern="^(full|thumb)$")] = "full"
                    ) -> Response:
    """A photo (or its thumbnail) or a voice note of a submission the moderator may see."""
    attachment = uow.session.get(Attachment, attachment_id) if attachment_id < 2**31 else None
    item = (uow.session.get(Submission, attachment.submission_id)
            if attachment is not None and attachment.submission_id else None)
    if attachment is None or item is None or not may_see(moderator, item.commune_id) or \
            attachment.erased_at is not None:
        raise HTTPException(404, "file.missing")
    path = uow.media.absolute(attachment.path)
    if not path.exists():
        raise HTTPException(404, "file.missing")
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if size == "thumb" and attachment.kind == "photo":
        small = thumbnail(path)
        if small is not None:
            return Response(small, media_type="image/jpeg", headers=headers)
    return FileResponse(path, media_type=attachment.content_type.split(";")[0],
                        headers=headers)

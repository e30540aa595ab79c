"""The commune's public documents in the console: publish a file (known by its content, not
by what the browser calls it) or a link, with its kind, year, title and a summary per
language; list and withdraw; and, for each one, what a citizen receives on each channel in
each language. Through core.documents, audited as the API's routes are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from admin_api.console.auth import SignedInDep
from admin_api.console.communes import chosen_commune, communes_row
from admin_api.console.item import SentDep
from admin_api.console.pages import redirect, render
from admin_api.deps import UowDep
from core import errors
from core.communes.models import Commune
from core.documents import service as documents
from core.documents.models import Document, DocumentKind
from core.moderation import once
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.uow import UnitOfWork

router = APIRouter(prefix="/console/documents", include_in_schema=False)
LANGUAGES = ("fr", "en")  # the summaries asked for (French required by the bot's catalog)


@dataclass(frozen=True)
class Typed:
    """The publishing form as typed, kept when something is refused."""

    kind: str = DocumentKind.BUDGET.value
    year: str = ""
    title: str = ""
    url: str = ""
    fr: str = ""
    en: str = ""


@router.get("", response_class=HTMLResponse)
def listing(request: Request, uow: UowDep, moderator: SignedInDep,
            commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    chosen, mine = chosen_commune(uow, moderator, commune)
    return _page(request, uow, moderator, chosen, mine,
                 Typed(year=str(uow.clock.now().year)))


@router.post("", response_class=HTMLResponse)
def publish(request: Request, uow: UowDep, moderator: SignedInDep, sent: SentDep,
            commune: Annotated[str, Form(max_length=16)],
            kind: Annotated[str, Form(max_length=32)],
            year: Annotated[str, Form(max_length=8)],
            title: Annotated[str, Form(max_length=300)],
            file: UploadFile | None = None,
            url: Annotated[str, Form(max_length=1000)] = "",
            fr: Annotated[str, Form(max_length=600)] = "",
            en: Annotated[str, Form(max_length=600)] = "") -> Response:
    """Publish a file or a link (once, however often the form is sent)."""
    chosen, mine = chosen_commune(uow, moderator, commune, strict=True)
    typed = Typed(kind, year, title, url, fr, en)
    data = file.file.read(documents.MAX_BYTES + 1) if file is not None and file.filename \
        else None
    try:
        new = documents.NewDocument(
            commune_id=chosen.id, kind=_kind(kind), year=_year(year), title=title,
            published_by=moderator.name, url=url.strip() or None, data=data,
            filename=file.filename if file is not None else None,
            content_type=file.content_type if file is not None else None,
            summaries={"fr": fr, "en": en})
        if not once.first_use(uow=uow, moderator=moderator, nonce=sent):
            return redirect(request, f"/console/documents?commune={chosen.id}")
        row = documents.publish(uow=uow, new=new)
    except errors.Invalid as refused:
        uow.rollback()
        return _page(request, uow, moderator, chosen, mine, typed, refused=refused,
                     status_code=422)
    moderation.record(uow=uow, moderator=moderator, action="document_published",
                      target_type="document", target_id=str(row.id), commune_id=chosen.id,
                      after={"kind": row.kind, "year": row.year, "title": row.title})
    uow.commit()
    return redirect(request, f"/console/documents/{row.id}?done=published")


@router.get("/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: int, uow: UowDep,
                  moderator: SignedInDep) -> HTMLResponse:
    """One document and what citizens receive with it, on each channel, in each language."""
    row = communes_row(uow, moderator, Document, document_id)
    public_url: str = getattr(request.app.state, "public_url", "")
    return render(request, "document.html", moderator=moderator, row=row,
                  messages={lang: documents.message_for(row, lang) for lang in LANGUAGES},
                  channels=getattr(request.app.state, "channels", ["console"]),
                  file_address=public_url.rstrip("/") + documents.PUBLIC_PATH.format(
                      id=row.id) if public_url and row.media_path else "",
                  notice=request.query_params.get("done"))


@router.post("/{document_id}/withdraw")
def withdraw(request: Request, document_id: int, uow: UowDep, moderator: SignedInDep,
             sent: SentDep) -> Response:
    """No longer offered by the bot (the stored file stays for the audit trail)."""
    row = communes_row(uow, moderator, Document, document_id)
    commune = row.commune_id
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        moderation.record(uow=uow, moderator=moderator, action="document_withdrawn",
                          target_type="document", target_id=str(document_id),
                          commune_id=commune, before={"title": row.title})
        uow.session.delete(row)
        uow.commit()
    return redirect(request, f"/console/documents?commune={commune}&done=withdrawn")


def _page(request: Request, uow: UnitOfWork, moderator: Moderator, chosen: Commune,
          mine: list[Commune], typed: Typed, *, refused: errors.Invalid | None = None,
          status_code: int = 200) -> HTMLResponse:
    rows = uow.session.exec(select(Document).where(Document.commune_id == chosen.id)
                            .order_by(col(Document.year).desc(), col(Document.id).desc())
                            .limit(100)).all()
    return render(request, "documents.html", status_code=status_code, moderator=moderator,
                  commune=chosen, communes=mine, rows=rows, typed=typed,
                  kinds=list(DocumentKind), most_mb=documents.MAX_BYTES // 1_000_000,
                  refused_field=refused.details.get("field", "file") if refused else None,
                  refused_reason=refused.details.get("reason", "invalid") if refused else None,
                  refused_expected=refused.details.get("expected", "") if refused else "",
                  notice=request.query_params.get("done"))


def _kind(text: str) -> DocumentKind:
    if text not in set(DocumentKind):
        raise errors.Invalid("unknown kind", field="kind", reason="kind")
    return DocumentKind(text)


def _year(text: str) -> int:
    if not text.strip().isdigit():
        raise errors.Invalid("not a year", field="year", reason="year")
    return int(text.strip()[:6])  # core checks it is one

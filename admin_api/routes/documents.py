"""The commune's public documents: publish a file (multipart) or a link, list, withdraw; and
the public address where each stored file is served (public records need no login)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse
from sqlmodel import col, select

from admin_api import schemas
from admin_api.deps import ReaderDep, RowId, StaffDep, UowDep, visible_commune
from admin_api.errors import DocumentedRoute
from core.documents import service as documents
from core.documents.models import Document, DocumentKind
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.uow import UnitOfWork

router = APIRouter(tags=["documents"], route_class=DocumentedRoute)
KINDS = "budget|administrative_account|pai|pdc|procurement|mayor_agenda"


def _public(row: Document) -> schemas.DocumentPublic:
    file_url = documents.PUBLIC_PATH.format(id=row.id) if row.media_path else None
    return schemas.DocumentPublic(**row.model_dump(exclude={"media_path"}), file_url=file_url)



def _published(uow: UnitOfWork, moderator: Moderator, new: documents.NewDocument,
               ) -> schemas.DocumentPublic:
    row = documents.publish(uow=uow, new=new)
    moderation.record(uow=uow, moderator=moderator, action="document_published",
                      target_type="document", target_id=str(row.id), commune_id=row.commune_id,
                      after={"kind": row.kind, "year": row.year, "title": row.title})
    uow.commit()
    return _public(row)


@router.post("/api/v1/documents", response_model=schemas.DocumentPublic, status_code=201)
def publish_link(body: schemas.DocumentLinkIn, uow: UowDep,
                 moderator: StaffDep) -> schemas.DocumentPublic:
    """Publish a document that lives elsewhere (the mairie's site, the national portal)."""
    commune = visible_commune(uow, moderator, body.commune_id)
    return _published(uow, moderator, documents.NewDocument(
        commune_id=commune, kind=DocumentKind(body.kind), year=body.year, title=body.title,
        published_by=moderator.name, url=body.url, summaries=body.summaries))


@router.post("/api/v1/documents/upload", response_model=schemas.DocumentPublic,
             status_code=201)
def publish_file(uow: UowDep, moderator: StaffDep,
                 commune_id: Annotated[str, Form(max_length=16)],
                 kind: Annotated[str, Form(pattern=f"^({KINDS})$")],
                 year: Annotated[int, Form(ge=1990, le=2100)],
                 title: Annotated[str, Form(min_length=1, max_length=200)],
                 file: Annotated[UploadFile, File()],
                 summaries: Annotated[str, Form(max_length=4000)] = "{}",
                 ) -> schemas.DocumentPublic:
    """Publish a file (PDF, JPEG, PNG, XLSX, DOCX, ODS, ODT or CSV, up to 16 MB) with an
    optional JSON of summaries per language; citizens receive it from the bot."""
    commune = visible_commune(uow, moderator, commune_id)
    data = file.file.read(documents.MAX_BYTES + 1)  # a worker thread: the loop runs on
    try:
        parsed = json.loads(summaries or "{}")
    except ValueError as exc:
        raise HTTPException(422, "summaries must be JSON: {\"fr\": \"…\"}") from exc
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise HTTPException(422, "summaries must be JSON: {\"fr\": \"…\"}")
    return _published(uow, moderator, documents.NewDocument(
        commune_id=commune, kind=DocumentKind(kind), year=year, title=title,
        published_by=moderator.name, data=data, filename=file.filename,
        content_type=file.content_type, summaries={str(k)[:8]: v for k, v in parsed.items()}))


@router.get("/api/v1/documents", response_model=list[schemas.DocumentPublic])
def list_documents(uow: UowDep, moderator: ReaderDep,
                   commune: Annotated[str | None, Query(max_length=16)] = None,
                   ) -> list[schemas.DocumentPublic]:
    query = select(Document)
    visible = moderation.communes_visible_to(moderator)
    if visible is not None:
        query = query.where(col(Document.commune_id).in_(visible))
    if commune:
        query = query.where(Document.commune_id == commune)
    return [_public(r) for r in uow.session.exec(query.order_by(col(Document.id).desc()))]


@router.delete("/api/v1/documents/{document_id}", status_code=204)
def withdraw(document_id: RowId, uow: UowDep, moderator: StaffDep) -> None:
    """Withdraw a document from the bot (the stored file stays for the audit trail)."""
    row = uow.session.get(Document, document_id)
    if row is None or not moderation.may_see(moderator, row.commune_id):
        raise HTTPException(404, f"No document {document_id}.")
    moderation.record(uow=uow, moderator=moderator, action="document_withdrawn",
                      target_type="document", target_id=str(document_id),
                      commune_id=row.commune_id, before={"title": row.title})
    uow.session.delete(row)
    uow.commit()


@router.get("/documents/{document_id}/file", include_in_schema=False)
def public_file(document_id: RowId, uow: UowDep) -> FileResponse:
    """A published document's file, for anyone (Twilio fetches WhatsApp media from here)."""
    row = uow.session.get(Document, document_id)
    if row is None or row.media_path is None:
        raise HTTPException(404, "No such document.")
    return FileResponse(uow.media.absolute(row.media_path), media_type=row.content_type,
                        filename=row.filename)

"""Publishing the commune's documents (a file within limits, or a link) and handing them to
citizens: the file on their channel with its title and the summary in their language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import col, select

from core import errors
from core.citizens.models import ChannelIdentity, Citizen
from core.documents.models import Document, DocumentKind
from core.messages import service as messages
from core.uow import UnitOfWork

MAX_BYTES = 16_000_000  # what WhatsApp accepts for a document (Telegram takes up to 50 MB)
ALLOWED_TYPES = {
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.text": ".odt", "text/csv": ".csv"}
MAGIC = {b"%PDF": "application/pdf", b"\xff\xd8\xff": "image/jpeg",
         b"\x89PNG": "image/png", b"PK\x03\x04": "application/zip"}  # zip: office formats
PUBLIC_PATH = "/documents/{id}/file"  # served without login (palabre/web.py): public records


@dataclass(frozen=True)
class NewDocument:
    commune_id: str
    kind: DocumentKind
    year: int
    title: str
    published_by: str
    url: str | None = None
    data: bytes | None = None
    filename: str | None = None
    content_type: str | None = None
    summaries: dict[str, str] = field(default_factory=dict)


def publish(*, uow: UnitOfWork, new: NewDocument) -> Document:
    """Publish a file or a link; refused when it is neither, too large, or not an allowed type
    (checked from its first bytes too, not only from what the uploader said)."""
    _check(new)
    document = Document(commune_id=new.commune_id, kind=new.kind, year=new.year,
                        title=new.title.strip(), url=new.url,
                        summaries={k: v.strip()[:500] for k, v in new.summaries.items()
                                   if v.strip()},
                        published_by=new.published_by[:80], published_at=uow.clock.now())
    if new.data is not None:
        kind = _content_type(new.data, new.content_type, new.filename)
        stored = uow.media.put(new.data, content_type=kind)
        document.media_path, document.size, document.content_type = (
            stored.path, stored.size, kind)
        document.filename = _filename(new.filename, new.title, kind)
    uow.session.add(document)
    uow.session.flush()
    return document


def _check(new: NewDocument) -> None:
    if not new.title.strip() or len(new.title) > 200:
        raise errors.Invalid("The title has 1 to 200 characters.", field="title",
                             reason="title")
    if not 1990 <= new.year <= 2100:
        raise errors.Invalid("The year must be between 1990 and 2100.", field="year",
                             reason="year")
    if (new.data is None) == (new.url is None):
        raise errors.Invalid("Give either a file or a link, not both and not neither.",
                             field="file", reason="file_or_link")
    if new.url is not None and not re.match(r"^https?://\S+$", new.url):
        raise errors.Invalid("The link must start with http:// or https://.", field="url",
                             reason="link")
    if new.data is not None and len(new.data) > MAX_BYTES:
        raise errors.Invalid(f"The file is over {MAX_BYTES // 1_000_000} MB.", field="file",
                             reason="too_big")
    if new.data is not None and not new.data:
        raise errors.Invalid("The file is empty.", field="file", reason="empty")


def _content_type(data: bytes, declared: str | None, filename: str | None = None) -> str:
    """What the file is, from its bytes: a PDF, a picture, an office document (a ZIP holding
    that format's own parts, not any ZIP) or a CSV (text, no program). A declared type that
    says nothing (`application/octet-stream`, as `curl -F` sends an XLSX) is read from the
    content; a declared type the content contradicts is refused."""
    chosen = (declared or "").split(";")[0].strip().lower()
    found = _sniffed(data, filename or "")
    if chosen in ("", "application/octet-stream", "binary/octet-stream", "text/plain"):
        if found is None:
            raise errors.Invalid("This file is not one that may be published: PDF, JPEG, "
                                 "PNG, XLSX, DOCX, ODS, ODT or CSV.", field="file",
                                 reason="unknown_type")
        return found
    if chosen not in ALLOWED_TYPES:
        raise errors.Invalid(f"Files of type {chosen} are not accepted: PDF, JPEG, PNG, XLSX, "
                             "DOCX, ODS, ODT or CSV.", field="file", reason="unknown_type")
    if found != chosen:
        raise errors.Invalid(f"The file's content is not {ALLOWED_TYPES[chosen][1:].upper()}.",
                             field="file", reason="content_mismatch",
                             expected=ALLOWED_TYPES[chosen][1:].upper())
    return chosen


OFFICE_PARTS = {  # a part only that format's archive holds
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/workbook.xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        "word/document.xml"}
BINARY = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe",
          b"PK\x03\x04", b"%PDF", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf", b"#!")


def _sniffed(data: bytes, filename: str) -> str | None:
    """The allowed type these bytes hold, or None."""
    for magic, kind in MAGIC.items():
        if data.startswith(magic) and kind != "application/zip":
            return kind
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    if _is_text(data) and (filename.lower().endswith(".csv") or _looks_tabular(data)):
        return "text/csv"
    return None


def _office(data: bytes) -> str | None:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            kind = next((k for k, part in OFFICE_PARTS.items() if part in names), None)
            if kind is None and "mimetype" in names:  # OpenDocument names itself
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                kind = declared if declared in ALLOWED_TYPES else None
            return kind
    except (zipfile.BadZipFile, OSError, KeyError):
        return None


def _is_text(data: bytes) -> bool:
    head = data[:65536]
    if not head or b"\x00" in head or head.startswith(BINARY):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a character cut at the end of the sample
            return _is_legacy_text(head)
    return True


def _is_legacy_text(head: bytes) -> bool:
    """Windows-1252 text, as an older office suite saves a CSV: no control bytes but tabs and
    line ends."""
    return all(b >= 0x20 or b in (0x09, 0x0A, 0x0D) for b in head)


def _looks_tabular(data: bytes) -> bool:
    first = data[:4096].split(b"\n", 1)[0]
    return first.count(b";") + first.count(b",") >= 1


def _filename(given: str | None, title: str, kind: str) -> str:
    base = re.sub(r"[^\w.-]+", "-", (given or title).strip()).strip("-")[:150] or "document"
    extension = ALLOWED_TYPES[kind]
    return base if base.lower().endswith(extension) else base + extension


def listed(*, uow: UnitOfWork, commune_id: str, kind: str | None = None,
           limit: int = 20) -> list[Document]:
    """The commune's documents, the latest year first."""
    query = select(Document).where(Document.commune_id == commune_id)
    if kind:
        query = query.where(Document.kind == kind)
    return list(uow.session.exec(query.order_by(col(Document.year).desc(),
                                                col(Document.id).desc()).limit(limit)).all())


def kinds(*, uow: UnitOfWork, commune_id: str) -> list[str]:
    """The kinds of document a commune has published, in the usual order."""
    found = set(uow.session.exec(select(Document.kind).where(
        Document.commune_id == commune_id)).all())
    return [k.value for k in DocumentKind if k.value in found]


def get(*, uow: UnitOfWork, document_id: int) -> Document:
    found = uow.session.get(Document, document_id)
    if found is None:
        raise errors.NotFound(f"No document {document_id}.")
    return found


def message_for(document: Document, language: str | None) -> str:
    """The words a citizen gets with the document: its title and year, the summary in their
    language (French otherwise), the link when it is one."""
    summary = document.summaries.get(language or "fr") or document.summaries.get("fr")
    lines = [f"📄 {document.title} ({document.year})", summary or "", document.url or ""]
    return "\n\n".join(line for line in lines if line)


def send(*, uow: UnitOfWork, document_id: int, citizen_id: int, identity_id: int) -> None:
    """Queue the document for a citizen: the file (or the link) with its title and summary."""
    document = get(uow=uow, document_id=document_id)
    citizen = uow.session.get_one(Citizen, citizen_id)
    identity = uow.session.get_one(ChannelIdentity, identity_id)
    text = message_for(document, citizen.language)
    # Its own name (budget-2026.pdf), not the store's hash, where a channel shows one.
    hints = {"public_media_url": PUBLIC_PATH.format(id=document.id),
             "filename": document.filename or ""} if document.media_path else {}
    messages.enqueue(uow=uow, to=messages.Recipient.of(identity),
                     text=text,
                     media_path=document.media_path, purpose="document", hints=hints)

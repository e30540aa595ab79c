"""Public documents end to end: a moderator publishes a PDF and a link through the admin API;
a citizen on Telegram receives the file itself, a citizen on WhatsApp receives it by its
public address (which Twilio fetches), and what may not be published is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.documents.models import Document
from core.moderation import service as moderation
from core.moderation.models import Role
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.e2e.test_telegram import CITIZEN as TELEGRAM_CITIZEN
from tests.e2e.test_telegram import TOKEN, Chat
from tests.e2e.test_whatsapp import CITIZEN as WHATSAPP_CITIZEN
from tests.e2e.test_whatsapp import PUBLIC, Phone, whatsapp_settings
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = b"%PDF-1.4\n" + b"Budget primitif 2026 de la commune de Cotonou\n" * 50 + b"%%EOF"


@pytest.fixture
def providers():
    with FakeTelegramApi(tokens=[TOKEN]) as telegram, FakeTwilioApi() as twilio:
        yield telegram, twilio


@pytest.fixture
def both(app, settings, clock, messenger, providers):
    telegram, twilio = providers
    base = whatsapp_settings(settings, twilio)
    configured = Settings(**{**base.model_dump(), "telegram_token": TOKEN,
                             "telegram_api_url": telegram.url}, _env_file=None)
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.close()


def staff(app) -> dict[str, str]:
    with app.uow_factory() as uow:
        admin = moderation.add_moderator(uow=uow, name="awa", role=Role.ADMIN)
        token = moderation.issue_token(uow=uow, moderator=admin).token
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def upload(web: TestClient, headers: dict[str, str], data: bytes = PDF,
           content_type: str = "application/pdf", **fields: str):
    form = {"commune_id": "BJ-LI-COT", "kind": "budget", "year": "2026",
            "title": "Budget primitif 2026",
            "summaries": '{"fr": "Recettes 18 milliards FCFA, dont 6 pour investir.", '
                         '"en": "Revenue 18 billion FCFA, 6 of it for investment."}', **fields}
    return web.post("/api/v1/documents/upload", headers=headers, data=form,
                    files={"file": ("budget 2026.pdf", data, content_type)})


def test_a_published_pdf_reaches_telegram_as_a_file_and_whatsapp_by_its_address(
        both, providers, clock) -> None:
    telegram, twilio = providers
    web = TestClient(create_web_app(both))
    admin = staff(both)
    published = upload(web, admin)
    assert published.status_code == 201, published.text
    document = published.json()
    assert document["filename"] == "budget-2026.pdf" and document["size"] == len(PDF)
    link = web.post("/api/v1/documents", headers=admin, json={
        "commune_id": "BJ-LI-COT", "kind": "procurement", "year": 2026,
        "title": "Avis d'appel d'offres n° 14", "url": "https://marches-publics.bj/aao/14"})
    assert link.status_code == 201

    chat, phone = Chat(both, web, telegram, clock), Phone(both, web, twilio, clock)
    chat.onboard()
    assert chat.text("documents")[-1].startswith("📚 Documents publics de Cotonou")
    assert [row[0]["text"] for row in chat.last_markup()["inline_keyboard"]] == [
        "Budget", "Marchés publics"]
    chat.press("dkind:budget")
    chat.press(chat.button("1"))
    (sent,) = telegram.sent("sendDocument", TELEGRAM_CITIZEN, ok=True)
    assert next(iter(sent.files.values())) == PDF
    assert list(sent.filenames.values()) == ["budget-2026.pdf"]  # its name, not a hash
    assert "📄 Budget primitif 2026 (2026)" in sent.params["caption"]
    assert "Recettes 18 milliards FCFA" in sent.params["caption"]

    phone.onboard()
    phone.text("documents")
    phone.text("2")  # procurement (the kinds come in their usual order: budget, then this)
    assert any("https://marches-publics.bj/aao/14" in r for r in phone.text("1"))
    phone.text("documents")
    phone.text("1")
    phone.text("1")
    address = f"{PUBLIC}/documents/{document['id']}/file"
    (call,) = [c for c in twilio.sent(WHATSAPP_CITIZEN) if c.params.get("MediaUrl")]
    assert call.params["MediaUrl"] == [address] and "Budget primitif 2026" in (
        call.param("Body") or "")
    served = web.get(f"/documents/{document['id']}/file")  # what Twilio fetches, no login
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"


def _zip(**parts: bytes) -> bytes:
    from io import BytesIO
    from zipfile import ZipFile

    out = BytesIO()
    with ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name.replace("__", "/").replace("_dot_", "."), content)
    return out.getvalue()


XLSX = _zip(**{"xl__workbook_dot_xml": b"<workbook/>", "_Content_Types__dot_xml": b"<Types/>"})
DOCX = _zip(**{"word__document_dot_xml": b"<document/>"})


@pytest.mark.parametrize(("data", "content_type", "fields", "message"), [
    (b"MZ\x90\x00" + bytes(100), "application/x-msdownload", {}, "not accepted"),
    (b"MZ\x90\x00" + bytes(100), "text/csv", {}, "content is not CSV"),  # a program
    (_zip(**{"notes_dot_txt": b"hello"}), WORD, {}, "content is not DOCX"),  # any ZIP
    (b"MZ\x90\x00" + bytes(100), "application/octet-stream", {}, "not one that may be"),
    (b"just some text", "application/pdf", {}, "content is not PDF"),
    (b"", "application/pdf", {}, "file is empty"),
    (PDF, "application/pdf", {"year": "1890"}, "year"),
])
def test_what_may_not_be_published_is_refused_and_nothing_kept(
        both, data, content_type, fields, message) -> None:
    web = TestClient(create_web_app(both))
    refused = upload(web, staff(both), data, content_type, **fields)
    assert refused.status_code == 422 and message in refused.text
    with both.uow_factory() as uow:
        assert uow.session.exec(select(Document)).all() == []


def test_a_file_over_16_mb_is_refused(both, monkeypatch) -> None:
    from core.documents import service as documents

    monkeypatch.setattr(documents, "MAX_BYTES", 1000)  # the limit, made small for the test
    web = TestClient(create_web_app(both))
    refused = upload(web, staff(both))
    assert refused.status_code == 422 and "over" in refused.json()["detail"]


@pytest.mark.parametrize(("data", "kind", "extension"), [
    (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    (DOCX, WORD, ".docx"),
    ("code;intitulé;montant\nA;Forage;12000000\n".encode("cp1252"), "text/csv", ".csv"),
])
def test_a_file_sent_as_curl_sends_it_is_known_by_its_content(both, data, kind,
                                                               extension) -> None:
    web = TestClient(create_web_app(both))
    published = web.post("/api/v1/documents/upload", headers=staff(both), data={
        "commune_id": "BJ-LI-COT", "kind": "budget", "year": "2026",
        "title": "Compte administratif 2025"},
        files={"file": (f"compte{extension}", data, "application/octet-stream")})
    assert published.status_code == 201, published.text
    assert published.json()["content_type"] == kind
    assert published.json()["filename"] == f"compte{extension}"

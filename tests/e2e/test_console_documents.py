"""Public documents from the console: published with summaries per language and found by a
citizen through the bot; what each channel will deliver shown on the document's page; a file
that is no document refused beside its field with what was typed kept; withdrawn; another
commune's out of reach."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.documents.models import Document
from core.moderation.models import AuditEntry
from tests.e2e.console_client import account, hidden_fields, signed_in, signed_in_browser
from tests.e2e.test_documents import PDF, XLSX
from tests.talk import Talker

PAGE = "/console/documents"


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


def _publish(client: TestClient, data: bytes | None, name: str = "budget 2026.pdf",
             content_type: str = "application/pdf", **fields: str):
    form = {**hidden_fields(client.get(PAGE), PAGE), "kind": "budget", "year": "2026",
            "title": "Budget primitif 2026",
            "fr": "Recettes 18 milliards FCFA, dont 6 pour investir.",
            "en": "Revenue 18 billion FCFA, 6 of it for investment.", **fields}
    files = {"file": (name, data, content_type)} if data is not None else \
        {"file": ("", b"", "application/octet-stream")}
    return client.post(PAGE, data=form, files=files, follow_redirects=False)


def test_a_published_document_is_shown_as_citizens_get_it_and_reaches_one(
        app, client, messenger) -> None:
    published = _publish(client, PDF)
    assert published.status_code == 303
    page = client.get(published.headers["location"])
    assert "Document publié" in page.text
    received = page.text.split('class="listing received"')[1].split("</section>")[0]
    assert "le message ci-dessous et le fichier « budget-2026.pdf »" in received
    assert "📄 Budget primitif 2026 (2026)\n\nRecettes 18 milliards FCFA" in received
    assert "📄 Budget primitif 2026 (2026)\n\nRevenue 18 billion FCFA" in received

    ama = Talker(app, messenger, "ama")
    ama.onboard()
    ama.send("documents")
    ama.send("1")  # budget
    ama.send("1")  # the document
    (sent,) = [m for m in messenger.sent if m.address == "ama" and m.purpose == "document"]
    assert sent.text.startswith("📄 Budget primitif 2026 (2026)") and sent.media_path
    with app.uow_factory() as uow:
        (entry,) = uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "document_published")).all()
    assert entry.after["title"] == "Budget primitif 2026"


def test_a_file_that_is_no_document_is_refused_beside_its_field(app, client) -> None:
    refused = _publish(client, b"MZ\x90\x00" + bytes(300), "budget.csv", "text/csv",
                       title="Titre gardé")
    assert refused.status_code == 422
    assert 'id="file-problem" role="alert">Le contenu de ce fichier n&#39;est pas un CSV.' in \
        refused.text
    assert 'value="Titre gardé"' in refused.text
    neither = _publish(client, None)
    assert "Donnez un fichier ou un lien (pas les deux)." in neither.text
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Document)).all() == []


def test_a_spreadsheet_sent_without_its_type_is_known_by_its_content(app, client) -> None:
    published = _publish(client, XLSX, "compte.xlsx", "application/octet-stream",
                         kind="administrative_account", title="Compte administratif 2025")
    assert published.status_code == 303
    with app.uow_factory() as uow:
        (row,) = uow.session.exec(select(Document)).all()
    assert row.filename == "compte.xlsx" and row.content_type.endswith("spreadsheetml.sheet")


def test_a_withdrawn_document_leaves_the_list_and_another_commune_cannot_reach_it(
        app, client) -> None:
    location = _publish(client, PDF).headers["location"]
    account(app, "bio", communes=("BJ-ZO-BOH",))
    other = TestClient(client.app)
    signed_in(other, "bio")
    assert other.get(location).status_code == 404

    page = client.get(location)
    action = location.split("?")[0] + "/withdraw"
    done = client.post(action, data=hidden_fields(page, action), follow_redirects=False)
    assert "Document retiré." in client.get(done.headers["location"]).text
    assert "Budget primitif 2026" not in client.get(PAGE).text

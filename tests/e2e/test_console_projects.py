"""The investment plan in the console: the spreadsheet imported through a preview (every
refused row with its line and reasons in French, what each update changes, nothing saved
before the moderator confirms), a project's page whose progress update tells its followers,
and another commune's projects out of reach."""

from __future__ import annotations

from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import select

from core.broadcasts import service as broadcasts
from core.citizens.models import ChannelIdentity
from core.moderation.models import AuditEntry
from core.projects import service as projects
from core.projects.models import Project
from palabre import scheduler
from tests.e2e.console_client import account, hidden_fields, signed_in, signed_in_browser
from tests.integration.test_core_projects import PLAN
from tests.talk import Talker

IMPORT = "/console/projects/import"
PREVIEW = "/console/projects/import/preview"


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


def _preview(client: TestClient, data: bytes, name: str = "pai.csv"):
    form = hidden_fields(client.get(IMPORT), PREVIEW)
    return client.post(PREVIEW, data=form, files={"sheet": (name, data, "text/csv")})


def _apply(client: TestClient, preview):
    return client.post(IMPORT, data=hidden_fields(preview, IMPORT), follow_redirects=False)


def _projects(app) -> dict[str, Project]:
    with app.uow_factory() as uow:
        return {p.code: p for p in uow.session.exec(select(Project)).all()}


def test_the_plan_is_checked_before_anything_is_saved_then_imported(app, client) -> None:
    preview = _preview(client, PLAN.encode())

    assert preview.status_code == 200
    assert "2 nouveau(x), 0 mis à jour, 0 inchangé(s), 6 refusé(s)" in preview.text
    refused = preview.text.split('class="listing rejected"')[1].split("</ul>")[0]
    assert "Ligne 4</strong> · <code>PAI-2026-003</code> — budget (FCFA) : « beaucoup » " \
           "n&#39;est pas un nombre" in refused
    assert "l&#39;arrondissement « Atlantis » n&#39;est pas dans la commune" in refused
    assert "le code PAI-2026-001 figure deux fois dans le fichier" in refused
    assert "état « peut-être » inconnu" in refused
    assert _projects(app) == {}  # nothing saved by a preview

    done = _apply(client, preview)
    assert done.status_code == 303
    assert "Import enregistré." in client.get(done.headers["location"]).text
    assert set(_projects(app)) == {"PAI-2026-001", "PAI-2026-002"}
    assert _apply(client, preview).status_code == 303  # sent twice: imported once
    with app.uow_factory() as uow:
        (entry,) = uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "projects_imported")).all()
    assert entry.after["created"] == 2 and entry.after["rejected"] == 6


def test_an_update_shows_what_changes_and_a_missing_column_changes_nothing(app,
                                                                         client) -> None:
    _apply(client, _preview(client, PLAN.encode()))
    partial = "code;title;sector;progress\nPAI-2026-001;Pavage de la rue 12.064;routes;50\n"

    preview = _preview(client, partial.encode())

    assert "0 nouveau(x), 1 mis à jour, 0 inchangé(s), 0 refusé(s)" in preview.text
    assert "avancement : 35 → 50" in preview.text and "budget" not in preview.text.split(
        'class="listing changes"')[1].split("</ul>")[0]
    _apply(client, preview)
    paving = _projects(app)["PAI-2026-001"]
    assert (paving.progress, paving.budget_fcfa, paving.status) == (50, 45_000_000,
                                                                    "in_progress")


def test_an_xlsx_workbook_as_mairies_have_them(app, client) -> None:
    book = Workbook()
    book.active.append(["Code", "Title", "Sector", "Status", "Budget FCFA"])
    book.active.append(["X-1", "Marché de Dantokpa", "marchés", "En cours", "8.750.000"])
    saved = BytesIO()
    book.save(saved)
    preview = _preview(client, saved.getvalue(), "pai.xlsx")
    assert "1 nouveau(x)" in preview.text
    _apply(client, preview)
    market = _projects(app)["X-1"]
    assert (market.status, market.budget_fcfa) == ("in_progress", 8_750_000)


def test_what_is_no_plan_is_refused_with_the_reason(client) -> None:
    program = _preview(client, b"MZ\x90\x00" + bytes(300), "budget.csv")
    assert program.status_code == 422
    assert "Ce fichier n&#39;est pas un tableau (XLSX ou CSV)." in program.text
    columns = _preview(client, b"titre;secteur\nA;B\n")
    assert "Manquantes : code, title, sector. Inconnues : titre, secteur." in columns.text


def test_news_of_a_project_reaches_its_followers(app, client, messenger) -> None:
    _apply(client, _preview(client, PLAN.encode()))
    paving = _projects(app)["PAI-2026-001"]
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    with app.uow_factory() as uow:
        citizen = uow.session.exec(select(ChannelIdentity.citizen_id).where(
            ChannelIdentity.address == "ama")).one()
        broadcasts.subscribe(uow=uow, citizen_id=citizen, topic=projects.topic(paving.id))
        uow.commit()
    ama.replies()
    page_path = f"/console/projects/{paving.id}"
    page = client.get(page_path)
    assert "1 abonné(s)" in page.text and "Enregistrer et prévenir les 1 abonné(s)" in page.text

    action = f"{page_path}/progress"
    sent = client.post(action, data={**hidden_fields(page, action), "progress": "100",
                                     "note": "La rue est pavée."}, follow_redirects=False)
    assert "Nouvelles enregistrées" in client.get(sent.headers["location"]).text
    scheduler.queue_due_broadcasts(app)
    assert "Projet « Pavage de la rue 12.064 » : terminé ✅. La rue est pavée." in ama.replies()
    assert "100 % · terminé · awa · « La rue est pavée. »" in client.get(page_path).text


def test_another_communes_projects_are_out_of_reach(app, client) -> None:
    _apply(client, _preview(client, PLAN.encode()))
    paving = _projects(app)["PAI-2026-001"]
    account(app, "bio", communes=("BJ-ZO-BOH",))
    other = TestClient(client.app)
    signed_in(other, "bio")
    assert other.get(f"/console/projects/{paving.id}").status_code == 404
    assert "Pavage" not in other.get("/console/projects").text
    assert other.get("/console/projects?commune=BJ-LI-COT").status_code == 200  # their own
    form = hidden_fields(other.get(IMPORT), PREVIEW)
    assert other.post(PREVIEW, data={**form, "commune": "BJ-LI-COT"},
                      files={"sheet": ("pai.csv", PLAN.encode(), "text/csv")}
                      ).status_code == 404

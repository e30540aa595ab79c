"""The plan's spreadsheet through the admin API: CSV in the body (UTF-8, or cp1252 as older
office suites save it), valid rows imported, each other row reported with its line and why,
an oversized file refused, another commune's plan not importable by this moderator."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.moderation import service as moderation
from core.moderation.models import Role
from palabre.web import create_web_app
from tests.integration.test_core_projects import PLAN

URL = "/api/v1/communes/BJ-LI-COT/projects/import"
CSV = {"Content-Type": "text/csv"}


def token(app, communes: list[str]) -> dict[str, str]:
    with app.uow_factory() as uow:
        who = moderation.add_moderator(uow=uow, name="awa", role=Role.MODERATOR,
                                       communes=communes)
        issued = moderation.issue_token(uow=uow, moderator=who).token
        uow.commit()
    return {"Authorization": f"Bearer {issued}", **CSV}


def test_the_plan_is_imported_and_bad_rows_reported(app) -> None:
    web = TestClient(create_web_app(app))
    awa = token(app, ["BJ-LI-COT"])
    answer = web.post(URL, headers=awa, content=PLAN.encode("utf-8"))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["created"], report["updated"]) == (2, 0)
    assert report["rejected"][0] == {"line": 4,
                                     "reason": "budget_fcfa must be a number, not 'beaucoup'"}
    again = web.post(URL, headers=awa, content=PLAN.encode("cp1252"))  # accents in cp1252
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0, 0, 2)
    listed = web.get("/api/v1/projects?commune=BJ-LI-COT", headers=awa).json()
    assert sorted(p["title"] for p in listed) == ["Forage de Houéyiho",
                                                  "Pavage de la rue 12.064"]
    assert web.post(URL, headers=awa, content=b"x" * 6_000_000).status_code == 413
    other = web.post("/api/v1/communes/BJ-AQ-ABO/projects/import", headers=awa,
                     content=PLAN.encode("utf-8"))
    assert other.status_code in (403, 404)


def test_a_spreadsheet_sent_as_a_forms_file_as_curl_F_sends_it(app) -> None:
    from io import BytesIO

    from openpyxl import Workbook

    web = TestClient(create_web_app(app))
    awa = {k: v for k, v in token(app, ["BJ-LI-COT"]).items() if k != "Content-Type"}
    as_csv = web.post(URL, headers=awa, files={"file": ("pai.csv", PLAN.encode(), "text/csv")})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.json()["created"] == 2
    book = Workbook()
    book.active.append(["code", "title", "sector"])
    book.active.append(["PAI-2026-009", "Gare routière", "transports"])
    saved = BytesIO()
    book.save(saved)
    as_xlsx = web.post(URL, headers=awa, files={"file": (
        "pai.xlsx", saved.getvalue(), "application/octet-stream")})  # curl's type for it
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.json()["created"] == 1
    in_body = web.post(URL, headers={**awa, "Content-Type": "application/vnd.openxmlformats-"
                                     "officedocument.spreadsheetml.sheet"},
                       content=saved.getvalue())
    assert in_body.status_code == 200 and in_body.json()["unchanged"] == 1
    program = web.post(URL, headers={**awa, "Content-Type": "text/csv"},
                       content=b"MZ\x90\x00" + bytes(300))
    assert program.status_code == 422, program.text

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
    assert (again.json()["created"], again.json()["updated"]) == (0, 2)
    listed = web.get("/api/v1/projects?commune=BJ-LI-COT", headers=awa).json()
    assert sorted(p["title"] for p in listed) == ["Forage de Houéyiho",
                                                  "Pavage de la rue 12.064"]
    assert web.post(URL, headers=awa, content=b"x" * 6_000_000).status_code == 413
    other = web.post("/api/v1/communes/BJ-AQ-ABO/projects/import", headers=awa,
                     content=PLAN.encode("utf-8"))
    assert other.status_code in (403, 404)

"""Reference data, statistics, CSV exports and the audit trail over HTTP."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.citizens.models import Citizen
from core.moderation.models import Role
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account, _report
from tests.talk import Talker


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(create_web_app(app))


@pytest.fixture
def admin(app) -> dict[str, str]:
    return _account(app, "root", Role.ADMIN)


@pytest.fixture
def awa(app) -> dict[str, str]:
    return _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])


@pytest.fixture
def analyst(app) -> dict[str, str]:
    return _account(app, "stat", Role.ANALYST, ["BJ-LI-COT"])


def test_categories_added_renamed_and_retired_reach_the_citizen_menu(app, messenger, client,
                                                                    awa) -> None:
    added = client.post("/api/v1/communes/BJ-LI-COT/categories", headers=awa, json={
        "code": "tree", "names": {"fr": "Arbre tombé", "en": "Fallen tree"}})
    assert added.status_code == 201
    ama = Talker(app, messenger)
    ama.onboard()
    assert "Arbre tombé" in ama.send("1")
    roads = client.get("/api/v1/communes/BJ-LI-COT/categories", headers=awa).json()[0]
    client.patch(f"/api/v1/categories/{roads['id']}", headers=awa, json={"active": False})
    ama.send("menu")
    assert roads["names"]["fr"] not in ama.send("1")
    assert client.post("/api/v1/communes/BJ-LI-COT/categories", headers=awa, json={
        "code": "tree", "names": {"fr": "Encore"}}).status_code == 409
    assert client.post("/api/v1/communes/BJ-LI-COT/categories", headers=awa, json={
        "code": "x y", "names": {"fr": "Mauvais code"}}).status_code == 422
    assert client.get("/api/v1/communes/BJ-AQ-ABO/categories", headers=awa).status_code == 404


def test_only_admins_open_communes(client, admin, awa) -> None:
    assert client.put("/api/v1/communes/BJ-BO-PAR/enabled", headers=awa,
                      json={"value": True}).status_code == 403
    opened = client.put("/api/v1/communes/BJ-BO-PAR/enabled", headers=admin,
                        json={"value": True})
    assert opened.json()["enabled"] is True
    names = [c["name"] for c in client.get("/api/v1/communes", headers=awa).json()]
    assert "Parakou" in names
    services = client.get("/api/v1/communes/BJ-BO-PAR/services", headers=admin).json()
    assert any(s["code"] == "civil_status" for s in services)


def test_canned_replies_per_commune(client, awa, admin) -> None:
    made = client.post("/api/v1/communes/BJ-LI-COT/canned-replies", headers=awa, json={
        "title": "Équipe envoyée", "texts": {"fr": "Une équipe passe cette semaine."}})
    assert made.status_code == 201
    assert [r["title"] for r in client.get("/api/v1/communes/BJ-LI-COT/canned-replies",
                                           headers=awa).json()] == ["Équipe envoyée"]
    assert client.delete(f"/api/v1/canned-replies/{made.json()['id']}",
                         headers=awa).status_code == 204
    assert client.post("/api/v1/communes/BJ-LI-COT/canned-replies", headers=awa, json={
        "title": "Sans français", "texts": {"en": "Only English"}}).status_code == 422


def test_statistics_suppress_small_groups(app, messenger, client, awa, analyst,
                                          clock) -> None:
    references = []
    for number in range(7):
        talker = Talker(app, messenger, f"c{number}")
        references.append(_report(talker, f"Problème numéro {number}"))
    with app.uow_factory() as uow:
        for number, citizen in enumerate(uow.session.exec(
                select(Citizen).order_by(col(Citizen.id))).all()):
            citizen.gender = "woman" if number < 5 else "man"
            citizen.age_band = "18_24"
        uow.commit()
    clock.advance(hours=2)
    client.post(f"/api/v1/submissions/{references[0]}/status", headers=awa,
                json={"status": "acknowledged"})
    clock.advance(hours=4)
    client.post(f"/api/v1/submissions/{references[0]}/status", headers=awa,
                json={"status": "resolved"})
    figures = client.get("/api/v1/stats", headers=analyst).json()
    assert figures["total"] == 7 and figures["by_kind"] == {"report": 7}
    assert figures["median_hours_to_first_response"] == 2.0
    assert figures["median_hours_to_resolution"] == 6.0
    assert figures["share_resolved"] == round(1 / 7, 3)
    assert figures["people"] == 7
    assert figures["by_gender"] == {"man": None, "woman": None}  # 2 men hide the 5 women too
    assert figures["by_age_band"] == {"18_24": 7}


def test_exports_leave_personal_data_out_unless_allowed(app, messenger, client, awa,
                                                        analyst) -> None:
    nosy = _account(app, "sena", Role.MODERATOR, ["BJ-LI-COT"], contacts=True)
    reference = _report(Talker(app, messenger, "22997123456"))
    plain = client.get("/api/v1/exports/submissions.csv", headers=analyst)
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(plain.text)))
    assert [r["reference"] for r in rows] == [reference]
    assert "22997123456" not in plain.text and "citizen_address" not in rows[0]
    assert client.get("/api/v1/exports/submissions.csv", headers=analyst,
                      params={"contacts": True}).status_code == 403
    unsaid = client.get("/api/v1/exports/submissions.csv", headers=nosy,
                        params={"contacts": True})
    assert unsaid.status_code == 422 and "reason" in unsaid.json()["detail"]
    full = client.get("/api/v1/exports/submissions.csv", headers=nosy,
                      params={"contacts": True, "reason": "Rappeler les riverains du caniveau"})
    assert list(csv.DictReader(io.StringIO(full.text)))[0]["citizen_address"] == "22997123456"
    audited = client.get("/api/v1/audit", headers=nosy,
                         params={"action": "export_contacts"}).json()["data"]
    assert [(a["actor"], a["after"]["reason"]) for a in audited] == [
        ("sena", "Rappeler les riverains du caniveau")]


def test_exports_take_the_inbox_filters(app, messenger, client, awa, analyst) -> None:
    drain = _report(Talker(app, messenger, "ama"), "Caniveau bouché près de l'école")
    lamp = _report(Talker(app, messenger, "kofi"), "Lampadaire éteint", photo=True)

    def exported(**params: object) -> list[str]:
        response = client.get("/api/v1/exports/submissions.csv", headers=awa, params=params)
        assert response.status_code == 200, response.text
        return sorted(r["reference"] for r in csv.DictReader(io.StringIO(response.text)))

    assert exported() == sorted([drain, lamp])
    assert exported(q="ECOLE") == [drain]
    assert exported(has_photo=True) == [lamp]
    assert exported(q="ecole", has_photo=True) == []
    assert client.get("/api/v1/exports/submissions.csv", headers=analyst,
                      params={"category_id": 0}).status_code == 422
    assert client.get("/api/v1/exports/submissions.csv", headers=analyst,
                      params={"q": "ecole"}).status_code == 403  # no search of the words


def test_the_audit_trail_is_readable_per_commune(app, messenger, client, awa, admin,
                                                 analyst) -> None:
    reference = _report(Talker(app, messenger, "ama"))
    client.put(f"/api/v1/submissions/{reference}/priority", headers=awa,
               json={"priority": "high"})
    client.put("/api/v1/communes/BJ-BO-PAR/enabled", headers=admin, json={"value": True})
    mine = client.get("/api/v1/audit", headers=awa).json()["data"]
    assert [(e["actor"], e["action"], e["before"], e["after"]) for e in mine] == [
        ("awa", "priority", {"priority": "normal"}, {"priority": "high"})]
    assert [e["action"] for e in client.get("/api/v1/audit", headers=admin).json()["data"]] == [
        "commune_enabled", "priority"]
    assert client.get("/api/v1/audit", headers=analyst).status_code == 403

"""Analysts read figures, never personal data: no free text, no exact position, no precise
time, nothing hidden as abuse, no contact; counts and statistics stay whole. And every role
sees only its communes in the exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.citizens.models import Citizen
from core.geo import Point
from core.moderation.models import Role
from core.surveys import service as surveys
from core.surveys.models import QuestionKind
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account
from tests.e2e.test_privacy import _complaint, _report
from tests.talk import Talker

PIN = Point(6.370312, 2.391234)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(create_web_app(app))


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def _filed(app, messenger) -> tuple[str, str, str]:
    """A named report, an anonymous complaint and a report hidden as abuse, in Cotonou."""
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché devant chez Dossou", PIN)
    complaint = _complaint(ama, "L'agent Hounkpè demande 5000 F", anonymous=True)
    abuse = _report(ama, "Insultes contre le maire Talon", Point(6.3803, 2.4012))
    return report, complaint, abuse


def test_an_analysts_export_holds_no_words_exact_pin_precise_time_or_hidden_item(
        app, messenger, client) -> None:
    report, complaint, abuse = _filed(app, messenger)
    moderator = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    analyst = _account(app, "stat", Role.ANALYST, ["BJ-LI-COT"])
    assert client.put(f"/api/v1/submissions/{abuse}/hidden", headers=moderator,
                      json={"value": True}).status_code == 200

    rows = _rows(client.get("/api/v1/exports/submissions.csv?include_hidden=true",
                            headers=analyst))
    text = "\n".join(",".join(r.values()) for r in rows)
    assert sorted(r["reference"] for r in rows) == sorted([report, complaint])
    assert "Dossou" not in text and "Hounkpè" not in text and "Talon" not in text
    by_reference = {r["reference"]: r for r in rows}
    assert (by_reference[report]["latitude"], by_reference[report]["longitude"]) == (
        "6.37", "2.39")
    assert by_reference[report]["created_at"] == "2026-03-14"  # the day, not the second
    assert "description" not in rows[0] and "place_text" not in rows[0]

    staff = _rows(client.get("/api/v1/exports/submissions.csv?include_hidden=true",
                             headers=moderator))
    assert len(staff) == 3 and "Dossou" in "".join(r["description"] for r in staff)
    assert {r["latitude"] for r in staff} >= {"6.370312"}


def test_analysts_statistics_stay_whole(app, messenger, client) -> None:
    _filed(app, messenger)
    analyst = _account(app, "stat", Role.ANALYST, ["BJ-LI-COT"])
    figures = client.get("/api/v1/stats", headers=analyst)
    assert figures.status_code == 200
    assert figures.json()["total"] == 3


def test_analysts_read_no_free_answer_of_a_survey(app, messenger, client, clock) -> None:
    survey_id = _answered_survey(app, messenger, clock, answers=6)
    analyst = _account(app, "stat", Role.ANALYST, ["BJ-LI-COT"])
    moderator = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])

    read = client.get(f"/api/v1/surveys/{survey_id}/results", headers=analyst).json()
    free = read["questions"][1]
    assert free["answered"] == 6 and free["free_answers"] == []
    assert read["questions"][0]["average"] is not None  # the figures are whole
    exported = client.get(f"/api/v1/surveys/{survey_id}/export.csv", headers=analyst).text
    assert "Chez Sossou" not in exported and len(exported.splitlines()) == 1 + 6 * 2
    staff = client.get(f"/api/v1/surveys/{survey_id}/results", headers=moderator).json()
    assert "Chez Sossou 0" in [a["text"] for a in staff["questions"][1]["free_answers"]]


def _answered_survey(app, messenger, clock, *, answers: int) -> int:
    with app.uow_factory() as uow:
        survey = surveys.define(uow=uow, new=surveys.NewSurvey(
            commune_id="BJ-LI-COT", title={"fr": "L'accueil"}, created_by="awa", questions=[
                surveys.NewQuestion(QuestionKind.RATING, {"fr": "Note ?"}),
                surveys.NewQuestion(QuestionKind.FREE, {"fr": "Que dire ?"})]))
        surveys.launch(uow=uow, survey_id=survey.id, actor="awa",
                       closes_at=clock.now() + timedelta(days=7))
        uow.commit()
        survey_id = survey.id
    for number in range(answers):
        Talker(app, messenger, f"c{number}").onboard()
    with app.uow_factory() as uow:
        rating, free = surveys.questions(uow=uow, survey_id=survey_id)
        for number, citizen in enumerate(uow.session.exec(select(Citizen)).all()):
            surveys.start(uow=uow, survey_id=survey_id, citizen_id=citizen.id, channel="console")
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=citizen.id,
                           question_id=rating.id, value=4)
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=citizen.id,
                           question_id=free.id, text=f"Chez Sossou {number}")
            surveys.complete(uow=uow, survey_id=survey_id, citizen_id=citizen.id)
        uow.commit()
    return survey_id


@pytest.mark.parametrize(("role", "communes", "sees"), [
    (Role.ADMIN, [], {"Cotonou", "Bohicon"}),
    (Role.MODERATOR, ["BJ-ZO-BOH"], {"Bohicon"}),
    (Role.ANALYST, ["BJ-LI-COT"], {"Cotonou"}),
])
def test_every_role_exports_only_its_communes(app, messenger, client, role, communes,
                                              sees) -> None:
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    cotonou = _report(ama, "Caniveau bouché à Cotonou")
    ama.send("commune")
    ama.send("Bohicon")
    bohicon = _report(ama, "Lampadaire tombé à Bohicon", Point(7.1782, 2.0667))
    account = _account(app, f"{role}-x", role, communes)
    rows = _rows(client.get("/api/v1/exports/submissions.csv", headers=account))
    named = {cotonou: "Cotonou", bohicon: "Bohicon"}
    assert {named[r["reference"]] for r in rows} == sees


def test_an_integration_key_reads_no_export_nor_submission(app, messenger, client) -> None:
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché")
    key = _account(app, "city-gis", Role.INTEGRATION, ["BJ-LI-COT"])
    assert client.get("/api/v1/exports/submissions.csv", headers=key).status_code == 403
    assert client.get(f"/api/v1/submissions/{report}", headers=key).status_code == 403
    assert client.get("/api/v1/stats", headers=key).status_code == 403


def test_an_analysts_period_counts_whole_days(app, messenger, client, clock) -> None:
    _filed(app, messenger)
    analyst = _account(app, "stat", Role.ANALYST, ["BJ-LI-COT"])
    moderator = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    after = (clock.now() + timedelta(seconds=1)).isoformat()
    before = (clock.now() - timedelta(seconds=1)).isoformat()
    for bound in ({"created_from": after}, {"created_to": before}):
        for path in ("/api/v1/exports/submissions.csv", "/api/v1/stats"):
            analysts = client.get(path, headers=analyst, params=bound)
            staff = client.get(path, headers=moderator, params=bound)
            assert analysts.status_code == staff.status_code == 200
            if path.endswith(".csv"):
                assert (len(_rows(analysts)), len(_rows(staff))) == (3, 0), bound
            else:
                assert (analysts.json()["total"], staff.json()["total"]) == (3, 0), bound

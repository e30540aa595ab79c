"""Bulk actions on the desk: each item through core's triage (audited, its citizen told), a
refusal reported for its item alone, and "every item of this filter"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.geo import Point
from core.moderation.models import AuditEntry
from palabre.web import create_web_app
from tests.e2e.console_client import account, post_form, signed_in, signed_in_browser
from tests.e2e.test_privacy import _report
from tests.talk import Talker


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


def _citizen(app, messenger, name: str) -> Talker:
    talker = Talker(app, messenger, name)
    talker.onboard()
    return talker


def _bulk(client: TestClient, fields: dict, path: str = "/console/") -> str:
    answer = post_form(client, path, "/console/bulk", fields)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_status_for_the_ticked_items_tells_each_citizen(app, client, messenger) -> None:
    ama, kojo = _citizen(app, messenger, "ama"), _citizen(app, messenger, "kojo")
    first = _report(ama, "Caniveau bouché")
    second = _report(kojo, "Lampadaire éteint", Point(6.40, 2.45))

    page = _bulk(client, {"references": [first, second], "action": "status",
                          "status": "acknowledged", "public_note": "Nous avons bien reçu."})

    assert "2 dossier(s) sur 2 traités." in page
    for citizen in (ama, kojo):
        told = citizen.replies()
        assert "pris en compte" in told and "Nous avons bien reçu." in told
    with app.uow_factory() as uow:
        audited = [e.target_id for e in uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "status")).all()]
    assert sorted(audited) == sorted([first, second])


def test_a_refusal_is_reported_for_its_item_and_the_others_are_done(app, client,
                                                                   messenger) -> None:
    ama = _citizen(app, messenger, "ama")
    held = _report(ama, "Caniveau bouché")
    free = _report(ama, "Lampadaire éteint", Point(6.40, 2.45))
    account(app, "sena")
    colleague = TestClient(create_web_app(app))
    signed_in(colleague, "sena")
    post_form(colleague, f"/console/s/{held}", f"/console/s/{held}/claim", {})

    page = _bulk(client, {"references": [held, free], "action": "priority",
                          "priority": "high"})

    assert "1 dossier(s) sur 2 traités." in page
    assert f"{held}</a> — non fait" in page and "sena" in page
    assert f"{free}</a> — fait" in page
    assert "haute" in client.get(f"/console/s/{free}").text


def test_every_item_of_a_filter_and_only_those(app, client, messenger) -> None:
    ama = _citizen(app, messenger, "ama")
    drains = [_report(ama, f"Caniveau bouché {n}", Point(6.36 + n / 100, 2.39))
              for n in range(3)]
    lamp = _report(ama, "Lampadaire éteint", Point(6.45, 2.45))

    page = _bulk(client, {"everything": "true", "action": "label", "label": "voirie"},
                 "/console/?q=caniveau")  # the page's filter goes with its form

    assert "3 dossier(s) sur 3 traités." in page
    for reference in drains:
        assert "voirie" in client.get(f"/console/s/{reference}").text
    assert "voirie" not in client.get(f"/console/s/{lamp}").text


def test_marking_duplicates_of_one_reference(app, client, messenger) -> None:
    ama, kojo = _citizen(app, messenger, "ama"), _citizen(app, messenger, "kojo")
    original = _report(ama, "Caniveau bouché")
    copy = _report(kojo, "Le même caniveau", Point(6.3704, 2.3913))

    page = _bulk(client, {"references": [copy], "action": "duplicate", "into": original})

    assert "1 dossier(s) sur 1 traités." in page
    assert "doublon" in client.get(f"/console/s/{copy}").text
    assert original in kojo.replies()


def test_nothing_ticked_or_nothing_to_do_is_said(app, client, messenger) -> None:
    _report(_citizen(app, messenger, "ama"), "Caniveau bouché")
    assert "Cochez au moins un dossier" in post_form(
        client, "/console/", "/console/bulk", {"action": "status", "status": "new"}).text
    assert "Il manque ce que l" in post_form(
        client, "/console/", "/console/bulk", {"references": ["COT-SIG-26-0001"],
                                               "action": "label"}).text


def test_all_of_a_large_filter_says_how_many_it_will_touch(app, client, messenger,
                                                          monkeypatch) -> None:
    # The caps lowered (500 per action, matches counted to 1,000) so that five reports show
    # what a moderator reads on a filter of thousands.
    monkeypatch.setattr("admin_api.console.desk.MOST", 2)
    monkeypatch.setattr("admin_api.console.bulk.MOST", 2)
    ama = _citizen(app, messenger, "ama")
    drains = [_report(ama, f"Caniveau bouché {n}", Point(6.36 + n / 100, 2.39))
              for n in range(5)]

    assert "les 2 plus récents des 5 dossiers de ce filtre" in \
        client.get("/console/?q=caniveau").text
    monkeypatch.setattr("admin_api.console.desk.COUNTED", 3)
    assert "les 2 plus récents des plus de 3 dossiers de ce filtre" in \
        client.get("/console/?q=caniveau").text

    page = _bulk(client, {"everything": "true", "action": "label", "label": "voirie"},
                 "/console/?q=caniveau")

    assert "2 dossier(s) sur 2 traités." in page
    labelled = [r for r in drains if "voirie" in client.get(f"/console/s/{r}").text]
    assert labelled == drains[-2:]  # the newest two

"""What moderators may read beside a submission: the turns of the flow that made it and the
messages about it since, never a neighbouring submission of the same citizen (an anonymous
complaint must not lead to its author's named report) nor another commune's messages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.geo import Point
from core.moderation.models import Role
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account
from tests.talk import Talker

PIN = Point(6.3703, 2.3912)
BOHICON_PIN = Point(7.1782, 2.0667)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(create_web_app(app))


def _report(talker: Talker, text: str, pin: Point = PIN) -> str:
    talker.send("1")  # report
    talker.send("2")  # drains
    talker.send(location=pin)
    talker.send("1")  # no photo
    talker.send(text)
    offered = [c.id for c in talker.last_message().choices]
    if "new" in offered:  # a similar report nearby: this one is another problem
        talker.send(str(offered.index("new") + 1))
    if "public" in offered or "public" in [c.id for c in talker.last_message().choices]:
        talker.send("1")  # public
    done = talker.send("1")
    return done.split("référence ")[1].split(".")[0]


def _complaint(talker: Talker, text: str, *, anonymous: bool) -> str:
    talker.send("2")  # complaint or suggestion
    talker.send("1")  # complaint
    talker.send("1")  # état civil
    talker.send(text)
    done = talker.send("2" if anonymous else "1")
    return done.split("référence ")[1].split(".")[0] if "référence " in done else \
        done.split("numéro ")[1].split(".")[0]


def _conversation(client: TestClient, headers: dict[str, str], reference: str) -> str:
    detail = client.get(f"/api/v1/submissions/{reference}", headers=headers)
    assert detail.status_code == 200, detail.text
    return "\n".join(m["text"] or "" for m in detail.json()["messages"])


def test_an_anonymous_complaint_never_shows_its_authors_named_report(app, messenger,
                                                                    client) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché devant chez Dossou")
    complaint = _complaint(ama, "L'agent du guichet 3 demande 5000 F", anonymous=True)

    beside_complaint = _conversation(client, cotonou, complaint)
    assert "5000 F" in beside_complaint  # its own turns are there
    assert "Dossou" not in beside_complaint and report not in beside_complaint
    assert "6.37" not in beside_complaint
    beside_report = _conversation(client, cotonou, report)
    assert "Dossou" in beside_report
    assert "5000 F" not in beside_report and complaint not in beside_report


def test_another_communes_moderators_never_read_a_citizens_earlier_messages(app, messenger,
                                                                           client) -> None:
    bohicon = _account(app, "koffi", Role.MODERATOR, ["BJ-ZO-BOH"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    cotonou_report = _report(ama, "Caniveau bouché devant chez Dossou")
    _complaint(ama, "L'agent du guichet 3 demande 5000 F", anonymous=True)
    ama.send("commune")
    ama.send("Bohicon")
    bohicon_report = _report(ama, "Lampadaire tombé au marché", BOHICON_PIN)

    seen = _conversation(client, bohicon, bohicon_report)
    assert "Lampadaire" in seen
    assert "Dossou" not in seen and cotonou_report not in seen and "5000 F" not in seen


def test_messages_about_a_submission_after_it_was_filed_are_beside_it(app, messenger,
                                                                     client) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché devant l'école")
    ama.send("aide")  # later, unrelated
    moved = client.post(f"/api/v1/submissions/{report}/status", headers=cotonou,
                        json={"status": "in_progress", "public_note": "Une équipe passe jeudi"})
    assert moved.status_code == 200
    client.post(f"/api/v1/submissions/{report}/replies", headers=cotonou,
                json={"text": "Quel numéro de rue ?"})
    seen = _conversation(client, cotonou, report)
    assert "Une équipe passe jeudi" in seen and "Quel numéro de rue ?" in seen
    assert "aide" not in seen.lower().split("\n")

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


def _report(talker: Talker, text: str, pin: Point = PIN, *, private: bool = False) -> str:
    talker.send("1")  # report
    talker.send("2")  # drains
    return _report_from_place(talker, text, pin, private=private)


def _report_from_place(talker: Talker, text: str, pin: Point = PIN, *,
                       private: bool = False) -> str:
    """A report whose category was chosen: the pin, no photo, the words, sent."""
    talker.send(location=pin)
    talker.send("1")  # no photo
    talker.send(text)
    offered = [c.id for c in talker.last_message().choices]
    if "new" in offered:  # a similar report nearby: this one is another problem
        talker.send(str(offered.index("new") + 1))
    done = talker.send("2" if private else "1")  # send privately, or publicly
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


def test_citizens_are_told_what_is_published_before_they_agree(app, messenger) -> None:
    said = Talker(app, messenger, "ama").onboard()
    french = Talker(app, messenger, "kojo")
    french.send("Bonjour")
    french.send("1")
    notice = french.send("Cotonou")
    assert "publiés sur la page publique de la mairie et dans ses données" in notice
    assert "en privé" in notice
    english = Talker(app, messenger, "kofi")
    english.send("hello")
    english.send("2")
    notice = english.send("Cotonou")
    assert "published on the town hall's public page and in its open data" in notice
    assert "privately" in notice
    assert said  # the onboarding went on to the menu


def test_a_private_report_is_published_without_its_words_pin_or_notes(app, messenger,
                                                                     client) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    public = _report(ama, "Caniveau bouché devant l'école")
    private = _report(ama, "Caniveau bouché devant chez Dossou", Point(6.3803, 2.4012),
                      private=True)
    for reference in (public, private):
        client.post(f"/api/v1/submissions/{reference}/status", headers=cotonou,
                    json={"status": "in_progress", "public_note": "Une équipe passe chez vous"})

    listed = client.get("/open311/v2/requests.json?jurisdiction_id=BJ-LI-COT").json()
    shown = {r["service_request_id"]: r for r in listed}
    assert shown[public]["description"] == "Caniveau bouché devant l'école"
    assert (shown[public]["lat"], shown[public]["status_notes"]) == (
        pytest.approx(6.3703), "Une équipe passe chez vous")
    hidden = shown[private]
    assert (hidden["description"], hidden["lat"], hidden["long"], hidden["status_notes"]) == (
        None, None, None, None)
    assert hidden["service_code"] == "drain" and hidden["status"] == "open"
    assert "Dossou" not in client.get(f"/open311/v2/requests/{private}.xml",
                                      params={"jurisdiction_id": "BJ-LI-COT"}).text
    detail = client.get(f"/api/v1/submissions/{private}", headers=cotonou).json()
    assert detail["public"] is False and "Dossou" in detail["description"]


def test_a_stranger_asking_after_a_complaint_reads_no_note_of_the_mairie(app, messenger,
                                                                        client) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    complaint = _complaint(ama, "Mon acte de naissance attend depuis un mois", anonymous=False)
    client.post(f"/api/v1/submissions/{complaint}/status", headers=cotonou,
                json={"status": "in_progress", "public_note": "Madame Agossou, passez jeudi"})
    stranger = Talker(app, messenger, "kojo")
    stranger.onboard()
    answer = stranger.send(f"statut {complaint}")
    assert "en cours" in answer and "Agossou" not in answer
    assert "Agossou" in ama.send(f"statut {complaint}")


def test_a_number_is_revealed_only_with_a_reason_which_is_audited(app, messenger,
                                                                 client) -> None:
    nosy = _account(app, "sena", Role.MODERATOR, ["BJ-LI-COT"], contacts=True)
    plain = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché devant l'école")
    anonymous = _complaint(ama, "L'agent du guichet 3 demande 5000 F", anonymous=True)

    shown = client.get(f"/api/v1/submissions/{report}", headers=nosy).json()["citizen"]
    assert shown["address"] == "229••••••56" and shown["may_reveal"] is True
    contact = f"/api/v1/submissions/{report}/citizen/contact"
    assert client.post(contact, headers=nosy, json={}).status_code == 422
    assert client.post(contact, headers=nosy, json={"reason": "voir"}).status_code == 422
    assert client.post(contact, headers=plain,
                       json={"reason": "Rappeler pour l'adresse exacte"}).status_code == 403
    revealed = client.post(contact, headers=nosy,
                           json={"reason": "Rappeler pour l'adresse exacte"})
    assert revealed.status_code == 200 and revealed.json()["address"] == "22997123456"
    never = client.post(f"/api/v1/submissions/{anonymous}/citizen/contact", headers=nosy,
                        json={"reason": "Rappeler pour l'adresse exacte"})
    assert never.status_code == 409 and "22997" not in never.text

    trail = client.get("/api/v1/audit", headers=_account(app, "root", Role.ADMIN),
                       params={"action": "reveal_contact"}).json()["data"]
    assert [(e["actor"], e["target_id"], e["after"]["reason"]) for e in trail] == [
        ("sena", report, "Rappeler pour l'adresse exacte")]


def test_an_aside_in_the_middle_of_a_report_stays_out_of_its_conversation(app, messenger,
                                                                         client) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    complaint = _complaint(ama, "L'agent du guichet 3 demande 5000 F", anonymous=True)
    ama.send("1")  # report
    ama.send("2")  # drains
    told = ama.send(f"statut {complaint}")  # what became of my complaint?
    assert complaint in told and "5000 F" in told  # its author may read it
    report = _report_from_place(ama, "Caniveau bouché devant l'école")

    seen = _conversation(client, cotonou, report)
    assert "Caniveau bouché" in seen
    assert complaint not in seen and "5000 F" not in seen


def test_other_communes_and_other_roles_cannot_open_it_at_all(app, messenger, client) -> None:
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché devant chez Dossou")
    bohicon = _account(app, "koffi", Role.MODERATOR, ["BJ-ZO-BOH"])
    analyst = _account(app, "stat", Role.ANALYST, ["BJ-LI-COT"])
    key = _account(app, "city-gis", Role.INTEGRATION, ["BJ-LI-COT"])
    hidden = client.get(f"/api/v1/submissions/{report}", headers=bohicon)
    assert hidden.status_code == 404 and "Dossou" not in hidden.text
    assert client.get(f"/api/v1/submissions/{report}", headers=analyst).status_code == 403
    assert client.get(f"/api/v1/submissions/{report}", headers=key).status_code == 403
    assert client.get("/api/v1/submissions", headers=bohicon).json()["data"] == []


def test_was_it_fixed_over_a_paused_anonymous_complaint_stays_with_its_report(
        app, messenger, client, clock) -> None:
    from palabre import scheduler

    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché devant l'école")
    client.post(f"/api/v1/submissions/{report}/status", headers=cotonou,
                json={"status": "resolved"})
    ama.send("2")  # a complaint, left midway
    ama.send("1")
    ama.send("1")
    clock.advance(days=15)
    assert scheduler.ask_followups(app) == 1
    assert "vraiment réglé" in ama.send_pending()
    ama.send("2")  # not fixed
    ama.send("Toujours bouché chez Dossou")
    ama.send("1")  # back to the complaint
    ama.send("L'agent du guichet 3 demande 5000 F")
    complaint = ama.send("2").split("référence ")[1].split(".")[0]  # anonymous

    beside_complaint = _conversation(client, cotonou, complaint)
    assert "5000 F" in beside_complaint
    assert "Dossou" not in beside_complaint and report not in beside_complaint
    assert "Toujours bouché chez Dossou" in _conversation(client, cotonou, report)


def test_what_is_said_after_a_silence_is_not_put_in_the_paused_flow(app, messenger, client,
                                                                   clock) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    ama.send("1")  # report
    ama.send("2")  # drains
    clock.advance(hours=3)
    ama.send("L'agent du guichet 3 demande 5000 F pour un acte")
    ama.send("1")  # continue the report
    report = _report_from_place(ama, "Caniveau bouché devant l'école")
    seen = _conversation(client, cotonou, report)
    assert "Caniveau bouché" in seen and "5000 F" not in seen


def test_following_a_private_report_shows_its_status_never_its_words(app, messenger, client,
                                                                    clock) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    private = _report(ama, "Caniveau bouché devant chez Dossou", private=True)
    kojo = Talker(app, messenger, "kojo")
    kojo.onboard()
    kojo.send("1")
    kojo.send("2")
    kojo.send(location=PIN)
    kojo.send("1")
    offered = kojo.send("Le caniveau déborde")
    assert private in offered and "Dossou" not in offered  # offered by its category
    kojo.send("1")  # follow it
    client.post(f"/api/v1/submissions/{private}/status", headers=cotonou,
                json={"status": "in_progress", "public_note": "M. Dossou, on passe jeudi"})
    told = kojo.replies()
    assert "en cours" in told and "Dossou" not in told
    asked = kojo.send(f"statut {private}")
    assert "en cours" in asked and "Dossou" not in asked
    assert "M. Dossou, on passe jeudi" in ama.send(f"statut {private}")  # its author reads it


def test_the_author_of_an_anonymous_complaint_cannot_be_blocked_through_it(app, messenger,
                                                                          client) -> None:
    cotonou = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    report = _report(ama, "Caniveau bouché devant l'école")
    complaint = _complaint(ama, "L'agent du guichet 3 demande 5000 F", anonymous=True)
    refused = client.put(f"/api/v1/submissions/{complaint}/citizen/blocked", headers=cotonou,
                         json={"value": True})
    assert refused.status_code == 409 and "anonymous" in refused.json()["detail"]
    named = client.get(f"/api/v1/submissions/{report}", headers=cotonou).json()
    assert named["citizen"]["blocked"] is False

""""Was it really fixed?" end to end on both databases: days after a moderator resolves a
report, its author is asked (not while busy with something else, twice at most); "yes" is
kept; "no" with a comment reopens the report, keeps the comment in its history, tells its
followers but not the author twice, and alerts the moderators; on WhatsApp outside the
24-hour window the question goes as a template with its numbered answers."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import select

from core.submissions import service as submissions
from core.submissions.models import FollowUp
from palabre import scheduler
from palabre.bootstrap import bootstrap
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _report
from tests.e2e.test_council import staff
from tests.e2e.test_whatsapp import CITIZEN as WHATSAPP_CITIZEN
from tests.e2e.test_whatsapp import Phone, whatsapp_settings
from tests.fakes.twilio_api import FakeTwilioApi
from tests.talk import Talker

STATUS_TEMPLATE = "HX5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e"


def resolve(web: TestClient, admin: dict[str, str], reference: str) -> None:
    for status in ("acknowledged", "resolved"):
        moved = web.post(f"/api/v1/submissions/{reference}/status", headers=admin,
                         json={"status": status, "public_note": "Caniveau curé"})
        assert moved.status_code == 200, moved.text


def followups(app) -> list[FollowUp]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(FollowUp)).all())


def test_no_reopens_the_report_with_the_comment_and_alerts_the_moderators(
        app, messenger, clock) -> None:
    web = TestClient(create_web_app(app))
    admin = staff(app)
    ama = Talker(app, messenger, "ama")
    reference = _report(ama)
    kofi = Talker(app, messenger, "kofi")
    kofi.onboard()
    kofi.send(f"statut {reference}")
    resolve(web, admin, reference)
    with app.uow_factory() as uow:  # kofi follows it too
        submissions.follow(uow=uow, citizen_id=citizen_of(app, "kofi"), reference=reference)
        uow.commit()
    ama.replies()
    kofi.replies()

    clock.advance(days=13)
    assert scheduler.ask_followups(app) == 0  # not yet
    clock.advance(days=1, hours=1)
    assert scheduler.ask_followups(app) == 1
    assert scheduler.ask_followups(app) == 0  # asked once
    asked = ama.send_pending()
    assert f"Votre demande {reference}" in asked and "vraiment réglé" in asked
    assert "1. Oui, c'est réglé" in asked and "2. Non, pas encore" in asked
    assert "Dites-nous ce qui ne va pas" in ama.send("2")
    done = ama.send("Le caniveau déborde encore quand il pleut")
    assert f"Votre demande {reference} est rouverte" in done
    assert "maintenant : rouvert" not in done  # no second notice to the author

    detail = web.get(f"/api/v1/submissions/{reference}", headers=admin).json()
    assert detail["status"] == "reopened"
    last = detail["history"][-1]
    assert last["actor"] == "citizen" and "déborde encore" in (last["internal_note"] or "")
    assert "maintenant : rouvert" in kofi.replies()  # the follower hears of it
    alert = web.get("/api/v1/alerts", headers=admin).json()["alerts"][0]
    assert (alert["kind"], alert["references"], alert["details"]["comment"]) == (
        "reopened", [reference], "Le caniveau déborde encore quand il pleut")
    (kept,) = followups(app)
    assert kept.fixed is False and kept.answered_at is not None


def test_a_busy_citizen_is_not_interrupted_and_asked_twice_at_most(
        app, messenger, clock) -> None:
    web = TestClient(create_web_app(app))
    admin = staff(app)
    ama = Talker(app, messenger, "ama")
    reference = _report(ama)
    resolve(web, admin, reference)
    ama.replies()
    clock.advance(days=15)
    ama.send("1")  # in the middle of a new report when the question comes
    assert scheduler.ask_followups(app) == 1
    assert "vraiment réglé" not in ama.send_pending()  # not interrupted
    assert "Où est-ce" in ama.send("2")  # the report goes on
    clock.advance(days=1)
    assert scheduler.ask_followups(app) == 0  # two days between questions
    clock.advance(days=1, hours=1)
    ama.send("menu")
    assert scheduler.ask_followups(app) == 1
    assert "vraiment réglé" not in ama.send_pending()  # the menu was just shown
    assert "Mairie de Cotonou" in ama.send("menu")
    clock.advance(minutes=11)
    assert "vraiment réglé" not in ama.send_pending()  # the question was dropped, not kept
    (kept,) = followups(app)
    assert kept.invites == 2 and kept.answered_at is None
    clock.advance(days=5)
    assert scheduler.ask_followups(app) == 0  # twice at most
    assert "vraiment réglé" not in ama.send_pending()


def test_yes_is_kept_and_an_idle_draft_is_offered_back_after(app, messenger, clock) -> None:
    web = TestClient(create_web_app(app))
    admin = staff(app)
    ama = Talker(app, messenger, "ama")
    reference = _report(ama)
    resolve(web, admin, reference)
    ama.replies()
    clock.advance(days=14, hours=1)
    ama.send("1")
    ama.send("2")  # a new report left at "where is it?"
    clock.advance(hours=3)
    assert scheduler.ask_followups(app) == 1
    asked = ama.send_pending()
    assert "vraiment réglé" in asked
    after = ama.send("1")
    assert "Merci de nous l'avoir confirmé" in after
    assert "Nous en étions à : votre signalement. On continue ?" in after  # offered back
    assert "Où est-ce" in ama.send("1")  # and it goes on where it was left
    (kept,) = followups(app)
    assert (kept.fixed, kept.invites) == (True, 1)
    detail = web.get(f"/api/v1/submissions/{reference}", headers=admin).json()
    assert detail["status"] == "resolved"


def test_on_whatsapp_outside_the_window_the_question_goes_as_a_template(
        app, settings, clock, messenger) -> None:
    with FakeTwilioApi() as twilio:
        wa = bootstrap(whatsapp_settings(settings, twilio,
                                         whatsapp_templates=f"status_update={STATUS_TEMPLATE}"),
                       clock=clock, messengers={"console": messenger})
        try:
            web = TestClient(create_web_app(wa))
            phone = Phone(wa, web, twilio, clock)
            reference = report_on_whatsapp(phone)
            resolve(web, staff(wa), reference)
            clock.advance(days=15)
            assert scheduler.ask_followups(wa) == 1
            wa.pipeline.run_once()
            clock.advance(seconds=2)
            wa.pipeline.deliver()
            question = twilio.sent(WHATSAPP_CITIZEN)[-1]
            assert question.param("ContentSid") == STATUS_TEMPLATE
            words = json.loads(question.param("ContentVariables") or "{}")["1"]
            assert reference in words and "1. Oui, c'est réglé · 2. Non, pas encore" in words
            phone.seen = len(twilio.bodies(WHATSAPP_CITIZEN))
            assert any("Merci de nous l'avoir confirmé" in r for r in phone.text("1"))
        finally:
            wa.close()


def report_on_whatsapp(phone: Phone) -> str:
    """A drain report with a pin, filed from WhatsApp; its reference."""
    phone.onboard()
    phone.text("1")
    phone.text("2")
    phone.send("location", Latitude="6.3703", Longitude="2.3912")
    phone.text("1")
    phone.text("Caniveau bouché devant le marché")
    return phone.text("1")[-1].split("référence ")[1].split(".")[0]


def citizen_of(app, address: str) -> int:
    from core.citizens.models import ChannelIdentity

    with app.uow_factory() as uow:
        return uow.session.exec(select(ChannelIdentity.citizen_id).where(
            ChannelIdentity.address == address)).one()


def test_on_whatsapp_without_a_template_the_question_waits_for_the_window(
        app, settings, clock, messenger) -> None:
    with FakeTwilioApi() as twilio:
        wa = bootstrap(whatsapp_settings(settings, twilio, whatsapp_templates=""),
                       clock=clock, messengers={"console": messenger})
        try:
            web = TestClient(create_web_app(wa))
            phone = Phone(wa, web, twilio, clock)
            reference = report_on_whatsapp(phone)
            resolve(web, staff(wa), reference)
            clock.advance(days=15)
            assert scheduler.ask_followups(wa) == 0  # it could not reach them: not asked
            assert followups(wa)[0].invites == 0
            phone.text("menu")  # the citizen writes: the window opens
            clock.advance(minutes=11)
            assert scheduler.ask_followups(wa) == 1
            wa.pipeline.run_once()
            assert any("vraiment réglé" in b for b in phone.run())
        finally:
            wa.close()

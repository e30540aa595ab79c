"""The council cycle end to end under a controlled clock: citizens on Telegram and WhatsApp
follow the council in the bot; a moderator plans a sitting through the admin API; reminders go
out the day before and an hour before (once, and again after a move, and after a restart);
the sitting goes live, updates reach both channels and the commune's Telegram channel, a
citizen asks a question that moderators read and mark answered; the decisions stay in the bot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from core.moderation import service as moderation
from core.moderation.models import Role
from palabre import scheduler
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.e2e.test_telegram import CITIZEN as TELEGRAM_CITIZEN
from tests.e2e.test_telegram import TOKEN, Chat
from tests.e2e.test_whatsapp import CITIZEN as WHATSAPP_CITIZEN
from tests.e2e.test_whatsapp import PUBLIC, Phone, whatsapp_settings
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi

REMINDER_TEMPLATE = "HXc0ffee00c0ffee00c0ffee00c0ffee00"
CHANNEL = -1005555555555
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
START = datetime(2026, 3, 17, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Benin


@pytest.fixture
def providers():
    with FakeTelegramApi(tokens=[TOKEN]) as telegram, FakeTwilioApi() as twilio:
        telegram.set_chat(CHANNEL, kind="channel", title="Mairie de Cotonou")
        yield telegram, twilio


def council_settings(settings, twilio, telegram) -> Settings:
    base = whatsapp_settings(settings, twilio,
                             whatsapp_templates=f"council_reminder={REMINDER_TEMPLATE}")
    return Settings(**{**base.model_dump(), "telegram_token": TOKEN,
                       "telegram_api_url": telegram.url,
                       "telegram_commune_chats": f"BJ-LI-COT={CHANNEL}"}, _env_file=None)


@pytest.fixture
def city(app, settings, clock, messenger, providers):
    telegram, twilio = providers
    application = bootstrap(council_settings(settings, twilio, telegram), clock=clock,
                            messengers={"console": messenger})
    yield application
    application.close()


def staff(app) -> dict[str, str]:
    with app.uow_factory() as uow:
        admin = moderation.add_moderator(uow=uow, name="awa", role=Role.ADMIN)
        token = moderation.issue_token(uow=uow, moderator=admin).token
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def tick(app, clock) -> None:
    """What the scheduler and the worker do at this moment."""
    scheduler.send_council_reminders(app)
    scheduler.queue_due_broadcasts(app)
    clock.advance(seconds=2)
    app.pipeline.deliver()


def whatsapp_texts(twilio: FakeTwilioApi) -> list[str]:
    """What the WhatsApp citizen got: bodies, or the template's variable."""
    out = []
    for call in twilio.sent(WHATSAPP_CITIZEN):
        body = call.param("Body")
        out.append(body if body else json.loads(call.param("ContentVariables") or "{}")["1"])
    return out


def test_the_whole_council_cycle(city, providers, clock) -> None:
    telegram, twilio = providers
    web = TestClient(create_web_app(city))
    chat, phone = Chat(city, web, telegram, clock), Phone(city, web, twilio, clock)
    chat.onboard()
    phone.onboard()
    overview = chat.text("conseil")[-1]
    assert "Aucune séance prévue" in overview
    chat.press("follow")
    assert any("vous recevrez les rappels" in r for r in telegram.texts(TELEGRAM_CITIZEN))
    assert "Recevoir les rappels" in phone.text("conseil")[-1]
    assert any("vous recevrez les rappels" in r for r in phone.text("1"))  # follow
    admin = staff(city)

    created = web.post("/api/v1/council-sessions", headers=admin, json={
        "commune_id": "BJ-LI-COT", "kind": "ordinary", "title": "Budget primitif 2027",
        "starts_at": START.isoformat(), "place": "Salle des fêtes de la mairie",
        "agenda": ["Budget primitif", "Marché de Dantokpa"]})
    assert created.status_code == 201, created.text
    session = created.json()["id"]
    assert "Budget primitif 2027" in chat.text("conseil")[-1]  # listed in the bot

    clock.current = START - timedelta(hours=30)
    tick(city, clock)
    assert not any("Rappel" in t for t in telegram.texts(TELEGRAM_CITIZEN))
    clock.current = START - timedelta(hours=23)
    tick(city, clock)
    tick(city, clock)  # the job runs every minute: still one reminder
    day = [t for t in telegram.texts(TELEGRAM_CITIZEN) if t.startswith("🏛️ Rappel")]
    assert len(day) == 1 and "Budget primitif 2027" in day[0] and "Salle des fêtes" in day[0]
    assert "17 mars 2026 09:00" in day[0]  # Benin time
    reminded = twilio.sent(WHATSAPP_CITIZEN)[-1]  # WhatsApp's window closed: the template
    assert reminded.param("ContentSid") == REMINDER_TEMPLATE

    moved = web.patch(f"/api/v1/council-sessions/{session}", headers=admin,
                      json={"starts_at": (START + timedelta(days=1)).isoformat()})
    assert moved.status_code == 200 and moved.json()["day_reminder_at"] is None
    tick(city, clock)
    assert any("Changement" in t and "18 mars 2026" in t
               for t in telegram.texts(TELEGRAM_CITIZEN))

    restarted = bootstrap(city.settings, clock=clock, messengers=dict(city.messengers))
    try:  # the reminders live in the database: a new process sends what is due, once
        clock.current = START + timedelta(days=1) - timedelta(minutes=50)
        tick(restarted, clock)
        tick(restarted, clock)
    finally:
        restarted.close()
    hour = [t for t in telegram.texts(TELEGRAM_CITIZEN) if "dans une heure" in t]
    assert len(hour) == 1

    clock.current = START + timedelta(days=1)
    live = web.post(f"/api/v1/council-sessions/{session}/live", headers=admin)
    assert live.status_code == 200 and live.json()["status"] == "live"
    tick(city, clock)
    assert any(t.startswith("🔴 Le conseil communal de Cotonou a commencé")
               for t in telegram.texts(TELEGRAM_CITIZEN))
    assert any("a commencé" in t for t in telegram.texts(CHANNEL))
    assert any("a commencé" in t for t in whatsapp_texts(twilio))

    chat.text("conseil")
    chat.press("ask")
    sent = chat.text("Quand la route de Fidjrossè sera-t-elle refaite ?")
    assert any("question n° 1" in r for r in sent)
    questions = web.get(f"/api/v1/council-sessions/{session}/questions", headers=admin).json()
    assert [(q["number"], q["text"]) for q in questions] == [
        (1, "Quand la route de Fidjrossè sera-t-elle refaite ?")]
    answered = web.post(f"/api/v1/council-sessions/{session}/questions/"
                        f"{questions[0]['id']}/answered", headers=admin).json()
    assert answered["answered_by"] == "awa"

    update = web.post(f"/api/v1/council-sessions/{session}/updates", headers=admin,
                      json={"text": "Le budget primitif est adopté à l'unanimité."})
    assert update.status_code == 201
    tick(city, clock)
    for texts in (telegram.texts(TELEGRAM_CITIZEN), whatsapp_texts(twilio),
                  telegram.texts(CHANNEL)):
        assert any("adopté à l'unanimité" in t for t in texts)

    ended = web.post(f"/api/v1/council-sessions/{session}/end", headers=admin, json={
        "decisions": ["Budget primitif 2027 adopté", "Réfection du marché votée"]})
    assert ended.json()["status"] == "ended"
    tick(city, clock)
    assert any("Réfection du marché votée" in t for t in whatsapp_texts(twilio))
    chat.text("conseil")
    decisions = chat.press("decisions")
    assert any("• Budget primitif 2027 adopté" in r for r in decisions)


def test_a_session_cannot_be_planned_in_the_past_nor_go_live_twice(city, clock) -> None:
    web = TestClient(create_web_app(city))
    admin = staff(city)
    body = {"commune_id": "BJ-LI-COT", "title": "Session extraordinaire",
            "starts_at": (clock.now() - timedelta(hours=1)).isoformat()}
    past = web.post("/api/v1/council-sessions", headers=admin, json=body)
    assert past.status_code == 422 and "in the past" in past.json()["detail"]
    body["starts_at"] = (clock.now() + timedelta(days=2)).isoformat()
    session = web.post("/api/v1/council-sessions", headers=admin, json=body).json()["id"]
    assert web.post(f"/api/v1/council-sessions/{session}/updates", headers=admin,
                    json={"text": "trop tôt"}).status_code == 409
    assert web.post(f"/api/v1/council-sessions/{session}/live", headers=admin).status_code == 200
    again = web.post(f"/api/v1/council-sessions/{session}/live", headers=admin)
    assert again.status_code == 409 and "live" in again.json()["detail"]
    assert web.post(f"/api/v1/council-sessions/{session}/cancel",
                    headers=admin).status_code == 409


def test_a_cancelled_session_sends_no_reminder(city, providers, clock) -> None:
    telegram, twilio = providers
    web = TestClient(create_web_app(city))
    chat = Chat(city, web, telegram, clock)
    chat.onboard()
    chat.text("conseil")
    chat.press("follow")
    admin = staff(city)
    starts = clock.now() + timedelta(days=2)
    session = web.post("/api/v1/council-sessions", headers=admin, json={
        "commune_id": "BJ-LI-COT", "title": "Session ordinaire",
        "starts_at": starts.isoformat()}).json()["id"]
    web.post(f"/api/v1/council-sessions/{session}/cancel", headers=admin)
    tick(city, clock)
    assert any("est annulé" in t for t in telegram.texts(TELEGRAM_CITIZEN))
    clock.current = starts - timedelta(minutes=30)
    tick(city, clock)
    assert not any("Rappel" in t or "dans une heure" in t
                   for t in telegram.texts(TELEGRAM_CITIZEN))


def test_a_live_update_with_a_photo_reaches_both_channels_and_the_channel(
        city, providers, clock) -> None:
    telegram, twilio = providers
    web = TestClient(create_web_app(city))
    chat, phone = Chat(city, web, telegram, clock), Phone(city, web, twilio, clock)
    chat.onboard()
    chat.text("conseil")
    chat.press("follow")
    phone.onboard()
    phone.text("conseil")
    phone.text("1")  # follow; the citizen just wrote: WhatsApp's window is open
    admin = staff(city)
    session = web.post("/api/v1/council-sessions", headers=admin, json={
        "commune_id": "BJ-LI-COT", "title": "Reddition des comptes",
        "starts_at": (clock.now() + timedelta(hours=3)).isoformat()}).json()["id"]
    web.post(f"/api/v1/council-sessions/{session}/live", headers=admin)
    tick(city, clock)
    upload = f"/api/v1/council-sessions/{session}/updates/upload"

    refused = [web.post(upload, headers=admin, data={"text": "Photo de la salle"},
                        files={"photo": ("salle.gif", b"GIF89a" + bytes(50), "image/gif")}),
               web.post(upload, headers=admin, data={"text": "Photo de la salle"},
                        files={"photo": ("salle.png", PNG + bytes(5_000_000), "image/png")}),
               web.post(upload, headers=admin, data={"text": ""},
                        files={"photo": ("salle.png", PNG, "image/png")})]
    assert [r.status_code for r in refused] == [422, 422, 422]
    assert "JPEG or PNG" in refused[0].json()["detail"]
    assert "over 5 MB" in refused[1].json()["detail"]

    posted = web.post(upload, headers=admin, data={"text": "Le maire présente le compte."},
                      files={"photo": ("salle.png", PNG, "image/png")})
    assert posted.status_code == 201, posted.text
    photo_url = posted.json()["photo_url"]
    tick(city, clock)

    photos = [telegram.sent("sendPhoto", chat_id, ok=True)[0]
              for chat_id in (TELEGRAM_CITIZEN, CHANNEL)]  # sent side by side: either first
    uploaded, reused = sorted(photos, key=lambda photo: not photo.files)
    assert next(iter(uploaded.files.values())) == PNG  # uploaded once,
    assert not reused.files and reused.params["photo"]  # then sent again by its file id
    for photo in (uploaded, reused):
        assert "Le maire présente le compte." in photo.params["caption"]
    (media,) = [c for c in twilio.sent(WHATSAPP_CITIZEN) if c.params.get("MediaUrl")]
    assert media.params["MediaUrl"] == [PUBLIC + photo_url]
    assert "Le maire présente le compte." in (media.param("Body") or "")
    served = web.get(photo_url)  # what Twilio fetches, without login
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert web.get("/council-updates/999999/photo").status_code == 404

    listed = web.get(f"/api/v1/council-sessions/{session}/updates", headers=admin).json()
    assert [(u["text"], u["photo_url"]) for u in listed] == [
        ("Le maire présente le compte.", photo_url)]
    assert len(telegram.sent("sendPhoto", TELEGRAM_CITIZEN)) == 1  # refused ones sent nothing
    overview = chat.text("conseil")[-1]  # a citizen opening the council sees the latest news
    assert "🔴 En direct : Reddition des comptes" in overview
    assert "Dernières nouvelles :\n• Le maire présente le compte." in overview


def test_a_sitting_later_the_same_day_is_announced_for_today_then_an_hour_before(
        city, providers, clock) -> None:
    telegram, _ = providers
    web = TestClient(create_web_app(city))
    chat = Chat(city, web, telegram, clock)
    chat.onboard()
    chat.text("conseil")
    chat.press("follow")
    admin = staff(city)
    clock.current = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)  # 10:00 in Benin
    starts = datetime(2026, 3, 17, 17, 0, tzinfo=UTC)  # 18:00 the same day
    planned = web.post("/api/v1/council-sessions", headers=admin, json={
        "commune_id": "BJ-LI-COT", "title": "Session extraordinaire",
        "starts_at": starts.isoformat(), "place": "Hôtel de ville"}).json()
    assert planned["starts_at"] == "2026-03-17T18:00:00+01:00"  # as the secretary reads it
    soon = datetime(2026, 3, 17, 9, 30, tzinfo=UTC) + timedelta(minutes=90)  # in 90 min
    web.post("/api/v1/council-sessions", headers=admin, json={
        "commune_id": "BJ-LI-COT", "title": "Réunion de crise", "starts_at": soon.isoformat()})
    tick(city, clock)

    told = [t for t in telegram.texts(TELEGRAM_CITIZEN) if t.startswith("🏛️ Rappel")]
    assert len(told) == 1 and "aujourd'hui" in told[0] and "demain" not in told[0]
    assert "Session extraordinaire" in told[0]  # the crisis meeting, 90 min ahead: no early one
    clock.current = soon - timedelta(minutes=59)
    tick(city, clock)
    clock.current = starts - timedelta(minutes=59)
    tick(city, clock)
    hours = [t for t in telegram.texts(TELEGRAM_CITIZEN) if "commence dans une heure" in t]
    assert len(hours) == 2

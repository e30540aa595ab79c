"""Announcements end to end: a moderator sends one through the admin API; citizens on Telegram
and WhatsApp receive it (WhatsApp outside its 24-hour window as the announcement template),
the commune's Telegram channel gets it too, and the API shows its progress."""

from __future__ import annotations

import json
from datetime import timedelta

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
from tests.e2e.test_whatsapp import Phone, whatsapp_settings
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi

ANNOUNCEMENT_TEMPLATE = "HXa1b2c3d4e5f60718293a4b5c6d7e8f90"
CHANNEL = -1009876543210  # the mairie's Telegram channel


@pytest.fixture
def providers():
    with FakeTelegramApi(tokens=[TOKEN]) as telegram, FakeTwilioApi() as twilio:
        telegram.set_chat(CHANNEL, kind="channel", title="Mairie de Cotonou")
        yield telegram, twilio


@pytest.fixture
def both(app, settings, clock, messenger, providers):
    """Palabre with a Telegram bot (and a commune channel) and a WhatsApp sender."""
    telegram, twilio = providers
    base = whatsapp_settings(settings, twilio, whatsapp_templates=(
        f"announcement={ANNOUNCEMENT_TEMPLATE}"))
    configured = Settings(**{**base.model_dump(), "telegram_token": TOKEN,
                             "telegram_api_url": telegram.url,
                             "telegram_commune_chats": f"Cotonou={CHANNEL}"}, _env_file=None)
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.close()


def token(app, role: Role = Role.ADMIN, communes: tuple[str, ...] = ()) -> dict[str, str]:
    with app.uow_factory() as uow:
        someone = moderation.add_moderator(uow=uow, name=f"m-{role}-{len(communes)}",
                                           role=role, communes=list(communes))
        issued = moderation.issue_token(uow=uow, moderator=someone).token
        uow.commit()
    return {"Authorization": f"Bearer {issued}"}


def test_an_announcement_reaches_telegram_whatsapp_and_the_communes_channel(
        both, providers, clock) -> None:
    telegram, twilio = providers
    web = TestClient(create_web_app(both))
    chat, phone = Chat(both, web, telegram, clock), Phone(both, web, twilio, clock)
    chat.onboard()
    phone.onboard()
    clock.advance(hours=30)  # WhatsApp's window has closed

    staff = token(both)
    created = web.post("/api/v1/broadcasts", headers=staff, json={
        "commune_id": "BJ-LI-COT", "text": "Vaccination gratuite samedi au CEG Gbégamey"})
    assert created.status_code == 201, created.text
    sent = created.json()
    assert (sent["status"], sent["recipients"]) == ("scheduled", 2)

    assert scheduler.queue_due_broadcasts(both) == 1
    clock.advance(seconds=2)
    both.pipeline.deliver()

    on_telegram = telegram.texts(TELEGRAM_CITIZEN)[-1]
    assert on_telegram.startswith("📢 Mairie de Cotonou : Vaccination gratuite samedi")
    (in_channel,) = telegram.texts(CHANNEL)
    assert in_channel == "📢 Mairie de Cotonou : Vaccination gratuite samedi au CEG Gbégamey"
    last = twilio.sent(WHATSAPP_CITIZEN)[-1]
    assert last.param("ContentSid") == ANNOUNCEMENT_TEMPLATE and last.param("Body") is None
    assert "Vaccination gratuite" in json.loads(last.param("ContentVariables") or "{}")["1"]

    shown = web.get(f"/api/v1/broadcasts/{sent['id']}", headers=staff).json()
    assert shown["status"] == "queued"
    assert shown["progress"] == {"waiting": 0, "sent": 2, "delivered": 0, "failed": 0}


def test_the_api_scopes_refuses_and_cancels(both, providers, clock) -> None:
    telegram, _ = providers
    web = TestClient(create_web_app(both))
    Chat(both, web, telegram, clock).onboard()
    bohicon = token(both, Role.MODERATOR, ("BJ-ZO-BOH",))
    analyst = token(both, Role.ANALYST, ("BJ-LI-COT",))
    admin = token(both)
    body = {"commune_id": "BJ-LI-COT", "text": "Réunion de quartier",
            "send_at": (clock.now() + timedelta(days=1)).isoformat()}

    assert web.post("/api/v1/broadcasts", headers=bohicon, json=body).status_code == 404
    assert web.post("/api/v1/broadcasts", headers=analyst, json=body).status_code == 403
    past = {**body, "send_at": (clock.now() - timedelta(days=1)).isoformat()}
    refused = web.post("/api/v1/broadcasts", headers=admin, json=past)
    assert refused.status_code == 422 and "in the past" in refused.json()["detail"]
    empty = web.post("/api/v1/broadcasts", headers=admin,
                     json={**body, "commune_id": "BJ-AQ-TOF"})
    assert empty.status_code == 422 and "audience is empty" in empty.json()["detail"]

    created = web.post("/api/v1/broadcasts", headers=admin, json=body).json()
    assert [b["id"] for b in web.get("/api/v1/broadcasts", headers=analyst).json()] == [
        created["id"]]
    assert web.get(f"/api/v1/broadcasts/{created['id']}", headers=bohicon).status_code == 404
    cancelled = web.post(f"/api/v1/broadcasts/{created['id']}/cancel", headers=admin).json()
    assert cancelled["status"] == "cancelled"
    clock.advance(days=2)
    assert scheduler.queue_due_broadcasts(both) == 0
    audit = web.get("/api/v1/audit", headers=admin).json()
    actions = [entry["action"] for entry in audit["data"]]
    assert "broadcast_created" in actions and "broadcast_cancelled" in actions

"""Moderators are told: submissions left untriaged past the delay raise one alert per commune
and run, posted to the commune's staff Telegram group (not to its public channel) and listed
in the admin API's alert feed with an unseen count; a moderator of another commune sees none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.geo import Point
from core.moderation import service as moderation
from core.moderation.models import Role
from core.submissions import service as submissions
from core.submissions.models import Kind
from palabre import scheduler
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.e2e.test_telegram import TOKEN
from tests.fakes.telegram_api import FakeTelegramApi

STAFF = -1007777777777
PUBLIC = -1005555555555
COTONOU, CALAVI = "BJ-LI-COT", "BJ-AQ-ABO"


@pytest.fixture
def telegram():
    with FakeTelegramApi(tokens=[TOKEN]) as api:
        api.set_chat(STAFF, kind="supergroup", title="Modération Cotonou")
        api.set_chat(PUBLIC, kind="channel", title="Mairie de Cotonou")
        yield api


@pytest.fixture
def town(app, settings, clock, messenger, telegram):  # app: a clean database
    configured = Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                             "telegram_api_url": telegram.url,
                             "telegram_commune_chats": f"{COTONOU}={PUBLIC}",
                             "telegram_staff_chats": f"Cotonou={STAFF}",
                             "escalation_hours": 24}, _env_file=None)
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.close()


def file_report(app, commune: str, description: str) -> str:
    with app.uow_factory() as uow:
        from core.communes import service as communes

        category = communes.categories_of(uow=uow, commune_id=commune)[0].id
        row = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=Kind.REPORT, commune_id=commune, channel="console", citizen_id=None,
            description=description, category_id=category, location=Point(6.37, 2.39)))
        uow.commit()
        return row.reference


def token(app, name: str, communes: list[str]) -> dict[str, str]:
    with app.uow_factory() as uow:
        who = moderation.add_moderator(uow=uow, name=name, role=Role.MODERATOR,
                                       communes=communes)
        issued = moderation.issue_token(uow=uow, moderator=who).token
        uow.commit()
    return {"Authorization": f"Bearer {issued}"}


def test_untriaged_submissions_alert_the_communes_moderators_once(town, telegram, clock) -> None:
    first = file_report(town, COTONOU, "Caniveau bouché rue 12")
    second = file_report(town, COTONOU, "Lampadaire éteint carrefour")
    file_report(town, CALAVI, "Nid-de-poule devant l'école")
    web = TestClient(create_web_app(town))
    awa = token(town, "awa", [COTONOU])
    koffi = token(town, "koffi", [CALAVI])
    assert web.get("/api/v1/alerts", headers=awa).json() == {
        "alerts": [], "unseen": 0, "next_cursor": None}

    clock.advance(hours=25)
    assert scheduler.escalate_untriaged(town) == 3
    assert scheduler.escalate_untriaged(town) == 0  # each once
    town.pipeline.deliver()

    (posted,) = telegram.texts(STAFF)
    assert posted.startswith("⏰ Cotonou : 2 demande(s) sans tri depuis plus de 24 h")
    assert first in posted and second in posted
    assert telegram.texts(PUBLIC) == []  # never to the citizens' channel

    feed = web.get("/api/v1/alerts", headers=awa).json()
    assert feed["unseen"] == 1 and feed["next_cursor"] is None
    (alert,) = feed["alerts"]
    assert (alert["kind"], alert["commune_id"], alert["count"], alert["details"],
            sorted(alert["references"]), alert["seen"]) == (
        "overdue", COTONOU, 2, {"hours": 24}, sorted([first, second]), False)
    other = web.get("/api/v1/alerts", headers=koffi).json()
    assert [a["commune_id"] for a in other["alerts"]] == [CALAVI]

    seen = web.post("/api/v1/alerts/seen", headers=awa, json={"up_to": alert["id"]}).json()
    assert seen["unseen"] == 0 and seen["alerts"][0]["seen"] is True
    assert web.get("/api/v1/alerts", headers=koffi).json()["unseen"] == 1  # per moderator
    assert web.post("/api/v1/alerts/seen", headers=awa,
                    json={"up_to": 0}).status_code == 422
    koffi_feed = web.post("/api/v1/alerts/seen", headers=koffi,  # not past the newest one
                          json={"up_to": 2_000_000_000}).json()
    assert koffi_feed["unseen"] == 0
    file_report(town, CALAVI, "Marché sans eau")
    clock.advance(hours=25)
    scheduler.escalate_untriaged(town)
    assert web.get("/api/v1/alerts", headers=koffi).json()["unseen"] == 1  # a new one counts


def test_a_moderator_who_takes_the_label_off_is_not_alerted_again(town, telegram,
                                                                   clock) -> None:
    reference = file_report(town, COTONOU, "Marché inondé")
    web = TestClient(create_web_app(town))
    awa = token(town, "awa", [COTONOU])
    clock.advance(hours=25)
    assert scheduler.escalate_untriaged(town) == 1
    assert web.put(f"/api/v1/submissions/{reference}/labels", headers=awa,
                   json={"labels": []}).status_code == 200
    clock.advance(hours=1)
    assert scheduler.escalate_untriaged(town) == 0
    town.pipeline.deliver()
    assert len(telegram.texts(STAFF)) == 1

"""The alert feed in the console: the unseen count in every page's header, the feed of the
moderator's communes only, opened marks them seen (the count drops), new ones since then
marked again."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.moderation import alerts
from core.moderation.models import AlertKind
from tests.e2e.console_client import account, signed_in, signed_in_browser


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


def _alert(app, commune: str, kind: AlertKind, *references: str, **params) -> None:
    with app.uow_factory() as uow:
        alerts.raise_alert(uow=uow, commune_id=commune, kind=kind, references=references,
                           **params)
        uow.commit()


def test_the_unseen_count_shows_everywhere_and_drops_once_the_feed_is_opened(app,
                                                                            client) -> None:
    _alert(app, "BJ-LI-COT", AlertKind.OVERDUE, "COT-SIG-26-0001", "COT-SIG-26-0002")
    _alert(app, "BJ-LI-COT", AlertKind.REOPENED, "COT-SIG-26-0003",
           comment="Le caniveau déborde encore")
    _alert(app, "BJ-ZO-BOH", AlertKind.OVERDUE, "BOH-SIG-26-0001")  # not her commune

    assert 'aria-label="2 alerte(s) non vue(s)">2</span>' in client.get("/console/").text
    feed = client.get("/console/alerts").text
    assert "2 dossier(s) sans suite depuis trop longtemps" in feed
    assert '<a href="/console/s/COT-SIG-26-0003">' in feed
    assert "« Le caniveau déborde encore »" in feed and "BOH-SIG-26-0001" not in feed
    assert feed.count('class="new"') == 2
    assert 'class="badge" aria-label' not in feed  # seen now: no count in the header

    _alert(app, "BJ-LI-COT", AlertKind.OVERDUE, "COT-SIG-26-0004")
    assert 'aria-label="1 alerte(s) non vue(s)">1</span>' in client.get("/console/").text
    assert client.get("/console/alerts").text.count('class="new"') == 1

    account(app, "bio", communes=("BJ-ZO-BOH",))
    other = TestClient(client.app)
    signed_in(other, "bio")
    theirs = other.get("/console/alerts").text
    assert "BOH-SIG-26-0001" in theirs and "COT-SIG-26-0001" not in theirs

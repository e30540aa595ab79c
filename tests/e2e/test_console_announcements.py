"""Announcements from the console: the reach told before sending (channels, WhatsApp's
template, opt-outs, quiet hours), sent once through core and audited, its progress, cancel;
a refusal said beside its field with what was typed kept; another commune's out of reach."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.broadcasts.models import Broadcast
from core.moderation.models import AuditEntry
from palabre import scheduler
from tests.e2e.console_client import account, hidden_fields, signed_in, signed_in_browser
from tests.talk import Talker

COMPOSER = "/console/announcements"
PREVIEW = "/console/announcements/preview"


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


def _citizens(app, messenger) -> tuple[Talker, Talker]:
    ama, kofi = Talker(app, messenger, "ama"), Talker(app, messenger, "kofi")
    ama.onboard()
    kofi.onboard()
    kofi.send("STOP")
    return ama, kofi


def _preview(client: TestClient, **fields: str):
    form = hidden_fields(client.get(COMPOSER), PREVIEW)
    return client.post(PREVIEW, data={**form, "audience": "commune", **fields})


def _send(client: TestClient, preview):
    return client.post(COMPOSER, data=hidden_fields(preview, COMPOSER), follow_redirects=False)


def test_the_reach_is_shown_then_the_announcement_reaches_the_citizens(
        app, client, messenger) -> None:
    ama, kofi = _citizens(app, messenger)

    preview = _preview(client, text="Coupure d'eau demain de 8 h à 12 h à Akpakpa.")

    assert preview.status_code == 200
    reach = preview.text.split('id="reach"')[1].split("</div>")[0]
    assert "1 citoyen(s) la recevront" in reach and "Console (démonstration) : 1" in reach
    assert "1 ont demandé à ne plus recevoir d&#39;annonces (STOP)" in reach
    assert "Départ : 14/03/2026 10:30" in reach  # 09:30 UTC: Benin's time
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Broadcast)).all() == []  # nothing kept by a preview

    sent = _send(client, preview)
    assert sent.status_code == 303
    page = client.get(sent.headers["location"])
    assert "Annonce enregistrée." in page.text and "Coupure d&#39;eau demain" in page.text
    assert re.search(r'data-key="recipients">1<', page.text)
    assert scheduler.queue_due_broadcasts(app) == 1
    app.pipeline.deliver()

    told = [m.text for m in messenger.sent if m.address == "ama" and m.purpose == "announcement"]
    assert len(told) == 1 and "Coupure d'eau demain" in told[0]
    assert not [m for m in messenger.sent if m.address == "kofi" and m.purpose == "announcement"]
    progress = client.get(sent.headers["location"].split("?")[0] + "/progress").json()
    assert (progress["recipients"], progress["sent"], progress["waiting"]) == (1, 1, 0)
    assert progress["finished"] is True
    with app.uow_factory() as uow:
        (entry,) = uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "broadcast_created")).all()
    assert entry.after["recipients"] == 1


def test_a_form_sent_twice_makes_one_announcement(app, client, messenger) -> None:
    _citizens(app, messenger)
    preview = _preview(client, text="Réunion publique samedi à 9 h.")
    first, second = _send(client, preview), _send(client, preview)
    assert first.headers["location"].split("?")[0] == second.headers["location"].split("?")[0]
    with app.uow_factory() as uow:
        assert len(uow.session.exec(select(Broadcast)).all()) == 1


def test_quiet_hours_are_said_and_a_scheduled_one_can_be_cancelled(app, client, messenger,
                                                                  clock) -> None:
    _citizens(app, messenger)
    preview = _preview(client, text="Marché fermé lundi.", when="2026-03-14T22:30")
    assert "Départ : 15/03/2026 07:00" in preview.text
    assert "les heures de calme (21 h – 7 h) la retiennent jusque-là" in preview.text
    urgent = _preview(client, text="Alerte inondation.", when="2026-03-14T22:30",
                      urgent="true")
    assert "Départ : 14/03/2026 22:30" in urgent.text and "heures de calme" not in urgent.text

    page_path = _send(client, preview).headers["location"]
    page = client.get(page_path)
    assert "programmée" in page.text
    cancel = page_path.split("?")[0] + "/cancel"
    cancelled = client.post(cancel, data=hidden_fields(page, cancel), follow_redirects=False)
    assert "Annonce annulée." in client.get(cancelled.headers["location"]).text
    clock.advance(hours=24)
    assert scheduler.queue_due_broadcasts(app) == 0
    assert not [m for m in messenger.sent if m.purpose == "announcement"]


def test_a_refusal_is_said_beside_its_field_and_keeps_what_was_typed(app, client,
                                                                    messenger) -> None:
    _citizens(app, messenger)

    past = _preview(client, text="Texte gardé tel quel.", when="2026-03-13T08:00")
    assert 'id="send_at-problem" role="alert">Cette heure est déjà passée.' in past.text
    assert ">Texte gardé tel quel.</textarea>" in past.text and 'id="reach"' not in past.text

    nowhere = _preview(client, audience="arrondissement", text="Curage des caniveaux.")
    assert "Choisissez un arrondissement de la commune." in nowhere.text

    nobody = _preview(client, audience="council", text="Session du conseil jeudi.")
    assert "Personne ne recevrait cette annonce" in nobody.text
    assert 'action="/console/announcements"' not in nobody.text.split('id="reach"')[1]

    empty = _preview(client, text="   ")
    assert "Le texte doit avoir de 1 à 3000 caractères." in empty.text


def test_another_communes_announcements_are_out_of_reach(app, client, messenger) -> None:
    _citizens(app, messenger)
    form = hidden_fields(client.get(COMPOSER), PREVIEW)
    assert client.post(PREVIEW, data={**form, "commune": "BJ-ZO-BOH", "audience": "commune",
                                      "text": "Bonjour"}).status_code == 404
    mine = _send(client, _preview(client, text="Pour Cotonou seulement."))
    account(app, "bio", communes=("BJ-ZO-BOH",))
    other = TestClient(client.app)
    signed_in(other, "bio")
    assert other.get(mine.headers["location"]).status_code == 404
    assert other.get(mine.headers["location"].split("?")[0] + "/progress").status_code == 404


def test_a_scheduled_time_in_benin_is_kept_as_typed(app, client, messenger, clock) -> None:
    _citizens(app, messenger)
    later = (clock.now() + timedelta(hours=3)).strftime("%Y-%m-%dT") + "13:45"
    page = client.get(_send(client, _preview(client, text="Vaccination gratuite.",
                                             when=later)).headers["location"])
    assert "14/03/2026 13:45" in page.text  # Benin's 13:45, shown as typed

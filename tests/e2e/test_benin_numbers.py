"""Benin's ten-digit numbers (2024): a citizen known under a number's eight-digit form who
now writes from its ten-digit form (or the other way round) stays one citizen, is answered
where they write from, and moderators read the number in the new plan, masked alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.citizens.models import ChannelIdentity
from core.messages.models import OutboxRecord
from core.moderation.models import Role
from palabre.bootstrap import App, bootstrap
from palabre.channels import whatsapp_config
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account
from tests.e2e.test_whatsapp import (
    Phone,
    _filed_report,
    last_outbox,
    staff_token,
    whatsapp_settings,
)
from tests.fakes.twilio_api import FakeTwilioApi

OLD = "whatsapp:+22997123456"
NEW = "whatsapp:+2290197123456"


@pytest.fixture
def fake():
    with FakeTwilioApi() as api:
        yield api


@pytest.fixture
def wa(app, settings, clock, messenger, fake) -> App:
    application = bootstrap(whatsapp_settings(settings, fake), clock=clock,
                            messengers={"console": messenger})
    yield application
    application.close()


@pytest.fixture
def web(wa) -> TestClient:
    return TestClient(create_web_app(wa))


class NumberedPhone(Phone):
    """The citizen's WhatsApp, writing from `address` (which may change)."""

    def __init__(self, *args: object, address: str) -> None:
        super().__init__(*args)
        self.address = address

    def form(self, kind: str = "text", **overrides: object) -> list[tuple[str, str]]:
        return super().form(kind, **{"From": self.address, **overrides})

    def run(self) -> list[str]:
        self.clock.advance(seconds=1)
        self.app.pipeline.run_once()
        bodies = self.fake.bodies(self.address)
        fresh, self.seen = bodies[self.seen:], len(bodies)
        return fresh

    def moves_to(self, address: str) -> None:
        self.address, self.seen = address, len(self.fake.bodies(address))


def _identities(app) -> list[ChannelIdentity]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(ChannelIdentity).where(
            ChannelIdentity.channel == "whatsapp")).all())


def test_a_citizen_who_moved_to_the_ten_digit_form_stays_one_citizen(wa, web, fake,
                                                                     clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=OLD)
    reference = _filed_report(phone)
    phone.moves_to(NEW)

    replies = phone.text("Bonjour")
    assert replies and not any("Choisissez votre langue" in r for r in replies)
    assert not any("Dans quelle commune" in r for r in replies)  # not a stranger
    [identity] = _identities(wa)
    assert identity.address == NEW.removeprefix("whatsapp:")
    assert any("Mairie de Cotonou" in r for r in replies)  # the commune chosen before
    followed = phone.text("5")  # "Mon suivi": the report filed under the old form
    assert any(reference in r for r in followed), followed


def test_what_waited_for_the_old_form_goes_to_the_new_one(wa, web, fake, clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=OLD)
    reference = _filed_report(phone)
    clock.advance(hours=25)  # WhatsApp's window closed: a reply waits for the citizen
    answered = web.post(f"/api/v1/submissions/{reference}/replies", headers=staff_token(wa),
                        json={"text": "Merci, pouvez-vous préciser la rue ?"})
    assert answered.status_code == 200, answered.text
    phone.run()
    assert last_outbox(wa).status == "held"

    phone.moves_to(NEW)
    replies = phone.text("Bonjour")
    assert any("préciser la rue" in r for r in replies)
    assert not any("préciser la rue" in b for b in fake.bodies(OLD))


def test_a_citizen_still_on_the_eight_digit_form_is_answered_there(wa, web, fake,
                                                                   clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=NEW)
    phone.onboard()
    phone.moves_to(OLD)  # a WhatsApp account registered before the change
    replies = phone.text("Bonjour")
    assert replies and not any("Choisissez votre langue" in r for r in replies)
    [identity] = _identities(wa)
    assert identity.address == OLD.removeprefix("whatsapp:")
    with wa.uow_factory() as uow:
        last = uow.session.exec(select(OutboxRecord).order_by(
            OutboxRecord.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.address == OLD.removeprefix("whatsapp:")


def test_moderators_read_either_form_in_the_new_plan(wa, web, fake, clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=OLD)
    reference = _filed_report(phone)
    client = TestClient(web.app)
    headers = _account(wa, "sena", Role.MODERATOR, ["BJ-LI-COT"], contacts=True)
    shown = client.get(f"/api/v1/submissions/{reference}", headers=headers).json()
    assert shown["citizen"]["address"] == "+229 01 •• •• •• 56"
    revealed = client.post(f"/api/v1/submissions/{reference}/citizen/contact",
                           headers=headers, json={"reason": "Rappeler le citoyen"})
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["address"] == "+2290197123456"  # as it is dialled now


def test_a_sender_typed_with_spaces_answers_as_twilio_writes_it(settings, fake) -> None:
    typed = whatsapp_settings(settings, fake, whatsapp_senders=(
        "+229 01 90 00 00 01=BJ-LI-COT, 00229 61 00 00 02, MG9752274e9e519418a7406176694466fa"))
    config = whatsapp_config(typed)
    assert config is not None
    assert [s.address for s in config.senders] == [
        "+2290190000001", "+22961000002", "MG9752274e9e519418a7406176694466fa"]
    assert config.senders[0].commune == "BJ-LI-COT"

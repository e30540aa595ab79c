"""One citizen on Telegram and WhatsApp: a code asked for on one, sent from the other within
minutes; then one record (submissions, follows, language, consent), answers where the citizen
wrote last, and moderators who see one person. Codes expire, serve once, and are tried a
bounded number of times."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.citizens.models import ChannelIdentity, Citizen
from core.submissions.models import Submission
from palabre.bootstrap import App, bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.e2e import test_surveys
from tests.e2e.console_client import signed_in_browser
from tests.e2e.test_council import staff
from tests.e2e.test_telegram import CITIZEN as TELEGRAM_CITIZEN
from tests.e2e.test_telegram import JPEG, TOKEN, Chat
from tests.e2e.test_whatsapp import Phone, whatsapp_settings

CODE = re.compile(r"LIER (\d{3} \d{3})")


providers = test_surveys.providers  # the fake Telegram and Twilio, a fixture


@pytest.fixture
def town(app, settings, clock, messenger, providers):  # app: a clean database
    telegram, twilio = providers
    configured = Settings(**{**whatsapp_settings(settings, twilio).model_dump(),
                             "telegram_token": TOKEN, "telegram_api_url": telegram.url},
                          _env_file=None)
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.close()


@pytest.fixture
def both(town, providers, clock) -> tuple[Chat, Phone]:
    telegram, twilio = providers
    web = TestClient(create_web_app(town))
    return Chat(town, web, telegram, clock), Phone(town, web, twilio, clock)


def code_in(replies: list[str]) -> str:
    found = CODE.search("\n".join(replies))
    assert found is not None, replies
    return found.group(1)


def linked(sender, code: str, command: str = "LIER") -> list[str]:
    """The code sent, the account it names confirmed as one's own: the replies to both."""
    asked = sender.text(f"{command} {code}")
    assert "Le relier à celui-ci ?" in asked[-1], asked
    return asked + sender.text("1")  # Oui, c'est mon compte


def citizens(app: App) -> list[Citizen]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(Citizen)).all())


def report_on_telegram(chat: Chat, providers) -> str:
    chat.onboard()
    chat.press("report")
    chat.press(chat.button("2"))
    chat.send("location")
    providers[0].add_file("AgACAgQAAxkBAAIB-large", JPEG)
    chat.send("photo")
    chat.text("Caniveau bouché devant l'école, l'eau déborde")
    if any(row[0]["callback_data"] == "new" for row in chat.last_markup()["inline_keyboard"]):
        chat.press("new")
    done = chat.press(chat.button("1"))
    return done[-1].split("référence ")[1].split(".")[0]


def test_a_code_from_telegram_sent_on_whatsapp_makes_one_citizen(town, both, providers,
                                                                 clock) -> None:
    chat, phone = both
    reference = report_on_telegram(chat, providers)
    asked = chat.text("lier")
    code = code_in(asked)
    assert "dans les 10 minutes" in asked[0]

    asked = phone.text(f"LIER {code}")  # WhatsApp's first message: no onboarding asked
    assert "Ce code vient du compte telegram 777••••11." in asked[-1]  # masked
    done = phone.text("1")  # Oui, c'est mon compte

    assert "vos messageries Telegram, WhatsApp sont reliées" in done[0]
    assert "1. Signaler un problème" in done[-1]  # the menu, in French, consent kept
    [citizen] = citizens(town)
    assert citizen.language == "fr" and citizen.consent_at is not None
    assert citizen.commune_id == "BJ-LI-COT"
    with town.uow_factory() as uow:
        channels = uow.session.exec(select(ChannelIdentity.channel).where(
            ChannelIdentity.citizen_id == citizen.id)).all()
        filed = uow.session.exec(select(Submission)).one()
    assert sorted(channels) == ["telegram", "whatsapp"] and filed.citizen_id == citizen.id
    assert any(reference in r for r in phone.text("5"))  # "Mon suivi" on WhatsApp

    # the mairie's news goes where the citizen wrote last: WhatsApp
    before = len(providers[0].texts(TELEGRAM_CITIZEN))
    web, admin = TestClient(create_web_app(town)), staff(town)
    changed = web.post(f"/api/v1/submissions/{reference}/status", headers=admin,
                       json={"status": "acknowledged", "public_note": "Équipe en route"})
    assert changed.status_code == 200, changed.text
    news = phone.run()
    assert any(reference in r and "Équipe en route" in r for r in news)
    assert len(providers[0].texts(TELEGRAM_CITIZEN)) == before
    detail = web.get(f"/api/v1/submissions/{reference}", headers=admin).json()
    assert detail["citizen"]["channels"] == ["telegram", "whatsapp"]  # one person to them
    assert detail["citizen"]["channel"] == "telegram"  # where this report came from
    page = signed_in_browser(town, "kofi").get(f"/console/s/{reference}")
    assert "aussi sur telegram, whatsapp, relié par le citoyen" in page.text


def test_a_code_from_whatsapp_sent_on_telegram_brings_the_whatsapp_choices(
        town, both) -> None:
    chat, phone = both
    phone.onboard()
    code = code_in(phone.text("LIER"))
    phone.text("1")  # the menu again meanwhile: the code still holds

    done = linked(chat, code, "/lier")

    assert any("reliées" in r for r in done)
    [citizen] = citizens(town)
    assert citizen.language == "fr" and citizen.consent_at is not None


def test_a_code_serves_once_within_its_ten_minutes_and_only_from_the_other_channel(
        town, both, clock) -> None:
    chat, phone = both
    phone.onboard()
    late = code_in(phone.text("lier"))
    clock.advance(minutes=11)
    assert "Ce code ne marche pas" in chat.text(f"lier {late}")[0]

    code = code_in(phone.text("lier"))
    assert "pas depuis celle-ci" in phone.text(f"lier {code}")[0]  # sent back on WhatsApp
    assert any("reliées" in r for r in linked(chat, code))
    assert "déjà reliées" in chat.text(f"lier {code_in(phone.text('lier'))}")[0]
    other = Phone(town, phone.web, phone.fake, clock)
    other_number = "whatsapp:+2290196000009"
    other.send("text", Body=f"lier {code}", From=other_number, WaId=other_number[10:],
               MessageSid=f"SM{99:032x}")
    assert "Ce code ne marche pas" in phone.fake.bodies(other_number)[0]  # used already
    assert len(citizens(town)) == 2  # the Telegram-WhatsApp pair, and the other number


def test_asking_again_voids_the_first_code(town, both) -> None:
    chat, phone = both
    phone.onboard()
    first = code_in(phone.text("lier"))
    second = code_in(phone.text("lier"))

    assert first == second or "Ce code ne marche pas" in chat.text(f"lier {first}")[0]
    assert any("reliées" in r for r in linked(chat, second))


def test_five_wrong_codes_stop_an_identity_for_an_hour(town, both, clock) -> None:
    chat, phone = both
    phone.onboard()
    code = code_in(phone.text("lier"))
    wrong = f"{(int(code.replace(' ', '')) + 1) % 1_000_000:06d}"

    for _ in range(5):
        assert "Ce code ne marche pas" in chat.text(f"lier {wrong}")[0]
    assert "Trop de codes erronés" in chat.text(f"lier {code}")[0]  # even the right one
    clock.advance(minutes=61)
    fresh = code_in(phone.text("lier"))
    assert any("reliées" in r for r in linked(chat, fresh))
    assert len(citizens(town)) == 1


def test_a_code_posted_by_someone_else_joins_nothing_unless_one_says_it_is_ones_own(
        town, both) -> None:
    """« Envoyez LIER 482 913 au bot », posted in a group: the reader is told whose account
    the code would join, and says no."""
    chat, phone = both
    phone.onboard()
    code = code_in(phone.text("lier"))
    chat.onboard()

    asked = chat.text(f"LIER {code}")
    refused = chat.text("2")  # Non, annuler

    assert "Ce code vient du compte whatsapp" in asked[-1] and "Ne le faites que si" in asked[-1]
    assert "rien n'a été relié" in refused[0] and len(citizens(town)) == 2

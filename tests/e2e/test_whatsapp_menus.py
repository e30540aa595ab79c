"""WhatsApp's options to tap, against the fake Twilio's Content API: buttons and lists inside
the 24-hour window, each layout created once and reused, the tapped id as the answer, and the
numbered lines whenever Twilio cannot make or send a layout."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import select

from core.citizens.models import Citizen
from palabre.bootstrap import App, bootstrap
from palabre.web import create_web_app
from tests.e2e import test_whatsapp
from tests.e2e.console_client import signed_in_browser
from tests.e2e.test_whatsapp import (
    CITIZEN,
    PUBLIC,
    SENDER,
    STATUS,
    Phone,
    staff_token,
    whatsapp_settings,
)
from tests.fakes.twilio_api import Call, FakeTwilioApi
from tests.fakes.twilio_content import StoredContent

# The WhatsApp fixtures: the fake Twilio, Palabre talking to it, its web app, a citizen's phone
fake, wa, web, phone = test_whatsapp.fake, test_whatsapp.wa, test_whatsapp.web, test_whatsapp.phone
LIST, BUTTONS = "twilio/list-picker", "twilio/quick-reply"


def last_call(fake: FakeTwilioApi, to: str = CITIZEN) -> Call:
    return fake.sent(to)[-1]


def content_of(fake: FakeTwilioApi, call: Call) -> StoredContent:
    return next(c for c in fake.contents if c.sid == call.param("ContentSid"))


def creations(fake: FakeTwilioApi) -> list[Call]:
    return [c for c in fake.calls if c.method == "POST" and c.path == "/v1/Content"]


def language_of(app: App) -> str | None:
    with app.uow_factory() as uow:
        return uow.session.exec(select(Citizen.language)).one()


def test_the_first_message_offers_the_languages_as_a_list_to_tap(phone, fake) -> None:
    replies = phone.text("Bonjour")

    call = last_call(fake)
    content = content_of(fake, call)
    assert call.param("Body") is None and call.param("From") == SENDER
    assert call.param("StatusCallback") == PUBLIC + STATUS
    words = json.loads(call.param("ContentVariables") or "{}")["1"]
    assert "Bienvenue" in words and "Français" not in words  # the rows carry the options
    assert content.kind == LIST and content.layout["button"] == "Choisir"
    assert content.options()[:2] == [("lang:fr", "1. Français", ""),
                                     ("lang:en", "2. English", "")]
    assert replies == [content.shown({"1": words})] and "\n1. Français\n" in replies[0]


def test_a_tapped_row_answers_the_question(phone, wa) -> None:
    phone.text("Bonjour")

    replies = phone.send("list_reply", ListId="lang:en", ListTitle="2. English",
                         Body="2. English")

    assert language_of(wa) == "en"
    assert any("commune" in r.lower() for r in replies)


def test_two_options_are_buttons_and_a_tapped_button_answers(phone, fake) -> None:
    for words in ("Bonjour", "1", "Cotonou"):
        phone.text(words)
    consent = content_of(fake, last_call(fake))

    replies = phone.send("button_reply", ButtonPayload="accept", ButtonText="1. J'accepte",
                         Body="1. J'accepte")

    assert consent.kind == BUTTONS
    assert consent.options() == [("accept", "1. J'accepte", ""), ("refuse", "2. Je refuse", "")]
    asked = content_of(fake, last_call(fake))  # the inclusion questions come next
    assert ("v:woman", "1. Une femme", "") in asked.options() and replies


def test_typed_numbers_and_words_still_answer(phone, wa, fake) -> None:
    phone.text("Bonjour")
    phone.text("english")  # a label typed
    phone.text("6")  # Cotonou, by its number in the list

    assert language_of(wa) == "en"
    assert content_of(fake, last_call(fake)).kind == BUTTONS  # consent: 1. I accept…


def test_a_layout_is_created_once_for_every_citizen_and_every_process(
        wa, web, fake, clock, settings, messenger) -> None:
    Phone(wa, web, fake, clock).text("Bonjour")
    other = "whatsapp:+2290196000001"
    Phone(wa, web, fake, clock).send("text", Body="Salut", From=other, WaId=other[10:],
                                     MessageSid=f"SM{2:032x}")
    second = bootstrap(whatsapp_settings(settings, fake), clock=clock,
                       messengers={"console": messenger})  # another process, same database
    try:
        third = "whatsapp:+2290196000002"
        Phone(second, web, fake, clock).send("text", Body="Bonjour", From=third,
                                             WaId=third[10:], MessageSid=f"SM{3:032x}")
    finally:
        second.close()

    assert len(creations(fake)) == 1 and len(fake.contents) == 1
    sids = {last_call(fake, to).param("ContentSid") for to in (CITIZEN, other, third)}
    assert sids == {fake.contents[0].sid}


def test_a_button_from_an_older_question_is_read_as_its_words(phone, wa, fake) -> None:
    phone.text("Bonjour")
    phone.text("1")  # French; the commune is asked
    asked = content_of(fake, last_call(fake))

    replies = phone.send("list_reply", ListId="lang:en", ListTitle="2. English",
                         Body="2. English")

    assert language_of(wa) == "fr"  # not the language list's answer any more
    assert content_of(fake, last_call(fake)) == asked and replies  # the commune, asked again


def test_a_forged_id_is_read_as_its_words(phone, wa) -> None:
    phone.text("Bonjour")

    phone.send("button_reply", ButtonPayload="report", ButtonText="Français", Body="Français")

    assert language_of(wa) == "fr"  # "Français", as typed: the label of lang:fr


def test_when_twilio_cannot_create_a_layout_numbered_lines_go_instead(phone, fake) -> None:
    fake.fail_content_next(status=503, code=20503)

    first = phone.text("Bonjour")
    assert last_call(fake).param("ContentSid") is None and fake.contents == []
    assert "\n\n1. Français\n2. English\n" in first[0]
    phone.text("Bonjour")  # within the minute: no layout is tried
    assert last_call(fake).param("ContentSid") is None and len(creations(fake)) == 1
    phone.clock.advance(seconds=60)
    phone.text("Bonjour")  # the same question again: Twilio is back
    assert content_of(fake, last_call(fake)).kind == LIST
    assert len(creations(fake)) == 2


def test_a_layout_twilio_refuses_is_asked_for_again_an_hour_later(phone, fake) -> None:
    fake.fail_content_next(status=400, code=20001, message="Invalid parameter")

    phone.text("Bonjour")
    phone.text("Bonjour")
    assert [c.param("ContentSid") for c in fake.sent(CITIZEN)] == [None, None]
    assert len(creations(fake)) == 1
    phone.clock.advance(minutes=61)
    phone.text("Bonjour")
    assert last_call(fake).param("ContentSid") == fake.contents[0].sid


def test_a_layout_deleted_at_twilio_goes_as_lines_then_is_made_again(phone, fake) -> None:
    phone.text("Bonjour")
    deleted = fake.contents[0].sid
    fake.delete_content(deleted)

    refused = phone.text("Bonjour")
    assert "\n\n1. Français\n" in refused[0] and last_call(fake).param("ContentSid") is None
    assert any(c.param("ContentSid") == deleted and c.status == 400 for c in fake.calls)
    phone.text("Bonjour")
    assert last_call(fake).param("ContentSid") not in (None, deleted)


def test_with_buttons_switched_off_options_are_numbered_lines(
        app, settings, fake, clock, messenger) -> None:
    plain = bootstrap(whatsapp_settings(settings, fake, whatsapp_buttons=False), clock=clock,
                      messengers={"console": messenger})
    try:
        replies = Phone(plain, TestClient(create_web_app(plain)), fake, clock).text("Bonjour")
    finally:
        plain.close()

    assert fake.contents == [] and "1. Français" in replies[0]
    assert last_call(fake).param("Body") == replies[0]


def test_a_pin_far_outside_the_commune_is_questioned_with_buttons_and_shown_to_moderators(
        phone, wa, web, fake) -> None:
    phone.onboard()
    phone.text("1")  # report
    phone.text("2")  # a category
    asked = phone.send("location", Latitude="9.3400", Longitude="2.6300", Label="",
                       Address="Parakou")
    question = content_of(fake, last_call(fake))
    assert "Ce point semble hors de Cotonou : il est à 332 km de son centre, près de " \
           "Parakou. Le garder ?" in asked[-1]
    assert question.options() == [("keep", "1. Oui, le garder", ""),
                                  ("again", "2. Non, un autre point", "")]
    phone.send("button_reply", ButtonPayload="keep", ButtonText="1. Oui, le garder",
               Body="1. Oui, le garder")
    phone.text("Pas de photo")
    phone.text("Le caniveau déborde devant le marché")
    reference = phone.text("1")[-1].split("référence ")[1].split(".")[0]

    detail = web.get(f"/api/v1/submissions/{reference}", headers=staff_token(wa)).json()
    assert detail["latitude"] == 9.34 and detail["far_pin"] == {"km": 332, "near": "Parakou"}
    page = signed_in_browser(wa, "kofi").get(f"/console/s/{reference}")
    assert "à 332 km du centre de la commune, près de Parakou" in page.text


def test_a_list_of_the_citizens_own_submissions_stays_numbered_lines(phone, fake) -> None:
    """Their titles are the citizen's words: never laid out in a content kept at Twilio."""
    reference = test_whatsapp._filed_report(phone)
    made = len(fake.contents)

    mine = phone.text("5")  # Mon suivi

    assert last_call(fake).param("ContentSid") is None and reference in mine[-1]
    assert "1. " + reference in mine[-1] and len(fake.contents) == made

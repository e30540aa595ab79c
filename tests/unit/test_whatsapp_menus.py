"""A question's options as WhatsApp buttons or a list: which layout, what it holds, its key."""

from __future__ import annotations

from bots.whatsapp.menus import LIST_PICKER, QUICK_REPLY, menu_for, twilio_language
from core.messages.neutral import Choice

YES_NO = (Choice("accept", "J'accepte"), Choice("refuse", "Je refuse"))
CATEGORIES = tuple(Choice(f"cat:{n}", label) for n, label in enumerate(
    ["Voirie, route, pont", "Caniveau, inondation", "Éclairage public", "Ordures, dépotoir",
     "Marché", "École, bâtiment public et équipements sportifs"], start=1))


def test_up_to_three_short_options_are_quick_reply_buttons_keeping_their_numbers() -> None:
    menu = menu_for(YES_NO, language="fr", button="Choisir")

    assert menu is not None and menu.kind == QUICK_REPLY
    body = menu.creation()
    assert body["types"] == {QUICK_REPLY: {"body": "{{1}}", "actions": [
        {"title": "1. J'accepte", "id": "accept"}, {"title": "2. Je refuse", "id": "refuse"}]}}
    assert body["language"] == "fr" and body["variables"] == {"1": "Palabre"}


def test_more_options_or_a_long_title_make_a_list_whose_long_rows_are_described() -> None:
    menu = menu_for(CATEGORIES, language="fr", button="Choisir")
    long_pair = menu_for((Choice("a", "Un titre bien trop long"), Choice("b", "Non")),
                         language="fr", button="Choisir")

    assert menu is not None and menu.kind == LIST_PICKER
    layout = menu.creation()["types"][LIST_PICKER]
    assert layout["button"] == "Choisir" and layout["body"] == "{{1}}"
    assert layout["items"][0] == {"item": "1. Voirie, route, pont", "id": "cat:1"}
    assert layout["items"][5] == {"item": "6. École, bâtiment publ…", "id": "cat:6",
                                  "description": "École, bâtiment public et équipements "
                                                 "sportifs"}
    assert all(len(i["item"]) <= 24 for i in layout["items"])
    assert long_pair is not None and long_pair.kind == LIST_PICKER  # 23 characters > 20


def test_what_cannot_be_tapped_stays_numbered_lines() -> None:
    eleven = tuple(Choice(f"o{n}", f"Option {n}") for n in range(11))
    long_id = (Choice("x" * 65, "Oui"),)

    assert menu_for(eleven, language="fr", button="Choisir") is None
    assert menu_for(long_id, language="fr", button="Choisir") is None
    assert menu_for((), language="fr", button="Choisir") is None
    assert menu_for(CATEGORIES, language="fr", button="") is None  # a list needs its button
    assert menu_for(YES_NO, language="", button="") is None  # an outbox row of old


def test_the_key_is_the_layout_and_its_language_not_the_question() -> None:
    french = menu_for(YES_NO, language="fr", button="Choisir")
    again = menu_for(YES_NO, language="fr", button="Choisir")
    fon = menu_for(YES_NO, language="fon", button="Choisir")

    assert french is not None and again is not None and fon is not None
    assert french.key == again.key and french.key != fon.key
    assert fon.creation()["language"] == "fr"  # Twilio records two letters
    assert fon.creation()["friendly_name"].startswith("palabre_fon_")


def test_twilio_gets_two_letter_languages() -> None:
    assert [twilio_language(c) for c in ("fr", "en", "yo", "fon", "guw")] == \
        ["fr", "en", "yo", "fr", "fr"]

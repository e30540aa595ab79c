"""Onboarding: the language spoken, commune, consent, then the optional inclusion questions
and the consent to train speech models."""

from __future__ import annotations

from datetime import timedelta

from core.commands import UpdateProfile
from dialogs.conversation import Conversation, Engine
from dialogs.engine import Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import (
    CALAVI,
    COTONOU,
    NOW,
    FakeLookup,
    citizen,
    keys,
    newcomer,
    option_ids,
)

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
INCLUSION_SKIPS = ["skip", "skip_all"]


def at(state: str, **data: object) -> Conversation:
    return Conversation(flow="onboarding", state=state, data=data, updated_at=NOW)


def test_a_first_message_is_answered_with_the_welcome_and_the_languages() -> None:
    lookup = FakeLookup(citizen=newcomer())

    turn = ENGINE.turn(Conversation(), Msg(kind="text", text="Bonjour"), lookup)

    assert (turn.conversation.flow, turn.conversation.state) == ("onboarding", "LANGUAGE")
    assert turn.says == ()
    assert turn.prompt is not None
    assert keys(turn.prompt.says) == ["onboarding.welcome"]
    assert option_ids(turn.prompt) == ["lang:fr", "lang:en", "lang:fon", "lang:yo"]
    assert "Bienvenue" in CATALOGS.render("fr", turn.prompt.says[0])


def test_picking_english_saves_the_language_and_asks_for_the_commune() -> None:
    lookup = FakeLookup(citizen=newcomer())

    turn = ENGINE.turn(at("LANGUAGE"), Msg(kind="text", text="2", choice="lang:en"), lookup)

    assert turn.conversation.state == "COMMUNE"
    assert turn.commands == (UpdateProfile(7, {"spoken_language": "en", "language": "en"}),)
    assert turn.says == ()
    assert keys(turn.prompt.says) == ["onboarding.commune.ask"]
    assert option_ids(turn.prompt) == [f"commune:{COTONOU}", f"commune:{CALAVI}"]


def test_picking_french_saves_french() -> None:
    lookup = FakeLookup(citizen=newcomer())

    turn = ENGINE.turn(at("LANGUAGE"), Msg(kind="text", text="1", choice="lang:fr"), lookup)

    assert turn.commands == (UpdateProfile(7, {"spoken_language": "fr", "language": "fr"}),)


def test_a_fon_speaker_reads_french_and_is_told_so() -> None:
    lookup = FakeLookup(citizen=newcomer())

    turn = ENGINE.turn(at("LANGUAGE"), Msg(kind="text", text="3", choice="lang:fon"), lookup)

    assert turn.commands == (UpdateProfile(7, {"spoken_language": "fon", "language": "fr"}),)
    assert keys(turn.says) == ["language.spoken_only"]
    assert CATALOGS.render("fr", turn.says[0]) == (
        "C'est noté : vous parlez Fon (Fɔngbè). Envoyez vos messages vocaux en Fon (Fɔngbè), "
        "la mairie les recevra. Je vous écris en français.")
    assert turn.conversation.state == "COMMUNE"


def test_an_english_reader_who_says_they_speak_yoruba_keeps_reading_english() -> None:
    lookup = FakeLookup(citizen=citizen(language="en"))
    asked = ENGINE.turn(Conversation(flow="menu", state="MENU", updated_at=NOW),
                        Msg(kind="text", text="language"), lookup)

    chosen = ENGINE.turn(asked.conversation, Msg(kind="text", text="4", choice="lang:yo"),
                         lookup)

    assert chosen.commands == (UpdateProfile(7, {"spoken_language": "yo", "language": "en"}),)
    assert CATALOGS.render("en", chosen.says[0]).endswith("I will write to you in English.")
    assert (chosen.conversation.flow, chosen.conversation.state) == ("menu", "MENU")


def test_words_that_are_not_a_language_re_ask_with_a_hint() -> None:
    lookup = FakeLookup(citizen=newcomer())

    turn = ENGINE.turn(at("LANGUAGE"), Msg(kind="text", text="bonjour"), lookup)

    assert turn.conversation == at("LANGUAGE")
    assert keys(turn.says) == ["error.choose"]
    assert keys(turn.prompt.says) == ["onboarding.welcome"]
    assert turn.commands == ()


def test_a_number_beyond_the_languages_says_how_many_there_are() -> None:
    lookup = FakeLookup(citizen=newcomer())

    turn = ENGINE.turn(at("LANGUAGE"), Msg(kind="text", text="5"), lookup)

    assert turn.says[0].key == "error.choose_number"
    assert turn.says[0].params == {"count": 4}


def test_a_commune_picked_from_the_list_is_saved_then_consent_is_asked() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True))

    turn = ENGINE.turn(at("COMMUNE"), Msg(kind="text", text="1", choice=f"commune:{COTONOU}"),
                       lookup)

    assert turn.conversation.state == "CONSENT"
    assert turn.commands == (UpdateProfile(7, {"commune_id": COTONOU}),)
    assert keys(turn.prompt.says) == ["onboarding.consent.ask"]
    assert option_ids(turn.prompt) == ["accept", "refuse"]


def test_a_commune_typed_by_name_is_found_despite_case_and_accents() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True))

    typed = ENGINE.turn(at("COMMUNE"), Msg(kind="text", text="  COTONOU "), lookup)
    hyphenless = ENGINE.turn(at("COMMUNE"), Msg(kind="text", text="abomey calavi"), lookup)

    assert typed.commands == (UpdateProfile(7, {"commune_id": COTONOU}),)
    assert hyphenless.commands == (UpdateProfile(7, {"commune_id": CALAVI}),)
    assert hyphenless.conversation.state == "CONSENT"


def test_an_unknown_commune_is_named_back_to_the_citizen() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True))

    turn = ENGINE.turn(at("COMMUNE"), Msg(kind="text", text="Parakou"), lookup)

    assert turn.conversation == at("COMMUNE")
    assert turn.commands == ()
    assert keys(turn.says) == ["onboarding.commune.unknown"]
    assert "« Parakou »" in CATALOGS.render("fr", turn.says[0])
    assert '"Parakou"' in CATALOGS.render("en", turn.says[0])
    assert keys(turn.prompt.says) == ["onboarding.commune.ask"]


def test_a_sticker_at_the_commune_question_gets_the_sticker_hint() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True))

    turn = ENGINE.turn(at("COMMUNE"), Msg(kind="sticker"), lookup)

    assert keys(turn.says) == ["error.sticker"]
    assert turn.conversation.state == "COMMUNE"


def test_accepting_records_consent_and_starts_the_optional_questions() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True, commune_id=COTONOU))

    turn = ENGINE.turn(at("CONSENT"), Msg(kind="text", text="1", choice="accept"), lookup)

    assert turn.conversation.state == "GENDER"
    assert turn.commands == (UpdateProfile(7, {"consent_at": NOW}),)
    assert keys(turn.says) == ["onboarding.consent.thanks"]
    assert keys(turn.prompt.says) == ["onboarding.gender.ask"]
    assert option_ids(turn.prompt) == ["v:woman", "v:man", "v:other", *INCLUSION_SKIPS]


def test_refusing_consent_records_nothing_and_shows_no_menu() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True, commune_id=COTONOU))

    turn = ENGINE.turn(at("CONSENT"), Msg(kind="text", text="2", choice="refuse"), lookup)

    assert turn.conversation == Conversation()
    assert keys(turn.says) == ["onboarding.consent.refused"]
    assert turn.prompt is None
    assert turn.commands == ()


def test_after_a_refusal_the_next_message_asks_for_consent_again() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True, commune_id=COTONOU))

    turn = ENGINE.turn(Conversation(), Msg(kind="text", text="J'ai changé d'avis"), lookup)

    assert (turn.conversation.flow, turn.conversation.state) == ("onboarding", "CONSENT")


def test_an_unclear_answer_to_consent_re_asks() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True, commune_id=COTONOU))

    turn = ENGINE.turn(at("CONSENT"), Msg(kind="text", text="peut-être"), lookup)

    assert turn.conversation == at("CONSENT")
    assert keys(turn.says) == ["error.choose"]
    assert turn.commands == ()


def test_inclusion_answers_are_saved_one_by_one_then_the_menu_follows() -> None:
    lookup = FakeLookup()

    gender = ENGINE.turn(at("GENDER"), Msg(kind="text", text="1", choice="v:woman"), lookup)
    age = ENGINE.turn(gender.conversation, Msg(kind="text", text="3", choice="v:25_34"), lookup)
    disability = ENGINE.turn(age.conversation, Msg(kind="text", text="2", choice="v:no"), lookup)

    assert gender.commands == (UpdateProfile(7, {"gender": "woman"}),)
    assert (age.conversation.state, keys(age.prompt.says)) == ("DISABILITY",
                                                               ["onboarding.disability.ask"])
    assert age.commands == (UpdateProfile(7, {"age_band": "25_34"}),)
    assert option_ids(age.prompt) == ["v:yes", "v:no", *INCLUSION_SKIPS]
    assert disability.commands == (UpdateProfile(7, {"disability": "no"}),)
    assert disability.conversation.state == "VOICE_DATA"
    assert keys(disability.prompt.says) == ["onboarding.voice_data.ask"]
    assert disability.prompt.says[0].params == {"language": "Français"}
    assert option_ids(disability.prompt) == ["v:yes", "v:no"]


def test_agreeing_that_voice_notes_train_speech_models_is_recorded_then_the_menu() -> None:
    lookup = FakeLookup(citizen=citizen(spoken_language="fon"))

    asked = ENGINE.turn(at("DISABILITY"), Msg(kind="text", text="3", choice="skip"), lookup)
    agreed = ENGINE.turn(asked.conversation, Msg(kind="text", text="1", choice="v:yes"), lookup)
    refused = ENGINE.turn(asked.conversation, Msg(kind="text", text="2", choice="v:no"), lookup)

    assert asked.prompt.says[0].params == {"language": "Fon (Fɔngbè)"}
    assert agreed.commands == (UpdateProfile(7, {"voice_data_consent_at": NOW}),)
    assert refused.commands == ()
    for done in (agreed, refused):
        assert keys(done.says) == ["onboarding.done"]
        assert (done.conversation.flow, done.conversation.state) == ("menu", "MENU")


def test_the_age_question_offers_every_band() -> None:
    turn = ENGINE.turn(at("GENDER"), Msg(kind="text", text="4", choice="skip"), FakeLookup())

    assert option_ids(turn.prompt) == ["v:under_18", "v:18_24", "v:25_34", "v:35_49",
                                       "v:50_plus", *INCLUSION_SKIPS]


def test_skipping_one_question_moves_on_without_saving_anything() -> None:
    lookup = FakeLookup()

    gender = ENGINE.turn(at("GENDER"), Msg(kind="text", text="4", choice="skip"), lookup)
    disability = ENGINE.turn(at("DISABILITY"), Msg(kind="text", text="3", choice="skip"), lookup)

    assert (gender.conversation.state, gender.commands) == ("AGE", ())
    assert (disability.conversation.state, disability.commands) == ("VOICE_DATA", ())


def test_skipping_all_questions_ends_onboarding_at_the_menu() -> None:
    lookup = FakeLookup()

    turn = ENGINE.turn(at("GENDER"), Msg(kind="text", text="5", choice="skip_all"), lookup)

    assert keys(turn.says) == ["onboarding.done"]
    assert turn.commands == ()
    assert (turn.conversation.flow, turn.conversation.state) == ("menu", "MENU")
    assert keys(turn.prompt.says) == ["menu.title"]


def test_an_inclusion_question_answered_in_words_is_asked_again() -> None:
    turn = ENGINE.turn(at("AGE"), Msg(kind="text", text="vingt ans"), FakeLookup())

    assert turn.conversation == at("AGE")
    assert keys(turn.says) == ["error.choose"]
    assert turn.commands == ()


def test_a_bot_bound_to_a_commune_never_asks_for_the_commune() -> None:
    lookup = FakeLookup(citizen=newcomer(bound_commune_id=COTONOU))

    first = ENGINE.turn(Conversation(), Msg(kind="text", text="Bonjour"), lookup)
    picked = ENGINE.turn(first.conversation, Msg(kind="text", text="1", choice="lang:fr"), lookup)

    assert first.conversation.state == "LANGUAGE"
    assert picked.conversation.state == "CONSENT"
    assert picked.commands == (UpdateProfile(7, {"spoken_language": "fr", "language": "fr"}),)


def test_a_citizen_who_has_not_consented_is_brought_back_to_consent_from_any_flow() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True, commune_id=COTONOU))
    stale = Conversation(flow="report", state="CATEGORY", data={}, updated_at=NOW)

    turn = ENGINE.turn(stale, Msg(kind="text", text="1", choice="cat:1"), lookup)

    assert (turn.conversation.flow, turn.conversation.state) == ("onboarding", "CONSENT")
    assert turn.commands == ()


def test_langue_asks_only_the_language_and_returns_to_the_menu() -> None:
    lookup = FakeLookup()
    menu = Conversation(flow="menu", state="MENU", updated_at=NOW)

    asked = ENGINE.turn(menu, Msg(kind="text", text="langue"), lookup)
    chosen = ENGINE.turn(asked.conversation, Msg(kind="text", text="2", choice="lang:en"), lookup)

    assert asked.conversation == Conversation(flow="onboarding", state="LANGUAGE",
                                              data={"only_language": True})
    assert keys(asked.prompt.says) == ["language.ask"]
    assert option_ids(asked.prompt) == ["lang:fr", "lang:en", "lang:fon", "lang:yo"]
    assert chosen.commands == (UpdateProfile(7, {"spoken_language": "en", "language": "en"}),)
    assert keys(chosen.says) == ["language.done"]
    assert (chosen.conversation.flow, chosen.conversation.state) == ("menu", "MENU")


def test_language_in_english_opens_the_same_question() -> None:
    lookup = FakeLookup(citizen=citizen(language="en"))

    turn = ENGINE.turn(Conversation(flow="menu", state="MENU"), Msg(kind="text", text="Language"),
                       lookup)

    assert turn.conversation.data == {"only_language": True}
    assert CATALOGS.render("en", turn.prompt.says[0]) == (
        "Which language do you speak? Your voice notes will be heard in it.")


def test_a_newcomer_who_changes_language_mid_onboarding_goes_on_with_onboarding() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True))

    asked = ENGINE.turn(at("COMMUNE"), Msg(kind="text", text="langue"), lookup)
    chosen = ENGINE.turn(asked.conversation, Msg(kind="text", text="2", choice="lang:en"), lookup)

    assert chosen.commands == (UpdateProfile(7, {"spoken_language": "en", "language": "en"}),)
    assert (chosen.conversation.flow, chosen.conversation.state) == ("onboarding", "COMMUNE")
    assert keys(chosen.prompt.says) == ["onboarding.commune.ask"]

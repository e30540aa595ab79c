"""My data: what Palabre keeps about the citizen, and erasing it after confirmation."""

from __future__ import annotations

from datetime import timedelta

from core.commands import EraseCitizen, UpdateProfile
from dialogs.conversation import Conversation, Engine, Turn
from dialogs.engine import Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import NOW, FakeLookup, citizen, keys, option_ids

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
FACTS = {"channels": "telegram 5550123", "language": "Français", "spoken": "Fon (Fɔngbè)",
         "voice_data": "non", "commune": "Cotonou",
         "since": NOW - timedelta(days=40), "gender": "woman", "age_band": "—",
         "disability": "—", "messages": 23, "submissions": 2}


def at(state: str, msg: Msg) -> Turn:
    current = Conversation(flow="mydata", state=state, updated_at=NOW)
    return ENGINE.turn(current, msg, FakeLookup(facts=dict(FACTS)))


def choose(option: str, typed: str = "1") -> Msg:
    return Msg(kind="text", text=typed, choice=option)


def test_my_data_shows_everything_kept_about_me() -> None:
    turn = ENGINE.turn(Conversation(flow="menu", state="MENU"), choose("mydata", "6"),
                       FakeLookup(facts=dict(FACTS)))

    assert (turn.conversation.flow, turn.conversation.state) == ("mydata", "SHOW")
    assert keys(turn.prompt.says) == ["mydata.summary"]
    assert turn.prompt.says[0].params == FACTS
    assert option_ids(turn.prompt) == ["delete", "voice:give", "link", "menu"]
    summary = CATALOGS.render("fr", turn.prompt.says[0])
    assert "• Comptes : telegram 5550123" in summary
    assert "• Langue écrite : Français · Langue parlée : Fon (Fɔngbè)" in summary
    assert "• Messages envoyés : 23" in summary
    assert "• Accounts: telegram 5550123" in CATALOGS.render("en", turn.prompt.says[0])


def test_asking_to_delete_asks_for_confirmation_first() -> None:
    turn = at("SHOW", choose("delete"))

    assert turn.conversation.state == "CONFIRM"
    assert turn.commands == ()
    assert keys(turn.prompt.says) == ["mydata.confirm"]
    assert option_ids(turn.prompt) == ["erase", "keep"]


def test_back_to_the_menu_from_my_data() -> None:
    turn = at("SHOW", choose("menu", "2"))

    assert (turn.conversation.flow, turn.conversation.state) == ("menu", "MENU")
    assert turn.says == ()
    assert turn.commands == ()


def test_confirming_erases_the_citizen_and_ends_the_conversation() -> None:
    turn = at("CONFIRM", choose("erase"))

    assert turn.commands == (EraseCitizen(7),)
    assert keys(turn.says) == ["mydata.deleted"]
    assert turn.conversation == Conversation()
    assert turn.prompt is None


def test_keeping_the_data_erases_nothing() -> None:
    turn = at("CONFIRM", choose("keep", "2"))

    assert turn.commands == ()
    assert keys(turn.says) == ["mydata.kept"]
    assert turn.conversation.flow == "menu"


def test_an_unclear_answer_erases_nothing_and_asks_again() -> None:
    shown = at("SHOW", Msg(kind="text", text="effacer"))
    confirming = at("CONFIRM", Msg(kind="text", text="oui"))

    assert (shown.conversation.state, keys(shown.says)) == ("SHOW", ["error.choose"])
    assert (confirming.conversation.state, keys(confirming.says)) == ("CONFIRM", ["error.choose"])
    assert shown.commands == confirming.commands == ()
    assert keys(confirming.prompt.says) == ["mydata.confirm"]


def test_consent_to_train_speech_models_is_given_and_withdrawn_here() -> None:
    current = Conversation(flow="mydata", state="SHOW", updated_at=NOW)
    giving = FakeLookup(facts=dict(FACTS))
    withdrawing = FakeLookup(citizen=citizen(voice_data_consent=True), facts=dict(FACTS))

    offered = ENGINE.turn(Conversation(flow="menu", state="MENU"), choose("mydata", "6"),
                          withdrawing)
    given = ENGINE.turn(current, choose("voice:give", "2"), giving)
    withdrawn = ENGINE.turn(current, choose("voice:withdraw", "2"), withdrawing)

    assert option_ids(offered.prompt) == ["delete", "voice:withdraw", "link", "menu"]
    assert given.commands == (UpdateProfile(7, {"voice_data_consent_at": NOW}),)
    assert keys(given.says) == ["mydata.voice_data.given"]
    assert withdrawn.commands == (UpdateProfile(7, {"voice_data_consent_at": None}),)
    assert keys(withdrawn.says) == ["mydata.voice_data.withdrawn"]
    assert given.conversation.flow == withdrawn.conversation.flow == "menu"


def test_linking_my_other_channel_asks_for_a_code_to_send_from_it() -> None:
    turn = at("SHOW", choose("link", "3"))

    assert keys(turn.says) == ["link.code"]
    assert [type(c).__name__ for c in turn.commands] == ["IssueLinkCode"]
    assert "LIER {code}" in CATALOGS.template("fr", "link.code")

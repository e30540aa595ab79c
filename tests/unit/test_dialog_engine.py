"""The engine around the flows: the menu, hints for unusable input, expiry and resuming."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs.conversation import Conversation, Engine
from dialogs.engine import AttachmentRef, Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import NOW, FakeLookup, keys, option_ids

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
MENU = Conversation(flow="menu", state="MENU", updated_at=NOW)
DRAFT = {"category_id": 2, "category": "Caniveau, inondation", "photo": True,
         "attachment_ids": [501]}
PHOTO = AttachmentRef(501, "photo", "image/jpeg")


def report_at(state: str, *, age: timedelta) -> Conversation:
    return Conversation(flow="report", state=state, data=DRAFT, updated_at=NOW - age)


def test_an_onboarded_citizen_without_a_conversation_gets_the_menu_of_their_commune() -> None:
    turn = ENGINE.turn(Conversation(), Msg(kind="text", text="Bonjour"), FakeLookup())

    assert turn.conversation == Conversation(flow="menu", state="MENU", data={})
    assert option_ids(turn.prompt) == ["report", "complaint", "idea", "ideas", "followup",
                                       "mydata", "council", "projects",
                                       "documents", "survey"]
    assert CATALOGS.render("fr", turn.prompt.says[0]).startswith("Mairie de Cotonou")
    assert CATALOGS.label("fr", turn.prompt.options[0]) == "Signaler un problème"
    assert CATALOGS.label("en", turn.prompt.options[0]) == "Report a problem"


@pytest.mark.parametrize(("entry", "state", "asked"), [
    ("report", "CATEGORY", "report.category.ask"),
    ("complaint", "KIND", "complaint.kind.ask"),
    ("idea", "TITLE", "idea.title.ask"),
    ("ideas", "LIST", "ideas.none"),
    ("followup", "LIST", "followup.none"),
    ("mydata", "SHOW", "mydata.summary"),
])
def test_each_menu_entry_starts_its_flow(entry: str, state: str, asked: str) -> None:
    turn = ENGINE.turn(MENU, Msg(kind="text", text="1", choice=entry), FakeLookup())

    files = entry in ("report", "complaint", "idea")  # in a thread of its own
    assert turn.conversation == Conversation(flow=entry, state=state, data={
        "thread": turn.thread} if files else {})
    assert (turn.thread is not None) == files
    assert keys(turn.prompt.says)[0] == asked
    assert turn.commands == ()


def test_a_number_beyond_the_menu_says_how_many_entries_there_are() -> None:
    turn = ENGINE.turn(MENU, Msg(kind="text", text="11"), FakeLookup())

    assert turn.conversation == MENU
    assert keys(turn.says) == ["error.choose_number"]
    assert turn.says[0].params == {"count": 10}
    assert CATALOGS.render("fr", turn.says[0]) == "Choisissez un numéro entre 1 et 10."
    assert keys(turn.prompt.says) == ["menu.title"]


@pytest.mark.parametrize(("msg", "hint"), [
    (Msg(kind="sticker"), "error.sticker"),
    (Msg(kind="text", text=""), "error.empty"),
    (Msg(kind="other"), "error.empty"),
    (Msg(kind="text", text="bonjour"), "error.choose"),
    (Msg(kind="photo", attachments=(PHOTO,)), "error.choose"),
])
def test_unusable_input_at_the_menu_gets_a_short_hint(msg: Msg, hint: str) -> None:
    turn = ENGINE.turn(MENU, msg, FakeLookup())

    assert turn.conversation == MENU
    assert keys(turn.says) == [hint]
    assert turn.commands == ()


def test_where_nothing_is_offered_a_photo_is_told_text_is_expected() -> None:
    following = Conversation(flow="followup", state="LIST", updated_at=NOW)

    turn = ENGINE.turn(following, Msg(kind="photo", attachments=(PHOTO,)), FakeLookup())

    assert keys(turn.says) == ["error.text_expected"]


def test_where_nothing_is_offered_a_bare_number_is_not_understood() -> None:
    following = Conversation(flow="followup", state="LIST", updated_at=NOW)

    turn = ENGINE.turn(following, Msg(kind="text", text="12"), FakeLookup())

    assert keys(turn.says) == ["error.not_understood"]


def test_a_draft_left_two_hours_ago_is_offered_back() -> None:
    stale = report_at("CONFIRM", age=timedelta(hours=2))

    turn = ENGINE.turn(stale, Msg(kind="text", text="1", choice="send"), FakeLookup())

    assert turn.conversation == Conversation(
        flow="resume", state="ASK", data={"flow": "report", "state": "CONFIRM", "data": DRAFT})
    assert turn.commands == ()
    assert keys(turn.says) == ["resume.welcome_back"]
    assert keys(turn.prompt.says) == ["resume.ask"]
    assert option_ids(turn.prompt) == ["continue", "menu"]
    assert (CATALOGS.render("fr", turn.prompt.says[0])
            == "Nous en étions à : votre signalement. On continue ?")
    assert CATALOGS.render("en", turn.prompt.says[0]) == "We were at: your report. Shall we go on?"


def test_continue_restores_the_draft_and_asks_its_question_again() -> None:
    offered = ENGINE.turn(report_at("CONFIRM", age=timedelta(hours=2)),
                          Msg(kind="text", text="hello"), FakeLookup())

    turn = ENGINE.turn(offered.conversation, Msg(kind="text", text="1", choice="continue"),
                       FakeLookup())

    assert turn.conversation == Conversation(flow="report", state="CONFIRM", data=DRAFT)
    assert turn.says == ()
    assert keys(turn.prompt.says) == ["report.confirm.summary", "report.confirm.visibility"]
    assert option_ids(turn.prompt) == ["send", "send_private", "cancel"]


def test_back_to_the_menu_drops_the_old_draft() -> None:
    offered = ENGINE.turn(report_at("PHOTO", age=timedelta(hours=2)),
                          Msg(kind="text", text="hello"), FakeLookup())

    turn = ENGINE.turn(offered.conversation, Msg(kind="text", text="2", choice="menu"),
                       FakeLookup())

    assert turn.conversation == Conversation(flow="menu", state="MENU", data={})
    assert turn.commands == ()


def test_an_unclear_answer_to_resume_asks_again() -> None:
    offered = ENGINE.turn(report_at("PHOTO", age=timedelta(hours=2)),
                          Msg(kind="text", text="hello"), FakeLookup())

    turn = ENGINE.turn(offered.conversation, Msg(kind="text", text="3"), FakeLookup())

    assert turn.conversation == offered.conversation
    assert keys(turn.says) == ["error.choose_number"]
    assert turn.says[0].params == {"count": 2}
    assert keys(turn.prompt.says) == ["resume.ask"]


def test_help_while_asked_to_resume_re_asks_the_resume_question() -> None:
    offered = ENGINE.turn(report_at("PHOTO", age=timedelta(hours=2)),
                          Msg(kind="text", text="hello"), FakeLookup())

    turn = ENGINE.turn(offered.conversation, Msg(kind="text", text="aide"), FakeLookup())

    assert turn.conversation == offered.conversation
    assert keys(turn.says) == ["help.text"]
    assert keys(turn.prompt.says) == ["resume.ask"]


def test_a_draft_younger_than_the_timeout_goes_on() -> None:
    recent = report_at("PHOTO", age=timedelta(minutes=29))

    turn = ENGINE.turn(recent, Msg(kind="text", text="1", choice="skip"), FakeLookup())

    assert (turn.conversation.flow, turn.conversation.state) == ("report", "DESCRIPTION")


def test_an_old_menu_is_not_interrupted() -> None:
    idle = Conversation(flow="menu", state="MENU", updated_at=NOW - timedelta(hours=5))

    turn = ENGINE.turn(idle, Msg(kind="text", text="1", choice="report"), FakeLookup())

    assert (turn.conversation.flow, turn.conversation.state) == ("report", "CATEGORY")
    assert turn.says == ()

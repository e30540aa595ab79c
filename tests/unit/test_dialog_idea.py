"""Ideas for the commune: proposing one (title, description), and supporting others'."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.commands import SubmitIdea, SupportIdea
from dialogs.conversation import Conversation, Engine, Turn
from dialogs.engine import AttachmentRef, Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import COTONOU, NOW, FakeLookup, keys, option_ids, view

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
VOICE = AttachmentRef(601, "voice", "audio/ogg")
TITLED = {"title": "Un marché de nuit à Zogbo"}


def proposing(state: str, data: dict[str, Any], msg: Msg) -> Turn:
    current = Conversation(flow="idea", state=state, data=data, updated_at=NOW)
    return ENGINE.turn(current, msg, FakeLookup())


def supporting(msg: Msg, lookup: FakeLookup) -> Turn:
    current = Conversation(flow="ideas", state="LIST", updated_at=NOW)
    return ENGINE.turn(current, msg, lookup)


def text(typed: str) -> Msg:
    return Msg(kind="text", text=typed)


def two_ideas() -> FakeLookup:
    return FakeLookup().add(
        view("COT-IDE-26-0003", kind="idea", title="Un marché de nuit à Zogbo", supports=12),
        view("COT-IDE-26-0007", kind="idea", title="Éclairer le stade", supports=30))


# Proposing


def test_a_title_is_kept_with_its_spaces_tidied_and_the_description_asked() -> None:
    turn = proposing("TITLE", {}, text("  Un   marché de nuit  à Zogbo "))

    assert turn.conversation.state == "DESCRIPTION"
    assert turn.conversation.data == TITLED
    assert keys(turn.prompt.says) == ["idea.description.ask"]
    assert (CATALOGS.render("fr", turn.prompt.says[0])
            == "« Un marché de nuit à Zogbo » : décrivez votre idée, par écrit ou par note vocale.")


@pytest.mark.parametrize(("msg", "hint", "params"), [
    (text("Parc"), "error.too_short", {"minimum": 5}),
    (text("x" * 121), "error.too_long", {"maximum": 120, "length": 121}),
    (text("💡💡💡💡💡"), "error.emoji_only", {}),
    (Msg(kind="voice", attachments=(VOICE,)), "error.text_expected", {}),
])
def test_a_title_too_short_too_long_or_not_written_is_asked_again(
        msg: Msg, hint: str, params: dict[str, Any]) -> None:
    turn = proposing("TITLE", {}, msg)

    assert turn.conversation.state == "TITLE"
    assert keys(turn.says) == [hint]
    assert turn.says[0].params == params
    assert keys(turn.prompt.says) == ["idea.title.ask"]


def test_a_written_description_files_the_idea() -> None:
    turn = proposing("DESCRIPTION", TITLED,
                     text(" Des lampes et des étals le soir pour les commerçantes "))

    assert turn.commands == (SubmitIdea(
        citizen_id=7, identity_id=70, channel="telegram", commune_id=COTONOU,
        title="Un marché de nuit à Zogbo",
        description="Des lampes et des étals le soir pour les commerçantes"),)
    assert keys(turn.says) == ["idea.done"]
    assert turn.conversation.flow == "menu"


def test_a_voice_note_describes_the_idea() -> None:
    turn = proposing("DESCRIPTION", TITLED, Msg(kind="voice", attachments=(VOICE,)))

    assert turn.commands == (SubmitIdea(
        citizen_id=7, identity_id=70, channel="telegram", commune_id=COTONOU,
        title="Un marché de nuit à Zogbo", description="", attachment_ids=(601,)),)


@pytest.mark.parametrize(("msg", "hint"), [(text("Bien"), "error.too_short"),
                                           (text("x" * 2001), "error.too_long"),
                                           (text(""), "error.empty"),
                                           (Msg(kind="sticker"), "error.sticker")])
def test_a_description_that_cannot_be_used_files_nothing(msg: Msg, hint: str) -> None:
    turn = proposing("DESCRIPTION", TITLED, msg)

    assert turn.conversation.state == "DESCRIPTION"
    assert turn.conversation.data == TITLED
    assert keys(turn.says) == [hint]
    assert turn.commands == ()


# Supporting


def test_the_most_supported_ideas_are_listed_first_with_their_count() -> None:
    turn = ENGINE.turn(Conversation(flow="menu", state="MENU"),
                       Msg(kind="text", text="4", choice="ideas"), two_ideas())

    assert keys(turn.prompt.says) == ["ideas.title", "ideas.line", "ideas.line",
                                      "ideas.by_reference"]
    assert option_ids(turn.prompt) == ["support:COT-IDE-26-0007", "support:COT-IDE-26-0003"]
    assert (CATALOGS.render("fr", turn.prompt.says[1])
            == "1) COT-IDE-26-0007 — Éclairer le stade (30 soutiens)")
    assert CATALOGS.label("en", turn.prompt.options[1]) == "Support COT-IDE-26-0003"


def test_supporting_an_idea_from_the_list() -> None:
    turn = supporting(Msg(kind="text", text="2", choice="support:COT-IDE-26-0003"), two_ideas())

    assert turn.commands == (SupportIdea(7, "COT-IDE-26-0003"),)
    assert keys(turn.says) == ["ideas.supported"]
    assert turn.conversation.flow == "menu"


@pytest.mark.parametrize("typed", ["cot ide 26 3", "COT-IDE-26-0003", "cot-ide-26-03"])
def test_supporting_an_idea_by_its_reference_however_typed(typed: str) -> None:
    turn = supporting(text(typed), two_ideas())

    assert turn.commands == (SupportIdea(7, "COT-IDE-26-0003"),)


def test_words_that_are_no_reference_are_named_back() -> None:
    turn = supporting(text("J'aime bien l'idée du marché de nuit, vraiment beaucoup"), two_ideas())

    assert turn.conversation.state == "LIST"
    assert turn.commands == ()
    assert keys(turn.says) == ["error.reference_format"]
    assert turn.says[0].params == {"text": "J'aime bien l'idée du marché de nuit, vr"}


def test_a_number_beyond_the_ideas_says_how_many_there_are() -> None:
    turn = supporting(text("5"), two_ideas())

    assert turn.commands == ()
    assert keys(turn.says) == ["error.choose_number"]
    assert turn.says[0].params == {"count": 2}


def test_without_ideas_the_citizen_is_told_and_can_still_type_a_reference() -> None:
    empty = FakeLookup()

    listed = ENGINE.turn(Conversation(flow="menu", state="MENU"),
                         Msg(kind="text", text="4", choice="ideas"), empty)
    typed = supporting(text("COT-IDE-26-0012"), empty)

    assert keys(listed.prompt.says) == ["ideas.none", "ideas.by_reference"]
    assert option_ids(listed.prompt) == []
    assert typed.commands == (SupportIdea(7, "COT-IDE-26-0012"),)

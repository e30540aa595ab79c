"""LIER: a code asked for, or a code sent and the account it names confirmed before anything
is linked (dialogs/conversation.py `_link`, dialogs/flows/link.py)."""

from __future__ import annotations

from datetime import timedelta

from core.commands import IssueLinkCode, UseLinkCode
from dialogs.conversation import Conversation, Engine
from dialogs.engine import Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import NOW, FakeLookup, citizen, keys, option_ids

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()


def text(typed: str) -> Msg:
    return Msg(kind="text", text=typed)


def test_lier_alone_asks_for_a_code_where_the_citizen_is() -> None:
    turn = ENGINE.turn(Conversation(flow="menu", state="MENU", updated_at=NOW), text("lier"),
                       FakeLookup())

    assert keys(turn.says) == ["link.code"] and turn.commands == (IssueLinkCode(70),)
    assert turn.conversation.flow == "menu"  # the menu is asked again after the code


def test_a_live_code_names_the_account_it_joins_before_anything_is_linked() -> None:
    stranger = FakeLookup(citizen=citizen(consented=False, commune_id=None))

    asked = ENGINE.turn(Conversation(), text("LIER 482 913"), stranger)
    mine = ENGINE.turn(asked.conversation, Msg(kind="text", text="1", choice="mine"), stranger)
    not_mine = ENGINE.turn(asked.conversation, Msg(kind="text", text="2", choice="not_mine"),
                           stranger)

    assert asked.commands == () and option_ids(asked.prompt) == ["mine", "not_mine"]
    assert "telegram ••••0123" in CATALOGS.render("fr", asked.prompt.says[0])
    assert mine.commands == (UseLinkCode(70, "482913"),) and keys(mine.says) == ["link.done"]
    assert not_mine.commands == () and keys(not_mine.says) == ["link.refused"]


def test_a_code_that_would_be_refused_goes_straight_to_its_refusal() -> None:
    turn = ENGINE.turn(Conversation(), text("lier 000000"), FakeLookup())

    assert turn.commands == (UseLinkCode(70, "000000"),)  # unknown: said, and a try counted


def test_words_after_lier_that_are_no_code_are_no_command() -> None:
    turn = ENGINE.turn(Conversation(flow="menu", state="MENU", updated_at=NOW),
                       text("lier mon compte"), FakeLookup())

    assert not any(isinstance(c, (IssueLinkCode, UseLinkCode)) for c in turn.commands)

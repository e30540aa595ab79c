"""My follow-up: the citizen's submissions with their status, or any one by its reference."""

from __future__ import annotations

from datetime import timedelta

from dialogs.conversation import Conversation, Engine, Turn
from dialogs.engine import Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import NOW, FakeLookup, keys, option_ids, view

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
LISTING = Conversation(flow="followup", state="LIST", updated_at=NOW)


def with_two_requests() -> FakeLookup:
    history = ((NOW - timedelta(days=3), "new", None),
               (NOW - timedelta(days=1), "acknowledged", "Une équipe passe jeudi"))
    drains = view("COT-SIG-26-0042", status="acknowledged", history=history)
    registry = view("COT-PLA-26-0005", kind="complaint", title="Acte de naissance en retard")
    neighbours = view("COT-SIG-26-0050", status="resolved", title="Lampadaire éteint")
    return FakeLookup().add(drains, registry, mine=True).add(neighbours)


def follow(msg: Msg, lookup: FakeLookup) -> Turn:
    return ENGINE.turn(LISTING, msg, lookup)


def test_my_requests_are_listed_one_line_each() -> None:
    turn = ENGINE.turn(Conversation(flow="menu", state="MENU"),
                       Msg(kind="text", text="5", choice="followup"), with_two_requests())

    assert keys(turn.prompt.says) == ["followup.title", "followup.by_reference"]
    assert option_ids(turn.prompt) == ["show:COT-SIG-26-0042", "show:COT-PLA-26-0005"]
    assert (CATALOGS.label("fr", turn.prompt.options[0])
            == "COT-SIG-26-0042 · signalement · pris en compte · Caniveau bouché devant l'école")
    assert (CATALOGS.label("en", turn.prompt.options[1])
            == "COT-PLA-26-0005 · complaint · received · Acte de naissance en retard")


def test_picking_a_request_tells_its_status_and_history_then_the_menu() -> None:
    turn = follow(Msg(kind="text", text="1", choice="show:COT-SIG-26-0042"), with_two_requests())

    assert keys(turn.says) == ["submission.header"]
    assert turn.says[0].params["reference"] == "COT-SIG-26-0042"
    told = CATALOGS.render("fr", turn.says[0])
    assert "État : pris en compte" in told
    assert "reçu" in told and "« Une équipe passe jeudi »" in told
    assert (turn.conversation.flow, turn.conversation.state) == ("menu", "MENU")
    assert turn.commands == ()


def test_any_request_can_be_followed_by_its_reference_however_typed() -> None:
    turn = follow(Msg(kind="text", text="cot sig 26 50"), with_two_requests())

    assert keys(turn.says) == ["submission.header"]
    assert turn.says[0].params["reference"] == "COT-SIG-26-0050"
    assert "État : résolu" in CATALOGS.render("fr", turn.says[0])


def test_an_unknown_reference_is_said_not_found_in_its_proper_form() -> None:
    turn = follow(Msg(kind="text", text="cot-sig-26-999"), with_two_requests())

    assert turn.conversation == LISTING
    assert keys(turn.says) == ["error.submission_not_found"]
    assert turn.says[0].params == {"reference": "COT-SIG-26-0999"}
    assert keys(turn.prompt.says) == ["followup.title", "followup.by_reference"]


def test_words_that_are_no_reference_are_named_back() -> None:
    turn = follow(Msg(kind="text", text="où en est mon caniveau ?"), with_two_requests())

    assert turn.conversation == LISTING
    assert keys(turn.says) == ["error.reference_format"]
    assert turn.says[0].params == {"text": "où en est mon caniveau ?"}


def test_a_number_beyond_the_list_says_how_many_requests_there_are() -> None:
    turn = follow(Msg(kind="text", text="3"), with_two_requests())

    assert turn.conversation == LISTING
    assert keys(turn.says) == ["error.choose_number"]
    assert turn.says[0].params == {"count": 2}


def test_a_citizen_who_sent_nothing_is_told_so_and_offered_no_list() -> None:
    turn = ENGINE.turn(Conversation(flow="menu", state="MENU"),
                       Msg(kind="text", text="5", choice="followup"), FakeLookup())

    assert keys(turn.prompt.says) == ["followup.none", "followup.by_reference"]
    assert option_ids(turn.prompt) == []
    assert CATALOGS.render("en", turn.prompt.says[0]) == "You have not sent anything yet."

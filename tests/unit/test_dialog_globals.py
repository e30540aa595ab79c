"""Words that work at any step, in French and English: menu, cancel, help, status, stop, start."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.commands import UpdateProfile
from dialogs import globals as words
from dialogs.conversation import Conversation, Engine
from dialogs.engine import Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import NOW, FakeLookup, citizen, keys, newcomer, option_ids, view

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
DRAFT = {"category_id": 2, "category": "Caniveau, inondation", "arrondissement_id": "BJ-LI-COT-02",
         "arrondissement": "2ème Arrondissement"}
DESCRIBING = Conversation(flow="report", state="DESCRIPTION", data=DRAFT, updated_at=NOW)
LOCATING = Conversation(flow="report", state="LOCATION", data=DRAFT, updated_at=NOW)
MENU = Conversation(flow="menu", state="MENU", updated_at=NOW)


def text(words_typed: str) -> Msg:
    return Msg(kind="text", text=words_typed)


def with_drains() -> FakeLookup:
    history = ((NOW - timedelta(days=3), "new", None),
               (NOW - timedelta(days=1), "in_progress", "Une équipe passe jeudi"))
    drains = view("COT-SIG-26-0042", status="in_progress", history=history)
    return FakeLookup().add(drains)


@pytest.mark.parametrize("typed", ["menu", "Menu", "accueil", "home", "/menu"])
def test_menu_drops_the_draft_and_shows_the_menu(typed: str) -> None:
    turn = ENGINE.turn(DESCRIBING, text(typed), FakeLookup())

    assert turn.conversation == Conversation(flow="menu", state="MENU", data={})
    assert turn.says == ()
    assert keys(turn.prompt.says) == ["menu.title"]
    assert turn.commands == ()


@pytest.mark.parametrize("typed", ["annuler", "Annuler", "cancel", "/cancel"])
def test_cancel_drops_the_draft_and_says_nothing_was_sent(typed: str) -> None:
    turn = ENGINE.turn(DESCRIBING, text(typed), FakeLookup())

    assert turn.conversation == Conversation(flow="menu", state="MENU", data={})
    assert keys(turn.says) == ["cancel.done"]
    assert turn.commands == ()


def test_cancel_at_the_menu_has_nothing_to_cancel() -> None:
    turn = ENGINE.turn(MENU, text("annuler"), FakeLookup())

    assert turn.conversation.flow == "menu"
    assert turn.says == ()


@pytest.mark.parametrize("typed", ["aide", "AIDE", "help", "?", "/aide", "/aide@PalabreBot"])
def test_help_explains_then_asks_the_same_question_again(typed: str) -> None:
    turn = ENGINE.turn(LOCATING, text(typed), FakeLookup())

    assert turn.conversation == LOCATING
    assert keys(turn.says) == ["help.text"]
    assert keys(turn.prompt.says) == ["report.location.ask"]
    assert option_ids(turn.prompt) == ["arr:BJ-LI-COT-01", "arr:BJ-LI-COT-02", "arr:BJ-LI-COT-03"]


def test_help_reads_in_the_citizens_language() -> None:
    turn = ENGINE.turn(MENU, text("help"), FakeLookup(citizen=citizen(language="en")))

    assert "cancel — drop what you are doing" in CATALOGS.render("en", turn.says[0])
    assert "annuler — abandonner" in CATALOGS.render("fr", turn.says[0])


@pytest.mark.parametrize("typed", ["statut COT-SIG-26-0042", "status cot sig 26 42",
                                   "Suivi cot-sig-26-0042"])
def test_status_with_a_known_reference_tells_it_and_stays_in_place(typed: str) -> None:
    turn = ENGINE.turn(LOCATING, text(typed), with_drains())

    assert turn.conversation == LOCATING
    assert keys(turn.says) == ["submission.header"]
    assert turn.says[0].params["reference"] == "COT-SIG-26-0042"
    assert keys(turn.prompt.says) == ["report.location.ask"]
    told = CATALOGS.render("fr", turn.says[0])
    assert "en cours de traitement" in told
    assert "« Une équipe passe jeudi »" in told


def test_status_of_an_idea_also_tells_its_supports() -> None:
    lookup = FakeLookup().add(view("COT-IDE-26-0003", kind="idea", title="Marché de nuit",
                                   supports=12))

    turn = ENGINE.turn(MENU, text("status COT-IDE-26-0003"), lookup)

    assert keys(turn.says) == ["submission.header", "idea.supports"]
    assert turn.says[1].params == {"count": 12}


def test_status_with_an_unknown_reference_says_it_was_not_found() -> None:
    turn = ENGINE.turn(LOCATING, text("statut cot-sig-26-0999"), with_drains())

    assert turn.conversation == LOCATING
    assert keys(turn.says) == ["error.submission_not_found"]
    assert turn.says[0].params == {"reference": "COT-SIG-26-0999"}


@pytest.mark.parametrize("typed", ["statut", "status", "suivi", "/statut"])
def test_status_alone_opens_my_follow_up(typed: str) -> None:
    turn = ENGINE.turn(DESCRIBING, text(typed), with_drains())

    assert (turn.conversation.flow, turn.conversation.state) == ("followup", "LIST")
    assert keys(turn.prompt.says) == ["followup.none", "followup.by_reference"]


def test_status_alone_before_onboarding_explains_how_to_ask() -> None:
    lookup = FakeLookup(citizen=newcomer())
    choosing = Conversation(flow="onboarding", state="LANGUAGE", updated_at=NOW)

    turn = ENGINE.turn(choosing, text("statut"), lookup)

    assert turn.conversation == choosing
    assert keys(turn.says) == ["status.usage"]


def test_status_with_a_reference_works_before_onboarding() -> None:
    lookup = with_drains()
    lookup.citizen = newcomer()
    choosing = Conversation(flow="onboarding", state="LANGUAGE", updated_at=NOW)

    turn = ENGINE.turn(choosing, text("statut COT-SIG-26-0042"), lookup)

    assert turn.conversation == choosing
    assert keys(turn.says) == ["submission.header"]


@pytest.mark.parametrize("typed", ["stop", "STOP", "arrêt", "Arret", "désabonner", "unsubscribe",
                                   "stop!"])
def test_stop_opts_out_of_announcements_and_stays_in_place(typed: str) -> None:
    turn = ENGINE.turn(LOCATING, text(typed), FakeLookup())

    assert turn.conversation == LOCATING
    assert turn.commands == (UpdateProfile(7, {"broadcast_opt_out": True}),)
    assert keys(turn.says) == ["stop.done"]
    assert keys(turn.prompt.says) == ["report.location.ask"]


def test_stop_works_even_before_onboarding() -> None:
    lookup = FakeLookup(citizen=newcomer())
    choosing = Conversation(flow="onboarding", state="LANGUAGE", updated_at=NOW)

    turn = ENGINE.turn(choosing, text("stop"), lookup)

    assert turn.conversation == choosing
    assert turn.commands == (UpdateProfile(7, {"broadcast_opt_out": True}),)


def test_start_after_stop_opts_back_in_and_says_so() -> None:
    lookup = FakeLookup(citizen=citizen(opted_out=True))

    turn = ENGINE.turn(LOCATING, text("start"), lookup)

    assert turn.commands == (UpdateProfile(7, {"broadcast_opt_out": False}),)
    assert keys(turn.says) == ["start.done"]
    assert turn.conversation.flow == "menu"


def test_start_when_already_subscribed_just_shows_the_menu() -> None:
    turn = ENGINE.turn(Conversation(), text("Démarrer"), FakeLookup())

    assert turn.commands == (UpdateProfile(7, {"broadcast_opt_out": False}),)
    assert turn.says == ()
    assert keys(turn.prompt.says) == ["menu.title"]


def test_menu_before_onboarding_goes_on_with_onboarding() -> None:
    lookup = FakeLookup(citizen=newcomer(language_chosen=True))
    choosing = Conversation(flow="onboarding", state="COMMUNE", updated_at=NOW)

    turn = ENGINE.turn(choosing, text("menu"), lookup)

    assert (turn.conversation.flow, turn.conversation.state) == ("onboarding", "COMMUNE")


@pytest.mark.parametrize("typed", ["Le menu du jour est mauvais à la cantine",
                                   "Aide-moi, le caniveau déborde",
                                   "Stop aux ordures devant le marché"])
def test_a_global_word_inside_a_longer_description_is_just_words(typed: str) -> None:
    turn = ENGINE.turn(DESCRIBING, text(typed), FakeLookup())

    assert (turn.conversation.flow, turn.conversation.state) == ("report", "CONFIRM")
    assert turn.conversation.data["description"] == typed


def test_a_description_that_starts_with_suivi_is_kept_as_a_description() -> None:
    typed = "Suivi du chantier arrêté depuis trois mois, la route est coupée"

    turn = ENGINE.turn(DESCRIBING, text(typed), FakeLookup())

    assert (turn.conversation.flow, turn.conversation.state) == ("report", "CONFIRM")
    assert turn.conversation.data["description"] == typed


def test_global_words_are_only_read_from_text() -> None:
    assert words.match("") is None
    assert words.match("   ") is None
    assert words.match("/") is None
    assert words.match("menu please") is None
    assert words.match("aide!") == words.Global("help")
    assert words.match("  Statut   COT-SIG-26-0042 ") == words.Global("status", "COT-SIG-26-0042")


@pytest.mark.parametrize(("typed", "expected"), [
    ("/start", words.Global("start")),
    ("/start report", words.Global("start", "report")),
    ("/start@PalabreBot idea", words.Global("start", "idea")),
    ("/start COT-IDE-26-0042", words.Global("start", "COT-IDE-26-0042")),
    ("/start n'importe quoi", None),
])
def test_start_takes_a_link_payload(typed: str, expected: words.Global | None) -> None:
    assert words.match(typed) == expected


def test_a_start_link_opens_its_flow_for_a_known_citizen() -> None:
    turn = ENGINE.turn(MENU, Msg("text", "/start idea"), FakeLookup(citizen()))
    assert turn.conversation.flow == "idea"
    assert any(isinstance(c, UpdateProfile) for c in turn.commands)  # broadcasts resume


@pytest.mark.parametrize(("typed", "flow"), [("Signaler un problème", "report"),
                                             ("signaler un probleme", "report"),
                                             ("Faire une plainte", "complaint"),
                                             ("Suggest an idea", "idea")])
def test_a_link_phrase_opens_its_flow_without_touching_broadcasts(typed: str, flow: str) -> None:
    turn = ENGINE.turn(DESCRIBING, Msg("text", typed), FakeLookup(citizen()))
    assert turn.conversation.flow == flow and turn.commands == ()


def test_a_sentence_that_starts_like_a_link_is_not_one() -> None:
    assert words.match("Signaler un problème de lampadaire rue 12") is None

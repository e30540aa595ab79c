"""Reporting a problem: category, place, photo, description, similar reports, confirmation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.commands import FollowSubmission, SubmitReport
from core.geo import Point
from dialogs.conversation import Conversation, Engine, Turn
from dialogs.engine import AttachmentRef, Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import COTONOU, NOW, FakeLookup, citizen, keys, option_ids, view

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
VEDOKO = Point(6.3703, 2.3912)
PARIS = Point(48.85, 2.35)
PHOTO = AttachmentRef(501, "photo", "image/jpeg")
VOICE = AttachmentRef(601, "voice", "audio/ogg")
ARRONDISSEMENT_OPTIONS = ["arr:BJ-LI-COT-01", "arr:BJ-LI-COT-02", "arr:BJ-LI-COT-03"]
DRAINS = {"category_id": 2, "category": "Caniveau, inondation"}
PINNED = {**DRAINS, "latitude": 6.3703, "longitude": 2.3912, "place_text": "Carrefour Vedoko"}
IN_SECOND = {**DRAINS, "arrondissement_id": "BJ-LI-COT-02", "arrondissement": "2ème Arrondissement"}
DESCRIBED = {**PINNED, "attachment_ids": [501], "photo": True,
             "description": "Le caniveau est bouché devant l'école"}


def at(state: str, data: dict[str, Any], lookup: FakeLookup, msg: Msg) -> Turn:
    """One turn of a citizen who is at this state of the report, with this draft."""
    current = Conversation(flow="report", state=state, data=data, updated_at=NOW)
    return ENGINE.turn(current, msg, lookup)


def text(typed: str) -> Msg:
    return Msg(kind="text", text=typed)


def choose(option: str, typed: str = "1") -> Msg:
    return Msg(kind="text", text=typed, choice=option)


def where(turn: Turn) -> tuple[str | None, str | None]:
    return turn.conversation.flow, turn.conversation.state


# Category


def test_the_category_picked_is_kept_with_its_name_and_the_place_is_asked() -> None:
    turn = at("CATEGORY", {}, FakeLookup(), choose("cat:2", "2"))

    assert where(turn) == ("report", "LOCATION")
    assert turn.conversation.data == DRAINS
    assert keys(turn.prompt.says) == ["report.location.ask"]
    assert option_ids(turn.prompt) == ARRONDISSEMENT_OPTIONS


def test_categories_are_offered_and_named_in_the_citizens_language() -> None:
    lookup = FakeLookup(citizen=citizen(language="en"))

    started = ENGINE.turn(Conversation(flow="menu", state="MENU"), choose("report"), lookup)
    picked = at("CATEGORY", {}, lookup, choose("cat:2", "2"))

    assert option_ids(started.prompt) == ["cat:1", "cat:2", "cat:3"]
    assert started.prompt.options[1].label == "Drain, flooding"
    assert picked.conversation.data == {"category_id": 2, "category": "Drain, flooding"}


@pytest.mark.parametrize(("msg", "hint"), [(text("le caniveau"), "error.choose"),
                                           (text("7"), "error.choose_number"),
                                           (Msg(kind="sticker"), "error.sticker")])
def test_an_answer_that_is_not_a_category_re_asks(msg: Msg, hint: str) -> None:
    turn = at("CATEGORY", {}, FakeLookup(), msg)

    assert where(turn) == ("report", "CATEGORY")
    assert keys(turn.says) == [hint]
    assert keys(turn.prompt.says) == ["report.category.ask"]


# Location


def test_a_pin_in_benin_is_kept_with_its_label_and_the_photo_is_asked() -> None:
    pin = Msg(kind="location", location=VEDOKO, place_text="Carrefour Vedoko")

    turn = at("LOCATION", DRAINS, FakeLookup(), pin)

    assert where(turn) == ("report", "PHOTO")
    assert turn.conversation.data == PINNED
    assert keys(turn.says) == ["report.location.thanks"]
    assert keys(turn.prompt.says) == ["report.photo.ask"]
    assert option_ids(turn.prompt) == ["skip"]


def test_a_pin_outside_benin_is_refused_and_the_place_asked_again() -> None:
    turn = at("LOCATION", DRAINS, FakeLookup(), Msg(kind="location", location=PARIS))

    assert where(turn) == ("report", "LOCATION")
    assert turn.conversation.data == DRAINS
    assert keys(turn.says) == ["report.location.outside"]
    assert "hors du Bénin" in CATALOGS.render("fr", turn.says[0])
    assert keys(turn.prompt.says) == ["report.location.ask"]


PARAKOU = Point(9.3400, 2.6300)


def test_a_pin_far_outside_the_commune_is_questioned_before_it_is_kept() -> None:
    turn = at("LOCATION", DRAINS, FakeLookup(), Msg(kind="location", location=PARAKOU))

    assert where(turn) == ("report", "FAR_PIN")
    assert turn.conversation.data["latitude"] == 9.34
    assert option_ids(turn.prompt) == ["keep", "again"]
    assert CATALOGS.render("fr", turn.prompt.says[0]) == (
        "Ce point semble hors de Cotonou : il est à 332 km de son centre, près de Parakou. "
        "Le garder ?")
    assert "outside Cotonou" in CATALOGS.render("en", turn.prompt.says[0])


def test_a_far_pin_kept_goes_on_to_the_photo_with_its_position() -> None:
    asked = at("LOCATION", DRAINS, FakeLookup(), Msg(kind="location", location=PARAKOU))

    kept = at("FAR_PIN", dict(asked.conversation.data), FakeLookup(), choose("keep"))

    assert where(kept) == ("report", "PHOTO") and keys(kept.says) == ["report.location.thanks"]
    assert kept.conversation.data == {**DRAINS, "latitude": 9.34, "longitude": 2.63,
                                      "place_text": None}


def test_a_far_pin_refused_asks_the_place_again_and_a_new_pin_answers_too() -> None:
    asked = at("LOCATION", DRAINS, FakeLookup(), Msg(kind="location", location=PARAKOU))
    draft = dict(asked.conversation.data)

    again = at("FAR_PIN", draft, FakeLookup(), choose("again", "2"))
    moved = at("FAR_PIN", draft, FakeLookup(),
               Msg(kind="location", location=VEDOKO, place_text="Carrefour Vedoko"))

    assert where(again) == ("report", "LOCATION") and again.conversation.data == DRAINS
    assert where(moved) == ("report", "PHOTO") and moved.conversation.data == PINNED


def test_a_pin_in_the_next_commune_or_a_vast_one_is_not_questioned() -> None:
    calavi = Point(6.4485, 2.3557)  # Abomey-Calavi, next to Cotonou
    turn = at("LOCATION", DRAINS, FakeLookup(), Msg(kind="location", location=calavi))

    assert where(turn) == ("report", "PHOTO")


def test_an_arrondissement_picked_from_the_list_asks_for_the_neighbourhood() -> None:
    turn = at("LOCATION", DRAINS, FakeLookup(), choose("arr:BJ-LI-COT-02", "2"))

    assert where(turn) == ("report", "PLACE")
    assert turn.conversation.data == IN_SECOND
    assert keys(turn.prompt.says) == ["report.place.ask"]
    assert turn.prompt.says[0].params == {"arrondissement": "2ème Arrondissement"}
    assert option_ids(turn.prompt) == ["skip"]


def test_an_arrondissement_typed_without_its_accent_is_recognised() -> None:
    turn = at("LOCATION", DRAINS, FakeLookup(), text("2eme arrondissement"))

    assert where(turn) == ("report", "PLACE")
    assert turn.conversation.data == IN_SECOND


def test_a_place_that_is_no_arrondissement_is_kept_and_the_arrondissement_asked() -> None:
    turn = at("LOCATION", DRAINS, FakeLookup(), text("  Carrefour Vedoko "))

    assert where(turn) == ("report", "ARRONDISSEMENT")
    assert turn.conversation.data == {**DRAINS, "place_text": "Carrefour Vedoko"}
    assert keys(turn.prompt.says) == ["report.arrondissement.ask"]
    assert (CATALOGS.render("fr", turn.prompt.says[0])
            == "Noté : « Carrefour Vedoko ». Dans quel arrondissement ?")
    assert option_ids(turn.prompt) == [*ARRONDISSEMENT_OPTIONS, "unknown"]


@pytest.mark.parametrize(("msg", "hint"), [
    (Msg(kind="photo", attachments=(PHOTO,)), "report.location.retry"),
    (Msg(kind="voice", attachments=(VOICE,)), "report.location.retry"),
    (Msg(kind="sticker"), "error.sticker"),
    (text("👍👍"), "error.emoji_only"),
    (text(""), "error.empty"),
])
def test_something_that_is_no_place_re_asks_for_the_place(msg: Msg, hint: str) -> None:
    turn = at("LOCATION", DRAINS, FakeLookup(), msg)

    assert where(turn) == ("report", "LOCATION")
    assert turn.conversation.data == DRAINS
    assert keys(turn.says) == [hint]


def test_a_number_beyond_the_arrondissements_says_how_many_there_are() -> None:
    turn = at("LOCATION", DRAINS, FakeLookup(), text("9"))

    assert where(turn) == ("report", "LOCATION")
    assert keys(turn.says) == ["error.choose_number"]
    assert turn.says[0].params == {"count": 3}


# Arrondissement of a place typed in words


def test_the_arrondissement_of_a_typed_place_is_added_to_it() -> None:
    place = {**DRAINS, "place_text": "Carrefour Vedoko"}

    picked = at("ARRONDISSEMENT", place, FakeLookup(), choose("arr:BJ-LI-COT-03", "3"))
    typed = at("ARRONDISSEMENT", place, FakeLookup(), text("3ème arrondissement"))

    expected = {**place, "arrondissement_id": "BJ-LI-COT-03",
                "arrondissement": "3ème Arrondissement"}
    assert where(picked) == ("report", "PHOTO")
    assert picked.conversation.data == expected
    assert typed.conversation.data == expected


def test_not_knowing_the_arrondissement_keeps_the_place_alone() -> None:
    place = {**DRAINS, "place_text": "Carrefour Vedoko"}

    turn = at("ARRONDISSEMENT", place, FakeLookup(), choose("unknown", "4"))

    assert where(turn) == ("report", "PHOTO")
    assert turn.conversation.data == place


def test_words_that_name_no_arrondissement_re_ask() -> None:
    place = {**DRAINS, "place_text": "Carrefour Vedoko"}

    turn = at("ARRONDISSEMENT", place, FakeLookup(), text("près du marché"))

    assert where(turn) == ("report", "ARRONDISSEMENT")
    assert keys(turn.says) == ["error.choose"]


# Neighbourhood within the arrondissement


def test_a_neighbourhood_is_kept_and_the_photo_asked() -> None:
    turn = at("PLACE", IN_SECOND, FakeLookup(), text("Marché Dantokpa"))

    assert where(turn) == ("report", "PHOTO")
    assert turn.conversation.data == {**IN_SECOND, "place_text": "Marché Dantokpa"}


def test_the_neighbourhood_can_be_skipped() -> None:
    turn = at("PLACE", IN_SECOND, FakeLookup(), choose("skip"))

    assert where(turn) == ("report", "PHOTO")
    assert turn.conversation.data == IN_SECOND


@pytest.mark.parametrize(("msg", "hint"), [(text("x"), "error.too_short"),
                                           (Msg(kind="voice", attachments=(VOICE,)),
                                            "error.text_expected")])
def test_a_neighbourhood_that_cannot_be_read_is_asked_again(msg: Msg, hint: str) -> None:
    turn = at("PLACE", IN_SECOND, FakeLookup(), msg)

    assert where(turn) == ("report", "PLACE")
    assert keys(turn.says) == [hint]


# Photo


def test_a_photo_is_attached_and_the_description_asked() -> None:
    turn = at("PHOTO", PINNED, FakeLookup(), Msg(kind="photo", attachments=(PHOTO,)))

    assert where(turn) == ("report", "DESCRIPTION")
    assert turn.conversation.data == {**PINNED, "attachment_ids": [501], "photo": True}
    assert keys(turn.says) == ["report.photo.thanks"]
    assert keys(turn.prompt.says) == ["report.description.ask"]


def test_a_picture_sent_as_a_document_counts_as_a_photo() -> None:
    scan = AttachmentRef(502, "document", "image/png")

    turn = at("PHOTO", PINNED, FakeLookup(), Msg(kind="document", attachments=(scan,)))

    assert turn.conversation.data == {**PINNED, "attachment_ids": [502], "photo": True}


def test_the_photo_can_be_skipped() -> None:
    turn = at("PHOTO", PINNED, FakeLookup(), choose("skip"))

    assert where(turn) == ("report", "DESCRIPTION")
    assert turn.conversation.data == PINNED
    assert turn.says == ()


@pytest.mark.parametrize("msg", [
    text("la photo arrive"),
    Msg(kind="document", attachments=(AttachmentRef(503, "document", "application/pdf"),)),
    Msg(kind="sticker"),
])
def test_anything_but_a_photo_asks_for_the_photo_again(msg: Msg) -> None:
    turn = at("PHOTO", PINNED, FakeLookup(), msg)

    assert where(turn) == ("report", "PHOTO")
    assert turn.conversation.data == PINNED
    assert keys(turn.says) == ["report.photo.retry"]
    assert keys(turn.prompt.says) == ["report.photo.ask"]


# Description


def test_a_written_description_leads_to_the_summary() -> None:
    photographed = {**PINNED, "attachment_ids": [501], "photo": True}

    turn = at("DESCRIPTION", photographed, FakeLookup(),
              text(" Le caniveau est bouché devant l'école "))

    assert where(turn) == ("report", "CONFIRM")
    assert turn.conversation.data == DESCRIBED
    assert keys(turn.prompt.says) == ["report.confirm.summary", "report.confirm.visibility"]
    assert option_ids(turn.prompt) == ["send", "send_private", "cancel"]


def test_a_voice_note_describes_the_problem() -> None:
    photographed = {**PINNED, "attachment_ids": [501], "photo": True}

    turn = at("DESCRIPTION", photographed, FakeLookup(),
              Msg(kind="voice", attachments=(VOICE,)))

    assert where(turn) == ("report", "CONFIRM")
    assert turn.conversation.data == {**photographed, "attachment_ids": [501, 601],
                                      "voice": True, "description": ""}
    assert "(note vocale)" in CATALOGS.render("fr", turn.prompt.says[0])


@pytest.mark.parametrize(("msg", "hint", "params"), [
    (text(""), "error.empty", {}),
    (text("👍👍"), "error.emoji_only", {}),
    (text("ok"), "error.too_short", {"minimum": 3}),
    (text("a" * 10_000), "error.too_long", {"maximum": 2000, "length": 10_000}),
    (Msg(kind="sticker"), "error.sticker", {}),
    (Msg(kind="photo", attachments=(PHOTO,)), "error.text_expected", {}),
])
def test_a_description_that_cannot_be_used_is_asked_again(msg: Msg, hint: str,
                                                          params: dict[str, Any]) -> None:
    turn = at("DESCRIPTION", PINNED, FakeLookup(), msg)

    assert where(turn) == ("report", "DESCRIPTION")
    assert turn.conversation.data == PINNED
    assert keys(turn.says) == [hint]
    assert turn.says[0].params == params
    assert keys(turn.prompt.says) == ["report.description.ask"]


def test_a_too_long_description_says_its_length_in_words() -> None:
    turn = at("DESCRIPTION", PINNED, FakeLookup(), text("a" * 10_000))

    assert "(10000 caractères)" in CATALOGS.render("fr", turn.says[0])
    assert "2000 characters at most" in CATALOGS.render("en", turn.says[0])


# Similar reports


def nearby_drain() -> FakeLookup:
    lookup = FakeLookup().add(view("COT-SIG-26-0042", status="acknowledged"))
    lookup.nearby = ["COT-SIG-26-0042"]
    return lookup


def test_similar_reports_near_the_pin_are_offered_before_confirming() -> None:
    lookup = nearby_drain()

    turn = at("DESCRIPTION", PINNED, lookup, text("Le caniveau est bouché"))

    assert where(turn) == ("report", "SIMILAR")
    assert turn.conversation.data["similar"] == ["COT-SIG-26-0042"]
    assert lookup.similar_asked == [(COTONOU, 2, VEDOKO, None)]
    assert keys(turn.prompt.says) == ["report.similar.ask", "submission.line"]
    assert option_ids(turn.prompt) == ["follow:COT-SIG-26-0042", "new"]
    line = CATALOGS.render("fr", turn.prompt.says[1])
    assert line == "COT-SIG-26-0042 · signalement · pris en compte · Caniveau bouché devant l'école"


def test_similar_reports_are_searched_by_arrondissement_without_a_pin() -> None:
    lookup = nearby_drain()

    at("DESCRIPTION", IN_SECOND, lookup, text("Le caniveau est bouché"))

    assert lookup.similar_asked == [(COTONOU, 2, None, "BJ-LI-COT-02")]


def test_following_a_similar_report_files_nothing_new() -> None:
    similar = {**DESCRIBED, "similar": ["COT-SIG-26-0042"]}

    turn = at("SIMILAR", similar, nearby_drain(), choose("follow:COT-SIG-26-0042"))

    assert turn.commands == (FollowSubmission(7, "COT-SIG-26-0042"),)
    assert keys(turn.says) == ["report.similar.followed"]
    assert turn.says[0].params == {"reference": "COT-SIG-26-0042"}
    assert where(turn) == ("menu", "MENU")


def test_a_different_problem_goes_on_to_the_summary() -> None:
    similar = {**DESCRIBED, "similar": ["COT-SIG-26-0042"]}

    turn = at("SIMILAR", similar, nearby_drain(), choose("new", "2"))

    assert where(turn) == ("report", "CONFIRM")
    assert turn.conversation.data == similar
    assert turn.commands == ()


def test_an_unclear_answer_about_similar_reports_re_asks() -> None:
    similar = {**DESCRIBED, "similar": ["COT-SIG-26-0042"]}

    turn = at("SIMILAR", similar, nearby_drain(), text("peut-être"))

    assert where(turn) == ("report", "SIMILAR")
    assert keys(turn.says) == ["error.choose"]
    assert turn.commands == ()


# Confirmation


def test_the_summary_shows_what_will_be_sent_in_the_citizens_language() -> None:
    photographed = {**PINNED, "attachment_ids": [501], "photo": True}

    turn = at("DESCRIPTION", photographed, FakeLookup(),
              text("Le caniveau est bouché devant l'école"))

    summary = CATALOGS.render("fr", turn.prompt.says[0])
    assert "• Caniveau, inondation" in summary
    assert "• Lieu : 6.37030, 2.39120 — Carrefour Vedoko" in summary
    assert "• Photo : oui" in summary
    assert "• Le caniveau est bouché devant l'école" in summary
    assert "• Photo: yes" in CATALOGS.render("en", turn.prompt.says[0])


def test_the_summary_of_a_report_without_photo_says_so() -> None:
    turn = at("CONFIRM", IN_SECOND, FakeLookup(), text("hein"))

    summary = CATALOGS.render("fr", turn.prompt.says[0])
    assert "• Lieu : 2ème Arrondissement" in summary
    assert "• Photo : non" in summary


def test_sending_files_the_report_with_everything_gathered() -> None:
    turn = at("CONFIRM", DESCRIBED, FakeLookup(), choose("send"))

    assert turn.commands == (SubmitReport(
        citizen_id=7, identity_id=70, channel="telegram", commune_id=COTONOU, category_id=2,
        description="Le caniveau est bouché devant l'école", arrondissement_id=None,
        latitude=6.3703, longitude=2.3912, place_text="Carrefour Vedoko",
        attachment_ids=(501,)),)
    assert keys(turn.says) == ["report.done"]
    assert where(turn) == ("menu", "MENU")


def test_a_report_by_arrondissement_and_voice_note_is_sent_without_coordinates() -> None:
    voiced = {**IN_SECOND, "place_text": "Marché Dantokpa", "attachment_ids": [601],
              "voice": True, "description": ""}

    turn = at("CONFIRM", voiced, FakeLookup(), choose("send"))

    assert turn.commands == (SubmitReport(
        citizen_id=7, identity_id=70, channel="telegram", commune_id=COTONOU, category_id=2,
        description="", arrondissement_id="BJ-LI-COT-02", latitude=None, longitude=None,
        place_text="Marché Dantokpa", attachment_ids=(601,)),)


def test_sending_privately_files_a_report_whose_words_and_pin_stay_with_the_mairie() -> None:
    turn = at("CONFIRM", DESCRIBED, FakeLookup(), choose("send_private", "2"))

    assert [c.public for c in turn.commands if isinstance(c, SubmitReport)] == [False]
    assert keys(turn.says) == ["report.done"]


def test_the_summary_says_what_public_and_private_mean() -> None:
    turn = at("CONFIRM", DESCRIBED, FakeLookup(), text("hein"))

    told = CATALOGS.render("fr", turn.prompt.says[1])
    assert "Open311" in told and "sans votre nom ni votre numéro" in told
    assert [CATALOGS.label("fr", o) for o in turn.prompt.options] == [
        "Envoyer", "Envoyer en privé", "Annuler"]


def test_cancelling_at_the_summary_sends_nothing() -> None:
    turn = at("CONFIRM", DESCRIBED, FakeLookup(), choose("cancel", "3"))

    assert turn.commands == ()
    assert keys(turn.says) == ["cancel.done"]
    assert turn.conversation == Conversation(flow="menu", state="MENU", data={})


def test_an_unclear_answer_at_the_summary_re_asks() -> None:
    turn = at("CONFIRM", DESCRIBED, FakeLookup(), text("oui oui"))

    assert where(turn) == ("report", "CONFIRM")
    assert turn.conversation.data == DESCRIBED
    assert keys(turn.says) == ["error.choose"]
    assert turn.commands == ()


def test_a_whole_report_from_the_menu_to_the_command() -> None:
    lookup = FakeLookup()
    conversation = Conversation(flow="menu", state="MENU", updated_at=NOW)
    messages = [choose("report"), choose("cat:2", "2"),
                Msg(kind="location", location=VEDOKO, place_text="Carrefour Vedoko"),
                Msg(kind="photo", attachments=(PHOTO,)),
                text("Le caniveau est bouché devant l'école"), choose("send")]

    for msg in messages:
        turn = ENGINE.turn(conversation, msg, lookup)
        conversation = turn.conversation

    assert turn.commands == (SubmitReport(
        citizen_id=7, identity_id=70, channel="telegram", commune_id=COTONOU, category_id=2,
        description="Le caniveau est bouché devant l'école", latitude=6.3703, longitude=2.3912,
        place_text="Carrefour Vedoko", attachment_ids=(501,)),)
    assert where(turn) == ("menu", "MENU")

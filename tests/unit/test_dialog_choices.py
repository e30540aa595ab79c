"""What a citizen's answer means among the options offered: a button, a number or a label."""

from __future__ import annotations

import pytest

from core.geo import Point, normalise_name
from core.messages.models import Attachment, InboundRecord
from dialogs.engine import AttachmentRef, Msg
from dialogs.runner import resolve_choice, to_msg
from tests.unit.fake_lookup import NOW

MENU_LABELS = [("report", "Signaler un problème"), ("complaint", "Plainte ou suggestion"),
               ("idea", "Proposer une idée"), ("ideas", "Soutenir une idée"),
               ("followup", "Mon suivi"), ("mydata", "Mes données")]


def offered(pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Options as the runner stores them after a turn: id and normalised label."""
    return [[option_id, normalise_name(label)] for option_id, label in pairs]


MENU = offered(MENU_LABELS)


def test_a_button_offered_is_taken_as_is() -> None:
    assert resolve_choice("followup", "Mon suivi", MENU) == "followup"


def test_a_button_from_an_older_question_means_nothing() -> None:
    assert resolve_choice("lang:fr", "1", MENU) is None


@pytest.mark.parametrize(("typed", "meant"), [("1", "report"), ("6", "mydata"),
                                              (" 2 ", "complaint"), ("3.", "idea"),
                                              ("4)", "ideas")])
def test_a_number_in_range_is_the_option_at_that_place(typed: str, meant: str) -> None:
    assert resolve_choice(None, typed, MENU) == meant


@pytest.mark.parametrize("typed", ["0", "7", "42", "-1", "1,5"])
def test_a_number_out_of_range_means_nothing(typed: str) -> None:
    assert resolve_choice(None, typed, MENU) is None


@pytest.mark.parametrize(("typed", "meant"), [("Signaler un problème", "report"),
                                              ("signaler un PROBLEME", "report"),
                                              ("  mes   donnees ", "mydata"),
                                              ("Soutenir une idée.", "ideas")])
def test_a_label_typed_with_other_case_accents_or_spaces_is_that_option(typed: str,
                                                                        meant: str) -> None:
    assert resolve_choice(None, typed, MENU) == meant


def test_a_place_name_typed_without_its_accents_and_hyphen_is_found() -> None:
    communes = offered([("commune:BJ-OU-SEM", "Sèmè-Kpodji"), ("commune:BJ-LI-COT", "Cotonou")])

    assert resolve_choice(None, "seme kpodji", communes) == "commune:BJ-OU-SEM"


@pytest.mark.parametrize("typed", ["signaler", "", "   ", None, "un problème à signaler"])
def test_part_of_a_label_or_nothing_means_nothing(typed: str | None) -> None:
    assert resolve_choice(None, typed, MENU) is None


def test_without_options_nothing_is_a_choice() -> None:
    assert resolve_choice(None, "1", []) is None
    assert resolve_choice("report", None, []) is None


def record(**fields: object) -> InboundRecord:
    return InboundRecord(channel="telegram", external_id="u-1", received_at=NOW, **fields)


def test_a_typed_number_reaches_the_step_as_the_offered_choice() -> None:
    msg = to_msg(record(kind="text", text=" 2 "), [], MENU)

    assert msg == Msg(kind="text", text="2", choice="complaint")


def test_a_button_without_payload_is_read_as_text() -> None:
    msg = to_msg(record(kind="choice", text="Mon suivi"), [], MENU)

    assert msg == Msg(kind="text", text="Mon suivi", choice="followup")


def test_a_pin_and_its_files_reach_the_step() -> None:
    photo = Attachment(id=501, kind="photo", content_type="image/jpeg", size=10, sha256="ab",
                       path="ab/ab.jpg", created_at=NOW)
    unsaved = Attachment(kind="voice", content_type="audio/ogg", size=10, sha256="cd",
                         path="cd/cd.ogg", created_at=NOW)

    msg = to_msg(record(kind="location", latitude=6.37, longitude=2.39, place_text="Vedoko"),
                 [photo, unsaved], [])

    assert msg.location == Point(6.37, 2.39)
    assert msg.place_text == "Vedoko"
    assert msg.attachments == (AttachmentRef(501, "photo", "image/jpeg"),)


def test_a_button_the_question_did_not_offer_is_read_as_its_words() -> None:
    """A row of an older list, tapped later: its words, without that list's number."""
    stale = to_msg(record(kind="choice", choice="lang:en", text="2. English"), [], MENU)
    forged = to_msg(record(kind="choice", choice="mydata", text="1. Mes données"), [],
                    offered(MENU_LABELS[:2]))

    assert stale == Msg(kind="choice", text="English", choice=None)  # asked again
    assert forged == Msg(kind="choice", text="Mes données", choice=None)


def test_an_older_button_whose_words_are_an_option_here_is_that_option() -> None:
    msg = to_msg(record(kind="choice", choice="menu:followup", text="5. Mon suivi"), [], MENU)

    assert msg == Msg(kind="choice", text="Mon suivi", choice="followup")


def test_an_older_button_that_only_carried_a_number_picks_nothing() -> None:
    msg = to_msg(record(kind="choice", choice="lang:fr", text="1"), [], MENU)

    assert msg == Msg(kind="choice", text="1", choice=None)


def test_an_older_button_is_never_a_citizens_words_nor_a_global_word() -> None:
    """Tapped twice, "Pas de photo" must not become the description; an old "Annuler" must
    not throw away the draft of now."""
    twice = to_msg(record(kind="choice", choice="skip", text="1. Pas de photo"), [], [])
    cancel = to_msg(record(kind="choice", choice="cancel", text="3. Annuler"), [], MENU)

    assert not twice.is_text and twice.choice is None
    assert not cancel.is_text and cancel.kind == "choice"

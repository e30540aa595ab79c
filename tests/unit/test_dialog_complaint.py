"""A complaint or a suggestion about a municipal service, named or anonymous."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.commands import SubmitComplaint
from dialogs.conversation import Conversation, Engine, Turn
from dialogs.engine import AttachmentRef, Msg
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import COTONOU, NOW, FakeLookup, citizen, keys, option_ids

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
VOICE = AttachmentRef(601, "voice", "audio/ogg")
ABOUT_CIVIL_STATUS = {"kind": "complaint", "service_id": 11}
WRITTEN = {**ABOUT_CIVIL_STATUS, "description": "Trois semaines pour un acte de naissance"}


def at(state: str, data: dict[str, Any], msg: Msg, lookup: FakeLookup | None = None) -> Turn:
    current = Conversation(flow="complaint", state=state, data=data, updated_at=NOW)
    return ENGINE.turn(current, msg, lookup or FakeLookup())


def choose(option: str, typed: str = "1") -> Msg:
    return Msg(kind="text", text=typed, choice=option)


def test_the_kind_chosen_leads_to_the_services_asked_for_that_kind() -> None:
    complaint = at("KIND", {}, choose("complaint"))
    suggestion = at("KIND", {}, choose("suggestion", "2"))

    assert complaint.conversation.state == "SERVICE"
    assert complaint.conversation.data == {"kind": "complaint"}
    assert keys(complaint.prompt.says) == ["complaint.service.ask.complaint"]
    assert option_ids(complaint.prompt) == ["svc:11", "svc:12"]
    assert keys(suggestion.prompt.says) == ["complaint.service.ask.suggestion"]


def test_the_kinds_are_offered_in_the_citizens_language() -> None:
    lookup = FakeLookup(citizen=citizen(language="en"))

    turn = ENGINE.turn(Conversation(flow="menu", state="MENU"), choose("complaint", "2"), lookup)

    assert option_ids(turn.prompt) == ["complaint", "suggestion"]
    assert [CATALOGS.label("en", o) for o in turn.prompt.options] == ["A complaint",
                                                                       "A suggestion"]


def test_an_answer_that_is_no_kind_re_asks() -> None:
    turn = at("KIND", {}, Msg(kind="text", text="plainte"))

    assert turn.conversation.state == "KIND"
    assert keys(turn.says) == ["error.choose"]


def test_the_service_chosen_leads_to_the_text_asked_for_that_kind() -> None:
    turn = at("SERVICE", {"kind": "suggestion"}, choose("svc:12", "2"))

    assert turn.conversation.state == "TEXT"
    assert turn.conversation.data == {"kind": "suggestion", "service_id": 12}
    assert keys(turn.prompt.says) == ["complaint.text.ask.suggestion"]


def test_services_are_named_in_the_citizens_language() -> None:
    lookup = FakeLookup(citizen=citizen(language="en"))

    turn = at("KIND", {}, choose("complaint"), lookup)

    assert [o.label for o in turn.prompt.options] == ["Civil registry", "Land office"]


def test_a_number_beyond_the_services_says_how_many_there_are() -> None:
    turn = at("SERVICE", {"kind": "complaint"}, Msg(kind="text", text="5"))

    assert turn.conversation.state == "SERVICE"
    assert keys(turn.says) == ["error.choose_number"]
    assert turn.says[0].params == {"count": 2}


def test_a_written_complaint_asks_whether_to_stay_anonymous() -> None:
    turn = at("TEXT", ABOUT_CIVIL_STATUS,
              Msg(kind="text", text=" Trois semaines pour un acte de naissance "))

    assert turn.conversation.state == "ANONYMOUS"
    assert turn.conversation.data == WRITTEN
    assert turn.says == ()
    assert keys(turn.prompt.says) == ["complaint.anonymous.ask"]
    assert option_ids(turn.prompt) == ["named", "anonymous"]


def test_a_voice_note_is_acknowledged_and_kept() -> None:
    turn = at("TEXT", ABOUT_CIVIL_STATUS, Msg(kind="voice", attachments=(VOICE,)))

    assert turn.conversation.state == "ANONYMOUS"
    assert turn.conversation.data == {**ABOUT_CIVIL_STATUS, "description": "",
                                      "attachment_ids": [601]}
    assert keys(turn.says) == ["common.voice_received"]


@pytest.mark.parametrize(("msg", "hint"), [(Msg(kind="text", text=""), "error.empty"),
                                           (Msg(kind="text", text="🙁🙁🙁"), "error.emoji_only"),
                                           (Msg(kind="text", text="x" * 2001), "error.too_long"),
                                           (Msg(kind="sticker"), "error.sticker")])
def test_a_text_that_cannot_be_used_is_asked_again(msg: Msg, hint: str) -> None:
    turn = at("TEXT", ABOUT_CIVIL_STATUS, msg)

    assert turn.conversation.state == "TEXT"
    assert keys(turn.says) == [hint]
    assert keys(turn.prompt.says) == ["complaint.text.ask.complaint"]


def test_a_named_complaint_is_filed_with_the_citizen_known() -> None:
    turn = at("ANONYMOUS", WRITTEN, choose("named"))

    assert turn.commands == (SubmitComplaint(
        citizen_id=7, identity_id=70, channel="telegram", commune_id=COTONOU, kind="complaint",
        service_id=11, description="Trois semaines pour un acte de naissance", anonymous=False),)
    assert keys(turn.says) == ["complaint.done.complaint"]
    assert turn.conversation.flow == "menu"


def test_an_anonymous_suggestion_by_voice_is_filed_anonymously() -> None:
    voiced = {"kind": "suggestion", "service_id": 12, "description": "", "attachment_ids": [601]}

    turn = at("ANONYMOUS", voiced, choose("anonymous", "2"))

    assert turn.commands == (SubmitComplaint(
        citizen_id=7, identity_id=70, channel="telegram", commune_id=COTONOU, kind="suggestion",
        service_id=12, description="", anonymous=True, attachment_ids=(601,)),)
    assert keys(turn.says) == ["complaint.done.suggestion"]


def test_an_unclear_answer_about_anonymity_files_nothing() -> None:
    turn = at("ANONYMOUS", WRITTEN, Msg(kind="text", text="je ne sais pas"))

    assert turn.conversation.state == "ANONYMOUS"
    assert turn.commands == ()
    assert keys(turn.says) == ["error.choose"]

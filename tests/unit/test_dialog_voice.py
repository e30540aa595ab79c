"""A voice note where a flow wants words: heard by a worker, shown back, confirmed, or kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.commands import SubmitComplaint, SubmitIdea, TranscribeVoice
from dialogs.conversation import Conversation, Engine, Turn
from dialogs.engine import AttachmentRef, Heard, Msg
from dialogs.flows.registry import all_flows
from tests.unit.fake_lookup import NOW, FakeLookup, keys, option_ids

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
VOICE = AttachmentRef(601, "voice", "audio/ogg")
PINNED = {"category_id": 2, "category": "Caniveau, inondation", "latitude": 6.3703,
          "longitude": 2.3912, "attachment_ids": [501], "photo": True}
LISTENING = {**PINNED, "attachment_ids": [501, 601], "listening": 601, "voice": True}
HEARD = {**PINNED, "attachment_ids": [501, 601], "voice": True,
         "heard": "Le caniveau déborde devant le marché"}


def at(state: str, data: dict[str, Any], msg: Msg, *, flow: str = "report",
       transcribes: bool = True) -> Turn:
    current = Conversation(flow=flow, state=state, data=data, updated_at=NOW)
    return ENGINE.turn(current, msg, FakeLookup(transcribes=transcribes))


def voice_note(ref: AttachmentRef = VOICE) -> Msg:
    return Msg(kind="voice", attachments=(ref,))


def heard(text: str, *, confident: bool = True, reason: str | None = None,
          attachment: int = 601) -> Msg:
    return Msg(kind="transcript", heard=Heard(attachment, text, confident, reason))


def test_a_voice_note_waits_for_the_worker_and_asks_for_its_transcript() -> None:
    turn = at("DESCRIPTION", PINNED, voice_note())

    assert (turn.conversation.flow, turn.conversation.state) == ("report", "LISTENING")
    assert turn.conversation.data == LISTENING
    assert turn.commands == (TranscribeVoice(601, 7, "fr"),)
    assert keys(turn.says) == ["voice.listening"]
    assert option_ids(turn.prompt) == ["keep"]  # never blocked: keep the audio and go on


def test_without_a_worker_the_voice_note_is_kept_as_before() -> None:
    turn = at("DESCRIPTION", PINNED, voice_note(), transcribes=False)

    assert turn.conversation.state == "CONFIRM"
    assert turn.conversation.data["attachment_ids"] == [501, 601]
    assert turn.commands == ()


def test_the_transcript_is_shown_back_with_three_choices() -> None:
    turn = at("LISTENING", LISTENING, heard("Le caniveau déborde devant le marché"))

    assert turn.conversation.state == "HEARD"
    assert turn.conversation.data == HEARD
    assert keys(turn.prompt.says) == ["voice.heard"]
    assert turn.prompt.says[0].params == {"text": "Le caniveau déborde devant le marché"}
    assert option_ids(turn.prompt) == ["yes", "retry", "keep"]


def test_yes_makes_the_transcript_the_description_and_keeps_the_audio() -> None:
    turn = at("HEARD", HEARD, Msg(kind="text", text="1", choice="yes"))

    assert turn.conversation.state == "CONFIRM"
    data = turn.conversation.data
    assert data["description"] == "Le caniveau déborde devant le marché"
    assert data["attachment_ids"] == [501, 601] and "heard" not in data


def test_no_drops_that_note_and_asks_again() -> None:
    turn = at("HEARD", HEARD, Msg(kind="text", text="2", choice="retry"))

    assert turn.conversation.state == "DESCRIPTION"
    assert turn.conversation.data["attachment_ids"] == [501]
    assert keys(turn.says) == ["voice.again"]


def test_keep_sends_the_audio_without_text() -> None:
    turn = at("HEARD", HEARD, Msg(kind="text", text="3", choice="keep"))

    assert turn.conversation.state == "CONFIRM"
    assert turn.conversation.data["description"] == ""
    assert turn.conversation.data["attachment_ids"] == [501, 601]
    assert keys(turn.says) == ["voice.kept"]


def test_typing_while_waiting_takes_the_words_and_keeps_the_audio() -> None:
    turn = at("LISTENING", LISTENING, Msg(kind="text", text="Caniveau bouché rue 12"))

    assert turn.conversation.state == "CONFIRM"
    assert turn.conversation.data["description"] == "Caniveau bouché rue 12"
    assert "listening" not in turn.conversation.data


@pytest.mark.parametrize("reason", ["unclear", "too_long", "undecodable", "no_model", "failed"])
def test_a_note_not_heard_well_goes_on_with_the_audio(reason: str) -> None:
    turn = at("LISTENING", LISTENING, heard("", confident=False, reason=reason))

    assert turn.conversation.state == "CONFIRM"
    assert turn.conversation.data["attachment_ids"] == [501, 601]
    assert keys(turn.says) == [f"voice.{reason}"]


def test_a_silent_note_is_asked_again() -> None:
    turn = at("LISTENING", LISTENING, heard("", confident=False, reason="silent"))

    assert turn.conversation.state == "DESCRIPTION"
    assert turn.conversation.data["attachment_ids"] == [501]
    assert keys(turn.says) == ["voice.silent"]


def test_a_low_confidence_transcript_is_not_shown_back() -> None:
    turn = at("LISTENING", LISTENING, heard("euh le ca", confident=False, reason="unclear"))

    assert turn.conversation.state == "CONFIRM"
    assert turn.conversation.data["description"] == ""


def test_another_note_while_waiting_is_listened_to_instead() -> None:
    turn = at("LISTENING", LISTENING, voice_note(AttachmentRef(602, "voice", "audio/ogg")))

    assert turn.conversation.state == "LISTENING"
    assert turn.conversation.data["listening"] == 602
    assert turn.conversation.data["attachment_ids"] == [501, 601, 602]


def test_an_idea_from_a_voice_note_is_proposed_with_its_transcript() -> None:
    data = {"title": "Éclairer le marché", "attachment_ids": [601], "voice": True,
            "heard": "Mettre des lampadaires solaires autour du marché"}
    turn = at("HEARD", data, Msg(kind="text", text="1", choice="yes"), flow="idea")

    (command,) = turn.commands
    assert isinstance(command, SubmitIdea)
    assert command.description == "Mettre des lampadaires solaires autour du marché"
    assert command.attachment_ids == (601,)


def test_a_complaint_from_a_voice_note_goes_on_to_the_anonymity_question() -> None:
    data = {"kind": "complaint", "service_id": 3}
    listening = at("TEXT", data, voice_note(), flow="complaint")
    assert listening.conversation.state == "LISTENING"
    shown = at("LISTENING", dict(listening.conversation.data),
               heard("Le guichet ferme trop tôt"), flow="complaint")
    done = at("HEARD", dict(shown.conversation.data),
              Msg(kind="text", text="1", choice="yes"), flow="complaint")
    assert done.conversation.state == "ANONYMOUS"
    named = at("ANONYMOUS", dict(done.conversation.data),
               Msg(kind="text", text="1", choice="named"), flow="complaint")
    (command,) = named.commands
    assert isinstance(command, SubmitComplaint)
    assert command.description == "Le guichet ferme trop tôt"
    assert command.attachment_ids == (601,)

"""Which thread a turn belongs to, as the engine says: the thread of the flow that handled
the message, or of the filing flow chosen from the menu; no thread for asides, the offer to
resume after a silence, onboarding and other flows. Never another submission's thread."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from core.commands import FollowTopic, SubmitComplaint
from dialogs.conversation import Conversation, Engine
from dialogs.engine import FollowUpView, Msg
from dialogs.flows.registry import all_flows
from dialogs.threads import with_thread
from tests.unit.fake_lookup import NOW, FakeLookup, keys

NUMBERS = count(1)
ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30),
                new_thread=lambda: f"t{next(NUMBERS)}")
MENU = Conversation("menu", "MENU", {}, updated_at=NOW)
DRAFT = {"thread": "t-report", "category_id": 2, "category": "Caniveau, inondation"}
REPORT = Conversation("report", "LOCATION", DRAFT, updated_at=NOW)
FIXED = FollowUpView(id=7, reference="COT-SIG-26-0001", title="Caniveau", resolved_at=NOW,
                     answered=False)


def text(words: str, choice: str | None = None) -> Msg:
    return Msg(kind="text", text=words, choice=choice)


def test_choosing_a_filing_flow_opens_a_thread_the_turn_is_in() -> None:
    turn = ENGINE.turn(MENU, text("1", "report"), FakeLookup())
    opened = turn.conversation.data["thread"]
    assert opened.startswith("t") and turn.thread == opened
    again = ENGINE.turn(MENU, text("2", "complaint"), FakeLookup())
    assert again.thread not in (None, opened)  # each run its own


def test_every_turn_of_the_flow_is_in_its_thread_to_the_one_that_files() -> None:
    lookup = FakeLookup()
    pinned = ENGINE.turn(REPORT, text("1er arrondissement", "arr:BJ-LI-COT-01"), lookup)
    assert pinned.thread == "t-report" and pinned.conversation.data["thread"] == "t-report"
    confirm = Conversation("report", "CONFIRM", {**DRAFT, "description": "Caniveau bouché"},
                           updated_at=NOW)
    filed = ENGINE.turn(confirm, text("1", "send"), lookup)
    assert filed.conversation.flow == "menu" and filed.thread == "t-report"


def test_other_flows_and_onboarding_have_no_thread() -> None:
    assert ENGINE.turn(MENU, text("7", "council"), FakeLookup()).thread is None
    language = ENGINE.turn(REPORT, text("langue"), FakeLookup())
    assert language.conversation.flow == "onboarding" and language.thread is None
    back = ENGINE.turn(language.conversation, text("1", "lang:fr"), FakeLookup())
    assert back.conversation.flow == "report" and back.thread is None


def test_an_aside_in_the_middle_of_a_flow_is_in_no_thread() -> None:
    lookup = FakeLookup()
    for said in ("aide", "statut COT-PLA-26-0001", "stop"):
        turn = ENGINE.turn(REPORT, text(said), lookup)
        assert turn.conversation.flow == "report" and turn.thread is None, said


def test_after_a_silence_the_offer_to_resume_is_in_no_thread_continuing_is() -> None:
    silent = Conversation("report", "LOCATION", DRAFT, updated_at=NOW - timedelta(hours=3))
    offered = ENGINE.turn(silent, text("L'agent du guichet demande 5000 F"), FakeLookup())
    assert offered.conversation.flow == "resume" and offered.thread is None
    resumed = ENGINE.turn(offered.conversation, text("1", "continue"), FakeLookup())
    assert resumed.conversation.flow == "report" and resumed.thread == "t-report"
    left = ENGINE.turn(offered.conversation, text("2", "menu"), FakeLookup())
    assert left.thread is None


def test_was_it_fixed_is_in_its_submissions_thread_even_over_a_paused_draft() -> None:
    lookup = FakeLookup(follow_ups=[FIXED])
    paused = Conversation("complaint", "TEXT", {"thread": "t-complaint", "kind": "complaint",
                                                "service_id": 3},
                          updated_at=NOW - timedelta(hours=3))
    invite = Msg(kind="invite", invite=("fixed", {"followup_id": 7, "thread": "t-report"}))
    asked = ENGINE.turn(paused, invite, lookup)
    assert asked.conversation.flow == "fixed" and asked.thread == "t-report"
    commented = ENGINE.turn(asked.conversation, text("2", "no"), lookup)
    answered = ENGINE.turn(commented.conversation, text("Toujours bouché chez Dossou"), lookup)
    assert answered.thread == "t-report"  # not the complaint's, which is offered back now
    assert answered.conversation.flow == "resume" and keys(answered.prompt.says) == [
        "resume.ask"]
    continued = ENGINE.turn(answered.conversation, text("1", "continue"), lookup)
    assert continued.thread == "t-complaint"


def test_a_submission_filed_in_the_turn_keeps_the_turns_thread() -> None:
    filed = SubmitComplaint(citizen_id=1, identity_id=1, channel="console", commune_id="C",
                            kind="complaint", service_id=3, description="x", anonymous=True)
    follow = FollowTopic(citizen_id=1, topic="council")
    assert with_thread((filed, follow), "t2") == (
        SubmitComplaint(citizen_id=1, identity_id=1, channel="console", commune_id="C",
                        kind="complaint", service_id=3, description="x", anonymous=True,
                        thread="t2"), follow)

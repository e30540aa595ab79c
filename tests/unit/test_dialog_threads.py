"""Which thread a turn's messages belong to: the filing flow's, from the turn that opens it to
the one that files and goes back to the menu, through a pause; never another flow's."""

from __future__ import annotations

from core.commands import FollowTopic, SubmitComplaint
from dialogs.conversation import Conversation
from dialogs.threads import of_turn, opened, thread_of, with_thread

MENU = Conversation("menu", "MENU", {})
REPORT = Conversation("report", "CONFIRM", {"thread": "t1", "category_id": 2})


def test_entering_a_filing_flow_opens_a_thread_and_the_turn_is_in_it() -> None:
    entered = opened(Conversation("report", "CATEGORY", {}), lambda: "t9")
    assert thread_of(entered) == "t9"
    assert of_turn(MENU, entered) == "t9"


def test_a_thread_is_kept_not_replaced() -> None:
    assert opened(REPORT, lambda: "other") == REPORT


def test_other_flows_have_no_thread() -> None:
    council = opened(Conversation("council", "ASK", {}), lambda: "t9")
    assert thread_of(council) is None
    assert of_turn(MENU, council) is None


def test_filing_and_going_back_to_the_menu_belongs_to_the_flow_it_ended() -> None:
    assert of_turn(REPORT, MENU) == "t1"
    assert of_turn(REPORT, Conversation()) == "t1"


def test_leaving_for_another_flow_belongs_to_the_other_flow() -> None:
    complaint = Conversation("complaint", "KIND", {"thread": "t2"})
    assert of_turn(REPORT, complaint) == "t2"
    assert of_turn(REPORT, Conversation("survey", "Q", {"return_to": {}})) is None


def test_a_paused_draft_keeps_its_thread_while_it_offers_to_resume() -> None:
    paused = Conversation("resume", "ASK", {"flow": "report", "state": "CONFIRM",
                                            "data": {"thread": "t1"}})
    assert thread_of(paused) == "t1"
    assert of_turn(REPORT, paused) == "t1" and of_turn(paused, REPORT) == "t1"


def test_a_submission_filed_in_the_turn_keeps_the_turns_thread() -> None:
    filed = SubmitComplaint(citizen_id=1, identity_id=1, channel="console", commune_id="C",
                            kind="complaint", service_id=3, description="x", anonymous=True)
    follow = FollowTopic(citizen_id=1, topic="council")
    assert with_thread((filed, follow), "t2") == (
        SubmitComplaint(citizen_id=1, identity_id=1, channel="console", commune_id="C",
                        kind="complaint", service_id=3, description="x", anonymous=True,
                        thread="t2"), follow)

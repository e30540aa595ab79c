"""The council in the bot: what is shown, following, a question to the live sitting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.commands import AskCouncil, FollowTopic, TranscribeVoice
from dialogs.conversation import Conversation, Engine
from dialogs.engine import AttachmentRef, CouncilView, Msg, SessionView
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import NOW, FakeLookup, keys, option_ids

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
NEXT = SessionView(id=4, title="Budget 2027", kind="ordinary",
                   starts_at=datetime(2026, 12, 7, 8, 0, tzinfo=UTC), place="Mairie", live=False)
LIVE = SessionView(id=3, title="Reddition des comptes", kind="accountability",
                   starts_at=NOW, place="Mairie", live=True, stream_url="https://fb.me/live")
ENDED = SessionView(id=2, title="Session d'octobre", kind="ordinary", starts_at=NOW,
                    place="Mairie", live=False, decisions=("Marché rénové",))


def open_council(view: CouncilView, text: str = "conseil", **more: object):
    lookup = FakeLookup(council_view=view, **more)
    return ENGINE.turn(Conversation(flow="menu", state="MENU", updated_at=NOW),
                       Msg(kind="text", text=text), lookup), lookup


def at(state: str, data: dict, msg: Msg, view: CouncilView, **more: object):
    lookup = FakeLookup(council_view=view, **more)
    return ENGINE.turn(Conversation(flow="council", state=state, data=data, updated_at=NOW),
                       msg, lookup)


def test_the_word_conseil_shows_the_live_and_next_sittings_with_what_can_be_done() -> None:
    turn, _ = open_council(CouncilView(upcoming=(LIVE, NEXT), last_ended=ENDED))

    assert (turn.conversation.flow, turn.conversation.state) == ("council", "OVERVIEW")
    shown = CATALOGS.render("fr", turn.prompt.says[1]) + CATALOGS.render("fr", turn.prompt.says[2])
    assert "🔴 En direct : Reddition des comptes https://fb.me/live" in shown
    assert "7 déc. 2026 09:00 — Budget 2027 (session ordinaire, Mairie)" in shown
    assert option_ids(turn.prompt) == ["ask", "decisions", "follow"]


def test_after_the_sitting_one_is_the_decisions_never_stop_following() -> None:
    # During the sitting 1 was "ask"; a citizen who types 1 again once it ended must not be
    # unfollowed (an outside review saw it happen).
    turn, _ = open_council(CouncilView(last_ended=ENDED, following=True))
    assert option_ids(turn.prompt) == ["decisions", "unfollow"]


def test_with_nothing_planned_it_says_so_and_a_follower_may_stop() -> None:
    turn, _ = open_council(CouncilView(following=True))
    assert keys(turn.prompt.says) == ["council.title", "council.none"]
    assert option_ids(turn.prompt) == ["unfollow"]
    done = at("OVERVIEW", {}, Msg(kind="text", text="1", choice="unfollow"),
              CouncilView(following=True))
    assert done.commands == (FollowTopic(7, "council", False),)


def test_a_question_goes_to_the_live_sitting_typed_or_spoken() -> None:
    view = CouncilView(upcoming=(LIVE,))
    asked = at("OVERVIEW", {}, Msg(kind="text", text="1", choice="ask"), view)
    assert asked.conversation.state == "QUESTION" and asked.conversation.data == {
        "session_id": 3}
    typed = at("QUESTION", {"session_id": 3},
               Msg(kind="text", text="Où en est le marché de Zogbo ?"), view)
    assert typed.commands == (AskCouncil(3, 7, "Où en est le marché de Zogbo ?", None),)
    spoken = at("QUESTION", {"session_id": 3},
                Msg(kind="voice", attachments=(AttachmentRef(9, "voice", "audio/ogg"),)),
                view, transcribes=True)
    assert spoken.commands == (AskCouncil(3, 7, "", 9), TranscribeVoice(9, 7, "fr"))


def test_a_question_after_the_sitting_ended_is_not_lost_silently() -> None:
    turn = at("QUESTION", {"session_id": 3}, Msg(kind="text", text="Une question tardive"),
              CouncilView(upcoming=(NEXT,)))
    assert turn.commands == () and keys(turn.says)[0] == "council.question.closed"

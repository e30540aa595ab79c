"""The commune's projects in the bot: by sector or arrondissement, one project, following it."""

from __future__ import annotations

from datetime import date, timedelta

from core.commands import FollowTopic
from dialogs.conversation import Conversation, Engine
from dialogs.engine import Msg, ProjectView
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from tests.unit.fake_lookup import NOW, FakeLookup, keys, option_ids

ENGINE = Engine(all_flows(), timeout=timedelta(minutes=30))
CATALOGS = Catalogs.load()
WELL = ProjectView(id=12, title="Forage de Houéyiho", sector="eau", arrondissement="2e arr.",
                   progress=80, status="in_progress", budget_fcfa=12_000_000,
                   funding_source="FADeC", starts_on=date(2026, 2, 1),
                   ends_on=date(2026, 6, 30))
ROAD = ProjectView(id=13, title="Pavage rue 12", sector="routes", arrondissement="1er arr.",
                   progress=35, status="in_progress", budget_fcfa=45_000_000,
                   funding_source="", starts_on=None, ends_on=None)


def at(state: str, data: dict, msg: Msg, *views: ProjectView):
    lookup = FakeLookup(project_views=list(views))
    return ENGINE.turn(Conversation(flow="projects", state=state, data=data, updated_at=NOW),
                       msg, lookup)


def choose(option: str) -> Msg:
    return Msg(kind="text", text="1", choice=option)


def test_the_word_projets_opens_the_projects_or_says_none_are_published() -> None:
    empty = ENGINE.turn(Conversation(), Msg(kind="text", text="projets"), FakeLookup())
    assert keys(empty.prompt.says) == ["projects.none"] and option_ids(empty.prompt) == []
    shown = ENGINE.turn(Conversation(), Msg(kind="text", text="projets"),
                        FakeLookup(project_views=[WELL]))
    assert option_ids(shown.prompt) == ["by_arr", "by_sector"]


def test_by_sector_then_one_project_with_its_figures_then_follow() -> None:
    sectors = at("WAY", {}, choose("by_sector"), WELL, ROAD)
    assert option_ids(sectors.prompt) == ["psec:0", "psec:1"]  # eau, routes
    listed = at("SECTOR", {}, choose("psec:0"), WELL, ROAD)
    assert listed.conversation.data == {"sector": "eau"}
    assert option_ids(listed.prompt) == ["proj:12"]
    shown = at("LIST", {"sector": "eau"}, choose("proj:12"), WELL, ROAD)
    details = CATALOGS.render("fr", shown.prompt.says[0])
    assert "Avancement : 80 % (en cours)" in details
    assert "Budget : 12 000 000 FCFA · Financement : FADeC" in details
    assert option_ids(shown.prompt) == ["follow", "back"]
    followed = at("PROJECT", {"sector": "eau", "project_id": 12}, choose("follow"), WELL)
    assert followed.commands == (FollowTopic(7, "project:12", True),)
    assert keys(followed.says) == ["projects.followed"]


def test_a_sector_number_out_of_range_is_asked_again() -> None:
    turn = at("SECTOR", {}, Msg(kind="text", text="9"), WELL)
    assert turn.conversation.state == "SECTOR"

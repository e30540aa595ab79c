"""The commune's investment-plan projects in the bot: by arrondissement or by sector, one
project's details (budget, funding, dates, progress), and following it."""

from __future__ import annotations

from enum import Enum

from core.commands import FollowTopic
from core.projects.service import topic
from dialogs.engine import (
    Data,
    Flow,
    Lookup,
    Msg,
    Option,
    ProjectView,
    Prompt,
    StateSpec,
    Step,
    prompt,
    say,
)
from dialogs.flows.common import commune_of, options, picked

SHOWN = 10  # projects listed at once (the most advanced first)


class S(Enum):
    WAY = "WAY"
    ARRONDISSEMENT = "ARRONDISSEMENT"
    SECTOR = "SECTOR"
    LIST = "LIST"
    PROJECT = "PROJECT"


def ask_way(data: Data, ctx: Lookup) -> Prompt:
    if not ctx.projects(commune_of(ctx)):
        return prompt(say("projects.none", commune=ctx.citizen.commune_name or ""))
    return prompt(say("projects.title", commune=ctx.citizen.commune_name or ""),
                  options=[Option("by_arr", say("projects.by_arrondissement")),
                           Option("by_sector", say("projects.by_sector"))])


def on_way(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if not ctx.projects(commune_of(ctx)):
        return Step.finish()
    if msg.choice == "by_arr":
        return Step.to(S.ARRONDISSEMENT, data)
    if msg.choice == "by_sector":
        return Step.to(S.SECTOR, data)
    return Step.stay()


def ask_arrondissement(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("projects.which_arrondissement"),
                  options=options(ctx.arrondissements(commune_of(ctx)), "parr"))


def on_arrondissement(data: Data, msg: Msg, ctx: Lookup) -> Step:
    chosen = picked(msg, "parr")
    if chosen is None and msg.text:
        found = ctx.match_arrondissement(commune_of(ctx), msg.text)
        chosen = found[0] if found else None
    if chosen is None:
        return Step.stay()
    return Step.to(S.LIST, {"arrondissement_id": chosen})


def ask_sector(data: Data, ctx: Lookup) -> Prompt:
    sectors = ctx.project_sectors(commune_of(ctx))
    return prompt(say("projects.which_sector"),
                  options=[Option(f"psec:{i}", name) for i, name in enumerate(sectors)])


def on_sector(data: Data, msg: Msg, ctx: Lookup) -> Step:
    chosen = picked(msg, "psec")
    sectors = ctx.project_sectors(commune_of(ctx))
    if chosen is None or not chosen.isdigit() or int(chosen) >= len(sectors):
        return Step.stay()
    return Step.to(S.LIST, {"sector": sectors[int(chosen)]})


def _listed(data: Data, ctx: Lookup) -> list[ProjectView]:
    return ctx.projects(commune_of(ctx), arrondissement_id=data.get("arrondissement_id"),
                        sector=data.get("sector"))[:SHOWN]


def ask_list(data: Data, ctx: Lookup) -> Prompt:
    found = _listed(data, ctx)
    if not found:
        return prompt(say("projects.none_here"), options=[Option("back", say("projects.back"))])
    return prompt(say("projects.list"),
                  options=[Option(f"proj:{p.id}", say("projects.line", title=p.title,
                                                      progress=p.progress)) for p in found])


def on_list(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "back":
        return Step.to(S.WAY, {})
    chosen = picked(msg, "proj")
    if chosen is None or ctx.project(int(chosen)) is None:
        return Step.stay()
    return Step.to(S.PROJECT, {**data, "project_id": int(chosen)})


def ask_project(data: Data, ctx: Lookup) -> Prompt:
    shown = ctx.project(int(data["project_id"]))
    if shown is None:
        return prompt(say("projects.gone"))
    details = say("projects.details", title=shown.title, sector=shown.sector,
                  place=shown.arrondissement or "—", progress=shown.progress,
                  status=say(f"projects.status.{shown.status}"),
                  budget=f"{shown.budget_fcfa:,}".replace(",", " "),
                  funding=shown.funding_source or "—", starts=shown.starts_on or "—",
                  ends=shown.ends_on or "—", description=shown.description)
    follow = (Option("unfollow", say("projects.unfollow")) if shown.following
              else Option("follow", say("projects.follow")))
    return prompt(details, options=[follow, Option("back", say("projects.back"))])


def on_project(data: Data, msg: Msg, ctx: Lookup) -> Step:
    project_id = int(data["project_id"])
    if msg.choice in ("follow", "unfollow"):
        following = msg.choice == "follow"
        done = say("projects.followed") if following else say("projects.unfollowed")
        command = FollowTopic(ctx.citizen.id, topic(project_id), following)
        return Step.finish(done, commands=(command,))
    if msg.choice == "back":
        return Step.to(S.LIST, {k: v for k, v in data.items() if k != "project_id"})
    return Step.stay()


FLOW = Flow(name="projects", start=S.WAY, states={
    S.WAY: StateSpec(ask_way, on_way),
    S.ARRONDISSEMENT: StateSpec(ask_arrondissement, on_arrondissement),
    S.SECTOR: StateSpec(ask_sector, on_sector),
    S.LIST: StateSpec(ask_list, on_list),
    S.PROJECT: StateSpec(ask_project, on_project),
})

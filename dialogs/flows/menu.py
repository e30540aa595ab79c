"""The main menu: every flow starts here."""

from __future__ import annotations

from enum import Enum

from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say


class S(Enum):
    MENU = "MENU"


ENTRIES = ("report", "complaint", "idea", "ideas", "followup", "mydata", "council",
           "projects", "documents", "survey")


def ask_menu(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("menu.title", commune=ctx.citizen.commune_name or ""),
                  options=[Option(entry, say(f"menu.{entry}")) for entry in ENTRIES])


def on_menu(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice in ENTRIES:
        return Step.flow(msg.choice)
    return Step.stay()


FLOW = Flow(name="menu", start=S.MENU, states={S.MENU: StateSpec(ask_menu, on_menu)})

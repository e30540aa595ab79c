"""Linking another channel: the code sent here (LIER 482913) names the account that asked for
it; the citizen says it is theirs before the two become one citizen. A code posted in a group
("envoyez LIER 482913 au bot") then shows whose account it would join, and joins nothing
unless the reader says it is their own."""

from __future__ import annotations

from enum import Enum

from core.commands import UseLinkCode
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say


class S(Enum):
    CONFIRM = "CONFIRM"


def ask_confirm(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("link.confirm", target=data["target"]),
                  options=[Option("mine", say("link.confirm.yes")),
                           Option("not_mine", say("link.confirm.no"))])


def on_confirm(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "mine":
        return Step.finish(say("link.done"),
                           commands=(UseLinkCode(ctx.citizen.identity_id, data["code"]),))
    if msg.choice == "not_mine":
        return Step.finish(say("link.refused"))
    return Step.stay()


FLOW = Flow(name="link", start=S.CONFIRM, states={S.CONFIRM: StateSpec(ask_confirm, on_confirm)})

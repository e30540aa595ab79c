"""My data: what Palabre keeps about the citizen, erasing it after confirmation, and a code to
link their other channel (the global word LIER does the same)."""

from __future__ import annotations

from enum import Enum

from core.commands import EraseCitizen, IssueLinkCode, UpdateProfile
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say


class S(Enum):
    SHOW = "SHOW"
    CONFIRM = "CONFIRM"


def ask_show(data: Data, ctx: Lookup) -> Prompt:
    facts = ctx.my_data()
    voice = "withdraw" if ctx.citizen.voice_data_consent else "give"
    return prompt(say("mydata.summary", **facts),
                  options=[Option("delete", say("mydata.delete")),
                           Option(f"voice:{voice}", say(f"mydata.voice_data.{voice}")),
                           Option("link", say("mydata.link")),
                           Option("menu", say("common.back_to_menu"))])


def on_show(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "delete":
        return Step.to(S.CONFIRM, data)
    if msg.choice in ("voice:give", "voice:withdraw"):
        giving = msg.choice == "voice:give"
        command = UpdateProfile(ctx.citizen.id, {"voice_data_consent_at":
                                                 ctx.now if giving else None})
        return Step.finish(say("mydata.voice_data.given" if giving
                               else "mydata.voice_data.withdrawn"), commands=(command,))
    if msg.choice == "link":
        return Step.finish(say("link.code"),
                           commands=(IssueLinkCode(ctx.citizen.identity_id),))
    if msg.choice == "menu":
        return Step.finish()
    return Step.stay()


def ask_confirm(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("mydata.confirm"),
                  options=[Option("erase", say("mydata.confirm.yes")),
                           Option("keep", say("mydata.confirm.no"))])


def on_confirm(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "erase":
        return Step.finish(say("mydata.deleted"), commands=(EraseCitizen(ctx.citizen.id),),
                           then_menu=False)
    if msg.choice == "keep":
        return Step.finish(say("mydata.kept"))
    return Step.stay()


FLOW = Flow(name="mydata", start=S.SHOW,
            states={S.SHOW: StateSpec(ask_show, on_show),
                    S.CONFIRM: StateSpec(ask_confirm, on_confirm)})

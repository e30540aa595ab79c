"""The commune's public documents in the bot: choose a kind (budget, administrative account,
PAI, PDC, procurement notices, the mayor's agenda), then a document, and receive it."""

from __future__ import annotations

from enum import Enum

from core.commands import SendDocument
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say
from dialogs.flows.common import commune_of, picked


class S(Enum):
    KIND = "KIND"
    LIST = "LIST"


def ask_kind(data: Data, ctx: Lookup) -> Prompt:
    kinds = ctx.document_kinds(commune_of(ctx))
    if not kinds:
        return prompt(say("documents.none", commune=ctx.citizen.commune_name or ""))
    return prompt(say("documents.title", commune=ctx.citizen.commune_name or ""),
                  options=[Option(f"dkind:{k}", say(f"documents.kind.{k}")) for k in kinds])


def on_kind(data: Data, msg: Msg, ctx: Lookup) -> Step:
    kinds = ctx.document_kinds(commune_of(ctx))
    if not kinds:
        return Step.finish()
    chosen = picked(msg, "dkind")
    if chosen not in kinds:
        return Step.stay()
    return Step.to(S.LIST, {"kind": chosen})


def ask_list(data: Data, ctx: Lookup) -> Prompt:
    found = ctx.documents(commune_of(ctx), data["kind"])
    return prompt(say("documents.which"),
                  options=[Option(f"doc:{d.id}", f"{d.title} ({d.year})") for d in found])


def on_list(data: Data, msg: Msg, ctx: Lookup) -> Step:
    chosen = picked(msg, "doc")
    found = {str(d.id) for d in ctx.documents(commune_of(ctx), data["kind"])}
    if chosen not in found:
        return Step.stay()
    citizen = ctx.citizen
    send = SendDocument(int(chosen), citizen.id, citizen.identity_id)
    return Step.finish(say("documents.sending"), commands=(send,))


FLOW = Flow(name="documents", start=S.KIND,
            states={S.KIND: StateSpec(ask_kind, on_kind), S.LIST: StateSpec(ask_list, on_list)})

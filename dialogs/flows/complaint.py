"""A complaint or a suggestion about a municipal service, optionally anonymous."""

from __future__ import annotations

from enum import Enum

from core.commands import SubmitComplaint
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say
from dialogs.flows.common import check_text, commune_of, options, picked, voice_of
from dialogs.flows.voice import Listening


class S(Enum):
    KIND = "KIND"
    SERVICE = "SERVICE"
    TEXT = "TEXT"
    LISTENING = "LISTENING"
    HEARD = "HEARD"
    ANONYMOUS = "ANONYMOUS"


KINDS = ("complaint", "suggestion")


def ask_kind(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("complaint.kind.ask"),
                  options=[Option(kind, say(f"complaint.kind.{kind}")) for kind in KINDS])


def on_kind(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice not in KINDS:
        return Step.stay()
    return Step.to(S.SERVICE, {**data, "kind": msg.choice})


def ask_service(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say(f"complaint.service.ask.{data['kind']}"),
                  options=options(ctx.services(commune_of(ctx)), "svc"))


def on_service(data: Data, msg: Msg, ctx: Lookup) -> Step:
    chosen = picked(msg, "svc")
    if chosen is None:
        return Step.stay()
    return Step.to(S.TEXT, {**data, "service_id": int(chosen)})


def ask_text(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say(f"complaint.text.ask.{data['kind']}"))


def on_text(data: Data, msg: Msg, ctx: Lookup) -> Step:
    listening = VOICE.start(data, msg, ctx)
    if listening is not None:
        return listening
    voice = voice_of(msg)
    if voice is not None:
        return Step.to(S.ANONYMOUS, {**data, "description": "", "attachment_ids": [voice]},
                       say("common.voice_received"))
    problem = check_text(msg)
    if problem is not None:
        return Step.stay(problem)
    return Step.to(S.ANONYMOUS, {**data, "description": msg.text.strip()})


def _described(data: Data, ctx: Lookup) -> Step:
    return Step.to(S.ANONYMOUS, data)


VOICE = Listening(listening=S.LISTENING, heard=S.HEARD, again=S.TEXT, done=_described)


def ask_anonymous(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("complaint.anonymous.ask"),
                  options=[Option("named", say("complaint.anonymous.named")),
                           Option("anonymous", say("complaint.anonymous.anonymous"))])


def on_anonymous(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice not in ("named", "anonymous"):
        return Step.stay()
    citizen = ctx.citizen
    command = SubmitComplaint(
        citizen_id=citizen.id, identity_id=citizen.identity_id, channel=citizen.channel,
        commune_id=commune_of(ctx), kind=data["kind"], service_id=data["service_id"],
        description=data.get("description", ""), anonymous=msg.choice == "anonymous",
        attachment_ids=tuple(data.get("attachment_ids", [])))
    return Step.finish(say(f"complaint.done.{data['kind']}"), commands=(command,))


FLOW = Flow(
    name="complaint",
    start=S.KIND,
    states={
        S.KIND: StateSpec(ask_kind, on_kind),
        S.SERVICE: StateSpec(ask_service, on_service),
        S.TEXT: StateSpec(ask_text, on_text),
        **VOICE.specs(),
        S.ANONYMOUS: StateSpec(ask_anonymous, on_anonymous),
    },
)

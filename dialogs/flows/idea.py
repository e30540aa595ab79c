"""Ideas for the commune: propose one (title, description), or support others'."""

from __future__ import annotations

from enum import Enum

from core.commands import SubmitIdea, SupportIdea
from core.submissions.references import parse_reference
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say
from dialogs.flows.common import check_text, commune_of, picked, voice_of
from dialogs.flows.voice import Listening


class S(Enum):
    TITLE = "TITLE"
    DESCRIPTION = "DESCRIPTION"
    LISTENING = "LISTENING"
    HEARD = "HEARD"


class Ideas(Enum):
    LIST = "LIST"


def ask_title(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("idea.title.ask"))


def on_title(data: Data, msg: Msg, ctx: Lookup) -> Step:
    problem = check_text(msg, minimum=5, maximum=120)
    if problem is not None:
        return Step.stay(problem)
    return Step.to(S.DESCRIPTION, {**data, "title": " ".join(msg.text.split())})


def ask_description(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("idea.description.ask", title=data.get("title", "")))


def on_description(data: Data, msg: Msg, ctx: Lookup) -> Step:
    listening = VOICE.start(data, msg, ctx)
    if listening is not None:
        return listening
    voice = voice_of(msg)
    if voice is not None:  # no worker hears voice notes here: the audio goes as it is
        return _propose({**data, "description": "", "attachment_ids": [voice]}, ctx)
    problem = check_text(msg, minimum=10)
    if problem is not None:
        return Step.stay(problem)
    return _propose({**data, "description": msg.text.strip()}, ctx)


def _propose(data: Data, ctx: Lookup) -> Step:
    citizen = ctx.citizen
    command = SubmitIdea(
        citizen_id=citizen.id, identity_id=citizen.identity_id, channel=citizen.channel,
        commune_id=commune_of(ctx), title=data["title"], description=data.get("description", ""),
        attachment_ids=tuple(data.get("attachment_ids", [])))
    return Step.finish(say("idea.done"), commands=(command,))


VOICE = Listening(listening=S.LISTENING, heard=S.HEARD, again=S.DESCRIPTION, done=_propose)


FLOW = Flow(
    name="idea",
    start=S.TITLE,
    states={S.TITLE: StateSpec(ask_title, on_title),
            S.DESCRIPTION: StateSpec(ask_description, on_description),
            **VOICE.specs()},
)


def ask_ideas(data: Data, ctx: Lookup) -> Prompt:
    ideas = ctx.top_ideas(commune_of(ctx))
    if not ideas:
        return prompt(say("ideas.none"), say("ideas.by_reference"))
    lines = [say("ideas.line", rank=i, reference=v.reference, title=v.title, count=v.supports)
             for i, v in enumerate(ideas, start=1)]
    choices = [Option(f"support:{v.reference}", say("ideas.support", reference=v.reference))
               for v in ideas]
    return prompt(say("ideas.title"), *lines, say("ideas.by_reference"), options=choices)


def on_ideas(data: Data, msg: Msg, ctx: Lookup) -> Step:
    reference = picked(msg, "support")
    if reference is None and msg.kind == "text" and msg.text:
        reference = parse_reference(msg.text)
        if reference is None and not msg.text.strip().isdigit():
            return Step.stay(say("error.reference_format", text=msg.text[:40]))
    if reference is None:
        return Step.stay()
    command = SupportIdea(ctx.citizen.id, reference)
    return Step.finish(say("ideas.supported"), commands=(command,))


SUPPORT_FLOW = Flow(name="ideas", start=Ideas.LIST,
                    states={Ideas.LIST: StateSpec(ask_ideas, on_ideas)})

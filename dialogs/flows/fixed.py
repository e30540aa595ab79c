""""Was it really fixed?": opened by Palabre in the author's conversation some days after
their submission was resolved (core/submissions/followups.py). "Yes" thanks them; "no" asks
what is wrong (typed or spoken, or nothing) and reopens it; the moderators are alerted."""

from __future__ import annotations

from enum import Enum

from core.commands import AnswerFollowUp, TranscribeVoice
from dialogs.engine import (
    Data,
    Flow,
    FollowUpView,
    Lookup,
    Msg,
    Option,
    Prompt,
    StateSpec,
    Step,
    prompt,
    say,
)
from dialogs.flows.common import check_text, skip, voice_of


class S(Enum):
    ASK = "ASK"
    COMMENT = "COMMENT"


def _view(data: Data, ctx: Lookup) -> FollowUpView | None:
    found = ctx.follow_up(int(data.get("followup_id") or 0))
    return None if found is None or found.answered else found


def ask_fixed(data: Data, ctx: Lookup) -> Prompt:
    found = _view(data, ctx)
    if found is None:
        return prompt(say("fixed.gone"), options=[Option("menu", say("common.back_to_menu"))])
    return prompt(say("fixed.ask", reference=found.reference, title=found.title,
                      resolved_at=found.resolved_at),
                  options=[Option("yes", say("fixed.yes")), Option("no", say("fixed.no"))])


def on_fixed(data: Data, msg: Msg, ctx: Lookup) -> Step:
    found = _view(data, ctx)
    if found is None:
        return Step.finish(say("fixed.gone"))
    if msg.choice == "yes":
        return Step.finish(say("fixed.thanks"), commands=(
            AnswerFollowUp(found.id, ctx.citizen.id, fixed=True),))
    if msg.choice == "no":
        return Step.to(S.COMMENT, data)
    return Step.stay()


def ask_comment(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("fixed.comment.ask"), options=[skip()])


def on_comment(data: Data, msg: Msg, ctx: Lookup) -> Step:
    found = _view(data, ctx)
    if found is None:
        return Step.finish(say("fixed.gone"))
    voice = voice_of(msg)
    if voice is None and msg.choice != "skip":
        problem = check_text(msg, minimum=2)
        if problem is not None:
            return Step.stay(problem)
    comment = msg.text.strip() if voice is None and msg.choice != "skip" else ""
    heard = (TranscribeVoice(voice, ctx.citizen.id, ctx.citizen.speaks),) \
        if voice is not None and ctx.transcribes else ()
    return Step.finish(say("fixed.reopened", reference=found.reference), commands=(
        AnswerFollowUp(found.id, ctx.citizen.id, fixed=False, comment=comment,
                       attachment_id=voice), *heard))


FLOW = Flow(name="fixed", start=S.ASK,
            states={S.ASK: StateSpec(ask_fixed, on_fixed),
                    S.COMMENT: StateSpec(ask_comment, on_comment)})

"""My follow-up: the citizen's submissions with their status, or one by reference."""

from __future__ import annotations

from enum import Enum

from core.submissions.references import parse_reference
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say
from dialogs.flows.common import picked
from dialogs.views import one_line, status_lines


class S(Enum):
    LIST = "LIST"


def ask_list(data: Data, ctx: Lookup) -> Prompt:
    mine = ctx.my_submissions()
    if not mine:
        return prompt(say("followup.none"), say("followup.by_reference"))
    choices = [Option(f"show:{v.reference}", one_line(v), fixed=False) for v in mine]
    return prompt(say("followup.title"), say("followup.by_reference"), options=choices)


def on_list(data: Data, msg: Msg, ctx: Lookup) -> Step:
    reference = picked(msg, "show")
    if reference is None and msg.kind == "text" and msg.text:
        reference = parse_reference(msg.text)
        if reference is None and not msg.text.strip().isdigit():
            return Step.stay(say("error.reference_format", text=msg.text[:40]))
    if reference is None:
        return Step.stay()
    view = ctx.submission(reference)
    if view is None:
        return Step.stay(say("error.submission_not_found", reference=reference))
    return Step.finish(*status_lines(view))


FLOW = Flow(name="followup", start=S.LIST, states={S.LIST: StateSpec(ask_list, on_list)})

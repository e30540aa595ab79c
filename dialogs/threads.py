"""Threads: which messages belong to the flow that files a submission.

A moderator reads beside a submission the messages of one thread only, so that what a citizen
said in another flow (a named report next to an anonymous complaint, a report in another
commune, a survey, an answer to "was it fixed?" about another submission) is never shown
there. A thread opens when a filing flow starts; the engine says of each turn which thread it
belongs to (`Turn.thread`): the thread of the flow that handled the message, or of the filing
flow the citizen chose from the menu; none for the rest (an aside such as help or the status
of another submission, the offer to resume after a silence, onboarding, other flows). The
submission keeps its flow's thread, and the messages about it afterwards (status updates to
its author, the mairie's replies, "was it fixed?") are put in it too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from core.commands import Command, SubmitComplaint, SubmitIdea, SubmitReport

FILING_FLOWS = frozenset({"report", "complaint", "idea"})  # each run opens a thread
KEY = "thread"  # where a flow keeps its thread, in its data
FILING = (SubmitReport, SubmitComplaint, SubmitIdea)


def new_thread_id() -> str:
    return uuid.uuid4().hex


def thread_in(data: Mapping[str, Any]) -> str | None:
    """The thread a flow's data carries, if any."""
    found = data.get(KEY)
    return str(found) if found else None


def with_thread(commands: tuple[Command, ...], thread: str | None) -> tuple[Command, ...]:
    """The turn's commands, a submission filed among them keeping the turn's thread."""
    return tuple(replace(c, thread=thread) if isinstance(c, FILING) else c for c in commands)

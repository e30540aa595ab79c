"""Threads: which messages belong to the flow that files a submission.

A moderator reads beside a submission the messages of one thread only, so that what a citizen
said in another flow (a named report next to an anonymous complaint, a report in another
commune, a survey) is never shown there. A thread opens when a filing flow starts; every turn
spent in it carries it (the turn that starts it, a pause and its resume, the turn that files
and returns to the menu); the submission keeps it, and the messages about the submission
afterwards (status updates, the mairie's replies, "was it fixed?") are put in it too. An aside
in the middle of a flow (help, the status of another submission, stop) is in no thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from core.commands import Command, SubmitComplaint, SubmitIdea, SubmitReport
from dialogs.conversation import MENU, RESUME, Conversation

FILING_FLOWS = frozenset({"report", "complaint", "idea"})  # each run opens a thread
KEY = "thread"  # where a conversation keeps its thread, in its data
FILING = (SubmitReport, SubmitComplaint, SubmitIdea)


def thread_of(conversation: Conversation) -> str | None:
    """The thread the conversation is in (a paused draft's, while it offers to resume)."""
    data = conversation.data
    if conversation.flow == RESUME:
        data = data.get("data") or {}
    found = data.get(KEY)
    return str(found) if found else None


def opened(conversation: Conversation, new_thread: Callable[[], str]) -> Conversation:
    """The conversation with a thread of its own when it has just entered a filing flow."""
    if conversation.flow not in FILING_FLOWS or thread_of(conversation) is not None:
        return conversation
    return replace(conversation, data={**conversation.data, KEY: new_thread()})


def of_turn(before: Conversation, after: Conversation) -> str | None:
    """The thread a turn's messages belong to: where it led, or the flow it ended (filing and
    going back to the menu); a turn that leaves a flow for another belongs to the other."""
    led_to = thread_of(after)
    if led_to is not None:
        return led_to
    return thread_of(before) if after.flow in (None, MENU) else None


def with_thread(commands: tuple[Command, ...], thread: str | None) -> tuple[Command, ...]:
    """The turn's commands, a submission filed among them keeping the turn's thread."""
    return tuple(replace(c, thread=thread) if isinstance(c, FILING) else c for c in commands)

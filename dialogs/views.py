"""How submissions read in a conversation: one line in a list, or the public history."""

from __future__ import annotations

from dialogs.engine import Say, SubmissionView, say


def one_line(view: SubmissionView) -> Say:
    return say("submission.line", reference=view.reference, kind=say(f"kind.{view.kind}"),
               status=say(f"status.{view.status}"), title=view.title)


def status_lines(view: SubmissionView) -> tuple[Say, ...]:
    """The status of a submission and its public history, for its author or anyone asking."""
    steps = tuple(
        say("submission.history_note", when=when, status=say(f"status.{status}"), note=note)
        if note else say("submission.history", when=when, status=say(f"status.{status}"))
        for when, status, note in view.history)
    header = say("submission.header", reference=view.reference, kind=say(f"kind.{view.kind}"),
                 title=view.title, status=say(f"status.{view.status}"), since=view.updated_at,
                 history=steps)
    if view.kind == "idea":
        return header, say("idea.supports", count=view.supports)
    return (header,)

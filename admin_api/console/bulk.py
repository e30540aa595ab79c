"""Acting on many submissions at once: the ones ticked, or every one of the current filter.
Each item goes through core's triage service in its own transaction (audited, its citizen
told), so that one refusal (another's claim, a move the lifecycle forbids) is reported for
that item and leaves the others done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from admin_api.console.asked import MOST, Asked
from admin_api.console.auth import SignedInDep
from admin_api.console.item import SentDep
from admin_api.console.pages import render
from core import errors
from core.moderation import once
from core.moderation.models import Moderator
from core.submissions import triage
from core.submissions.inbox import MAX_PAGE, InboxFilter, inbox
from core.submissions.models import Priority, Status
from core.uow import UnitOfWork

router = APIRouter(prefix="/console", include_in_schema=False)


@dataclass(frozen=True)
class Outcome:
    reference: str
    problem: str | None  # None: done


@router.post("/bulk", response_class=HTMLResponse)
def bulk(request: Request, moderator: SignedInDep, sent: SentDep,
         action: Annotated[str, Form(pattern="^(status|assign|label|priority|duplicate)$")],
         references: Annotated[list[str], Form(max_length=MOST)] = [],  # noqa: B006
         everything: Annotated[bool, Form()] = False,
         filter: Annotated[str, Form(max_length=2000)] = "",
         status: Annotated[Status | None, Form()] = None,
         public_note: Annotated[str, Form(max_length=1000)] = "",
         assignee: Annotated[str, Form(max_length=80)] = "",
         label: Annotated[str, Form(max_length=40)] = "",
         priority: Annotated[Priority | None, Form()] = None,
         into: Annotated[str, Form(max_length=40)] = "") -> HTMLResponse:
    """Apply one action to the items ticked, or to every item of the filter shown."""
    factory = request.app.state.uow_factory
    act = _action(action, moderator, status=status, public_note=public_note.strip() or None,
                  assignee=assignee.strip(), label=label.strip(), priority=priority,
                  into=into.strip())
    with factory() as uow:
        if not once.first_use(uow=uow, moderator=moderator, nonce=sent):
            return render(request, "bulk.html", moderator=moderator, outcomes=[], repeated=True)
        uow.commit()
        chosen = (_every(uow, Asked.from_query(filter).filter(moderator)) if everything
                  else list(dict.fromkeys(r.strip() for r in references if r.strip())))
    if not chosen:
        raise HTTPException(422, "bulk.none")
    outcomes = [_one(factory, moderator, reference, act) for reference in chosen[:MOST]]
    return render(request, "bulk.html", moderator=moderator, outcomes=outcomes,
                  done=sum(1 for o in outcomes if o.problem is None))


def _action(name: str, moderator: Moderator, **given: Any) -> Callable[[UnitOfWork, str], Any]:
    """What to do to one item, checked once for all."""
    if name == "status" and given["status"] is not None:
        return lambda uow, ref: triage.change_status(
            uow=uow, moderator=moderator, reference=ref, status=given["status"],
            public_note=given["public_note"])
    if name == "assign":
        owner = moderator.name if given["assignee"] in ("", "me") else given["assignee"]
        return lambda uow, ref: triage.assign(uow=uow, moderator=moderator, reference=ref,
                                              assignee=owner)
    if name == "label" and given["label"]:
        return lambda uow, ref: triage.set_labels(
            uow=uow, moderator=moderator, reference=ref,
            labels=[*triage.visible(uow=uow, moderator=moderator, reference=ref).labels,
                    given["label"]])
    if name == "priority" and given["priority"] is not None:
        return lambda uow, ref: triage.set_priority(uow=uow, moderator=moderator,
                                                    reference=ref, priority=given["priority"])
    if name == "duplicate" and given["into"]:
        return lambda uow, ref: triage.merge(uow=uow, moderator=moderator, reference=ref,
                                             into=given["into"])
    raise HTTPException(422, "bulk.incomplete")


def _one(factory: Callable[[], UnitOfWork], moderator: Moderator, reference: str,
         act: Callable[[UnitOfWork, str], Any]) -> Outcome:
    with factory() as uow:
        try:
            act(uow, reference)
            uow.commit()
        except errors.DomainError as exc:
            uow.rollback()
            return Outcome(reference, str(exc))
    return Outcome(reference, None)


def _every(uow: UnitOfWork, wanted: InboxFilter) -> list[str]:
    """The references of every item the filter shows (MOST at most)."""
    found: list[str] = []
    cursor = None
    while len(found) < MOST:
        page = inbox(uow=uow, wanted=wanted, limit=MAX_PAGE, cursor=cursor)
        found += [item.reference for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    return found[:MOST]

"""A unit of work is one transaction; failed turns wait their turn; closed ideas stay closed."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import errors
from core.citizens.models import Citizen
from core.events import SubmissionCreated
from core.messages import service as messages
from core.messages.models import InboundRecord, InboundStatus
from core.messages.neutral import InboundMessage
from core.submissions import service as submissions
from core.submissions.models import Kind, Status
from tests.talk import Talker


def _message(text: str, external_id: str) -> InboundMessage:
    return InboundMessage(channel="console", address="ama", external_id=external_id, text=text)


def test_a_rolled_back_unit_of_work_leaves_nothing_behind(app) -> None:
    with app.uow_factory() as uow:
        assert messages.store_inbound(uow=uow, message=_message("Bonjour", "m1")) is not None
        uow.rollback()
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Citizen)).all() == []
        assert uow.session.exec(select(InboundRecord)).all() == []


def test_a_failing_message_holds_back_the_same_citizens_next_one(app, messenger,
                                                                   clock) -> None:
    def broken(event, uow) -> None:
        raise RuntimeError("indexer down")

    ama = Talker(app, messenger)
    ama.onboard()
    app.uow_factory.subscribe(SubmissionCreated, broken)
    for text in ("3", "Des bancs au marché Dantokpa", "Pour que les vieilles se reposent"):
        ama.send(text)  # the last one fails: the idea cannot be filed
    ama.send("5")  # "my follow-up": must wait behind the failed one
    with app.uow_factory() as uow:
        waiting = uow.session.exec(select(InboundRecord).where(
            InboundRecord.status == InboundStatus.RECEIVED).order_by(InboundRecord.id)).all()
        assert [r.text for r in waiting] == ["Pour que les vieilles se reposent", "5"]
    app.uow_factory.handlers[SubmissionCreated].remove(broken)  # the indexer is back
    clock.advance(minutes=1)
    told = ama.send("menu")
    assert told.index("COT-IDE-26-0001") < told.index("Vos demandes")


def test_failed_messages_can_be_requeued(app, messenger, clock) -> None:
    def broken(event, uow) -> None:
        raise RuntimeError("indexer down")

    ama = Talker(app, messenger)
    ama.onboard()
    app.uow_factory.subscribe(SubmissionCreated, broken)
    for text in ("3", "Un jardin public à Fidjrossè", "Un jardin avec des arbres et des bancs"):
        ama.send(text)
    for _ in range(3):
        clock.advance(minutes=5)
        app.pipeline.run_once()
    app.uow_factory.handlers[SubmissionCreated].remove(broken)
    with app.uow_factory() as uow:
        assert messages.requeue_failed(uow=uow) == 1
        uow.commit()
    assert "COT-IDE-26-0001" in ama.send("menu")


def test_a_closed_idea_takes_no_more_support(app, messenger) -> None:
    ama, kojo = Talker(app, messenger, "ama"), Talker(app, messenger, "kojo")
    ama.onboard()
    kojo.onboard()
    with app.uow_factory() as uow:
        idea = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=Kind.IDEA, commune_id="BJ-LI-COT", channel="console", citizen_id=None,
            title="Un marché de nuit", description="Le soir"))
        submissions.change_status(uow=uow, reference=idea.reference, status=Status.REJECTED,
                                  actor="moderator")
        uow.commit()
    with app.uow_factory() as uow, pytest.raises(errors.IdeaClosed):
        kojo_id = uow.session.exec(select(Citizen)).all()[-1].id
        submissions.support_idea(uow=uow, citizen_id=kojo_id, reference=idea.reference)


def test_reopening_clears_the_resolution_time(app) -> None:
    with app.uow_factory() as uow:
        report = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=Kind.REPORT, commune_id="BJ-LI-COT", channel="console", citizen_id=None,
            description="Lampadaire éteint"))
        for status in (Status.RESOLVED, Status.REOPENED):
            submissions.change_status(uow=uow, reference=report.reference, status=status,
                                      actor="moderator")
        uow.commit()
        assert report.resolved_at is None and report.status == Status.REOPENED

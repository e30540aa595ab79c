"""Turns committed in batches under a burst: several citizens' turns share one commit, each
in a savepoint of its own, so that one failing turn costs the others nothing and a batch that
fails as a whole is replayed one message at a time."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import col, select

from core.events import SubmissionCreated
from core.messages.models import InboundRecord, InboundStatus
from core.messages.neutral import InboundMessage
from core.submissions.models import Submission
from palabre.bootstrap import App
from tests.fakes import RecordingMessenger
from tests.talk import Talker


def _store(app: App, address: str, text: str) -> int:
    inbound_id = app.pipeline.receive(InboundMessage(
        channel="console", address=address, account="console", external_id=uuid.uuid4().hex,
        text=text))
    assert inbound_id is not None
    return inbound_id


@pytest.fixture
def commits() -> Iterator[list[int]]:
    """The commits of units of work, one element each (not their savepoints, nor the wake-up
    notices PostgreSQL's workers send on a connection of their own)."""
    seen: list[int] = []

    def committed(session: Session) -> None:
        if not session.in_nested_transaction():
            seen.append(1)

    event.listen(Session, "after_commit", committed)
    yield seen
    event.remove(Session, "after_commit", committed)


@pytest.fixture
def patient(app: App) -> App:
    """Batches bounded by their size only, whatever the machine's speed."""
    app.pipeline.dialogs.batch_seconds = 60.0
    return app


def test_a_burst_of_citizens_is_answered_in_few_commits(
        patient: App, messenger: RecordingMessenger, commits: list[int]) -> None:
    for number in range(20):
        _store(patient, f"citizen-{number}", "Bonjour")
    commits.clear()
    assert patient.pipeline.dialogs.process_pending() == 20
    assert len(commits) == 2  # 16, then 4 (the look that finds nothing more commits nothing)
    patient.pipeline.deliver()
    assert {m.address for m in messenger.sent} == {f"citizen-{n}" for n in range(20)}
    assert all("langue" in m.text for m in messenger.sent)


def test_a_citizens_later_messages_follow_in_the_same_batch_in_order(
        patient: App, messenger: RecordingMessenger) -> None:
    for text in ("Bonjour", "2", "Cotonou"):  # English, then the commune
        _store(patient, "ama", text)
    assert patient.pipeline.dialogs.process_pending() == 3
    patient.pipeline.deliver()
    said = [m.text for m in messenger.sent]
    assert "langue" in said[0] and "Which is your commune" in said[1] and "agree" in said[2]


def test_a_failing_turn_in_a_batch_costs_the_others_nothing(patient: App,
                                                            messenger: RecordingMessenger,
                                                            clock) -> None:
    def indexer_down(event: SubmissionCreated, uow: object) -> None:
        raise RuntimeError("indexer down")

    ama, kofi = Talker(patient, messenger, "ama"), Talker(patient, messenger, "kofi")
    for talker in (ama, kofi):
        talker.onboard()
        for step in ("2", "1", "1", "Trop d'attente au guichet de l'état civil"):
            talker.send(step)  # a complaint, all but its sending
    patient.uow_factory.subscribe(SubmissionCreated, indexer_down)
    sent = _store(patient, "ama", "2")  # sends the complaint: its turn fails
    later = _store(patient, "ama", "menu")  # waits behind it
    _store(patient, "kofi", "menu")  # another citizen, same batch
    assert patient.pipeline.dialogs.process_pending() == 1  # kofi's only
    assert "que voulez-vous faire" in kofi.replies()
    assert ama.replies() == ""
    with patient.uow_factory() as uow:
        failed = uow.session.get_one(InboundRecord, sent)
        assert failed.attempts == 1 and "indexer down" in (failed.last_error or "")
        assert failed.status == InboundStatus.RECEIVED and failed.next_attempt_at is not None
        assert uow.session.get_one(InboundRecord, later).status == InboundStatus.RECEIVED


def test_a_batch_that_fails_as_a_whole_is_replayed_one_message_at_a_time(
        patient: App, messenger: RecordingMessenger) -> None:
    def connection_lost(event: SubmissionCreated, uow) -> None:  # type: ignore[no-untyped-def]
        filed.append(event)
        if len(filed) == 3:  # the batch's last turn: the two before it are lost with it
            uow.session.connection().invalidate()  # what a network failure does

    filed: list[SubmissionCreated] = []
    talkers = [Talker(patient, messenger, f"citizen-{n}") for n in range(3)]
    for talker in talkers:
        talker.onboard()
        for step in ("2", "1", "1", "Trop d'attente au guichet de l'état civil"):
            talker.send(step)
    patient.uow_factory.subscribe(SubmissionCreated, connection_lost)
    stored = [_store(patient, talker.address, "2") for talker in talkers]
    assert patient.pipeline.dialogs.process_pending() == 3
    assert len(filed) == 6  # three in the failed batch, three replayed alone
    with patient.uow_factory() as uow:
        records = uow.session.exec(select(InboundRecord).where(
            col(InboundRecord.id).in_(stored))).all()
        assert [(r.status, r.attempts, r.last_error) for r in records] == [
            (InboundStatus.PROCESSED, 1, None)] * 3
    for talker in talkers:
        assert talker.replies().count("référence COT-PLA-") == 1  # filed once each


def test_two_workers_batches_crossing_on_communes_neither_fails_a_message(
        patient: App, messenger: RecordingMessenger, settings,  # type: ignore[no-untyped-def]
        caplog: pytest.LogCaptureFixture) -> None:
    """Each batch holds what its turns locked (a commune's reference counter) until its
    commit: two batches filing in two communes in opposite orders deadlock, and PostgreSQL
    cancels one turn. That turn is the lock's victim, not at fault: it goes again alone."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: its batches never run side by side")
    plan = [("c1", "Cotonou"), ("c2", "Abomey-Calavi"), ("c3", "Abomey-Calavi"),
            ("c4", "Cotonou")]
    for address, commune in plan:
        talker = Talker(patient, messenger, address)
        talker.onboard(commune=commune)
        for step in ("2", "1", "1", "Trop d'attente au guichet de l'état civil"):
            talker.send(step)
    first_of_each = threading.local()

    def slow_first_filing(event: SubmissionCreated, uow: object) -> None:
        if not getattr(first_of_each, "filed", False):  # each batch waits on its first
            first_of_each.filed = True
            time.sleep(0.4)

    patient.uow_factory.subscribe(SubmissionCreated, slow_first_filing)
    sent = [_store(patient, address, "2") for address, _ in plan]
    batches = [threading.Thread(target=patient.pipeline.dialogs.process_batch, args=(16,))
               for _ in range(2)]
    batches[0].start()
    time.sleep(0.1)  # c1 (Cotonou) to the first, c2 (Abomey-Calavi) to the second
    batches[1].start()
    for batch in batches:
        batch.join()
    assert any("deadlock detected" in (r.exc_text or "") for r in caplog.records)
    patient.pipeline.dialogs.process_pending()
    with patient.uow_factory() as uow:
        records = uow.session.exec(select(InboundRecord).where(
            col(InboundRecord.id).in_(sent))).all()
        assert [(r.status, r.attempts, r.last_error) for r in records] == [
            (InboundStatus.PROCESSED, 1, None)] * 4
        assert len(uow.session.exec(select(Submission)).all()) == 4

"""The lifecycle of a submission on a real database: which status may follow which, and the
history each change leaves."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest

from core.citizens import service as citizens
from core.errors import InvalidTransition, SubmissionNotFound
from core.submissions import service as submissions
from core.submissions.models import Kind, Status

S = Status
ALLOWED = {
    (S.NEW, S.ACKNOWLEDGED), (S.NEW, S.IN_PROGRESS), (S.NEW, S.RESOLVED), (S.NEW, S.REJECTED),
    (S.NEW, S.DUPLICATE),
    (S.ACKNOWLEDGED, S.IN_PROGRESS), (S.ACKNOWLEDGED, S.RESOLVED), (S.ACKNOWLEDGED, S.REJECTED),
    (S.ACKNOWLEDGED, S.DUPLICATE),
    (S.IN_PROGRESS, S.RESOLVED), (S.IN_PROGRESS, S.REJECTED), (S.IN_PROGRESS, S.DUPLICATE),
    (S.REOPENED, S.ACKNOWLEDGED), (S.REOPENED, S.IN_PROGRESS), (S.REOPENED, S.RESOLVED),
    (S.REOPENED, S.REJECTED), (S.REOPENED, S.DUPLICATE),
    (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.REOPENED),
    (S.REJECTED, S.CLOSED), (S.REJECTED, S.REOPENED),
    (S.DUPLICATE, S.CLOSED), (S.DUPLICATE, S.REOPENED),
    (S.CLOSED, S.REOPENED),
}


def _report(app) -> str:
    with app.uow_factory() as uow:
        ama = citizens.identify(uow=uow, channel="console", address="ama")
        new = submissions.NewSubmission(kind=Kind.REPORT, commune_id="BJ-LI-COT",
                                        channel="console", citizen_id=ama.citizen_id,
                                        identity_id=ama.id, description="Lampadaire éteint")
        reference = submissions.submit(uow=uow, new=new).reference
        uow.commit()
    return reference


def _move(app, reference: str, status: Status, *, actor: str = "moderator:awa",
          public_note: str | None = None, internal_note: str | None = None) -> None:
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference=reference, status=status, actor=actor,
                                  public_note=public_note, internal_note=internal_note)
        uow.commit()


def _history(app, reference: str) -> list[tuple[str | None, str]]:
    with app.uow_factory() as uow:
        submission = submissions.get_by_reference(uow=uow, reference=reference)
        return [(c.from_status, c.to_status)
                for c in submissions.history(uow=uow, submission_id=submission.id)]


def test_exactly_the_allowed_transitions_are_accepted(app) -> None:
    reference = _report(app)
    accepted = set()
    for old, new in product(Status, Status):
        with app.uow_factory() as uow:  # never committed: each pair starts from `old`
            submission = submissions.get_by_reference(uow=uow, reference=reference)
            submission.status = old
            uow.session.add(submission)
            try:
                submissions.change_status(uow=uow, reference=reference, status=new, actor="m")
            except InvalidTransition:
                assert submission.status == old
                assert len(submissions.history(uow=uow, submission_id=submission.id)) == 1
                continue
            assert submission.status == new
            accepted.add((old, new))
    assert accepted == ALLOWED


def test_a_change_records_who_when_and_both_notes(app, clock) -> None:
    reference = _report(app)
    clock.advance(hours=3)
    _move(app, reference, Status.ACKNOWLEDGED, public_note="Merci, nous passons demain",
          internal_note="Équipe de Gbégamey")

    with app.uow_factory() as uow:
        submission = submissions.get_by_reference(uow=uow, reference=reference)
        created, acknowledged = submissions.history(uow=uow, submission_id=submission.id)
    assert (created.from_status, created.to_status, created.actor) == (None, "new", "citizen")
    assert (acknowledged.from_status, acknowledged.to_status) == ("new", "acknowledged")
    assert acknowledged.actor == "moderator:awa"
    assert acknowledged.at == clock.now() == submission.updated_at
    assert acknowledged.public_note == "Merci, nous passons demain"
    assert acknowledged.internal_note == "Équipe de Gbégamey"
    assert submission.status == "acknowledged"


def test_blank_notes_are_stored_as_none(app) -> None:
    reference = _report(app)
    _move(app, reference, Status.IN_PROGRESS, public_note="", internal_note="")
    with app.uow_factory() as uow:
        submission = submissions.get_by_reference(uow=uow, reference=reference)
        change = submissions.history(uow=uow, submission_id=submission.id)[-1]
    assert (change.public_note, change.internal_note) == (None, None)


def test_resolving_sets_resolved_at(app, clock) -> None:
    reference = _report(app)
    _move(app, reference, Status.IN_PROGRESS)
    with app.uow_factory() as uow:
        assert submissions.get_by_reference(uow=uow, reference=reference).resolved_at is None
    clock.advance(days=2)
    _move(app, reference, Status.RESOLVED)

    with app.uow_factory() as uow:
        resolved = submissions.get_by_reference(uow=uow, reference=reference)
    assert resolved.resolved_at == clock.now()
    assert resolved.resolved_at - resolved.created_at == timedelta(days=2)


def test_a_closed_submission_can_be_reopened_and_worked_again(app) -> None:
    reference = _report(app)
    for status in (Status.RESOLVED, Status.CLOSED, Status.REOPENED, Status.IN_PROGRESS):
        _move(app, reference, status)

    assert _history(app, reference) == [
        (None, "new"), ("new", "resolved"), ("resolved", "closed"), ("closed", "reopened"),
        ("reopened", "in_progress")]


@pytest.mark.parametrize(("path", "refused"), [
    ((), Status.CLOSED),
    ((), Status.REOPENED),
    ((), Status.NEW),
    ((Status.IN_PROGRESS,), Status.IN_PROGRESS),
    ((Status.IN_PROGRESS,), Status.ACKNOWLEDGED),
    ((Status.RESOLVED, Status.CLOSED), Status.RESOLVED),
    ((Status.REJECTED,), Status.IN_PROGRESS),
])
def test_an_invalid_transition_is_refused_and_changes_nothing(app, path, refused) -> None:
    reference = _report(app)
    for status in path:
        _move(app, reference, status)
    before = _history(app, reference)

    with app.uow_factory() as uow, pytest.raises(InvalidTransition):
        submissions.change_status(uow=uow, reference=reference, status=refused, actor="m")

    assert _history(app, reference) == before


def test_changing_an_unknown_reference_is_not_found(app) -> None:
    _report(app)
    with app.uow_factory() as uow, pytest.raises(SubmissionNotFound):
        submissions.change_status(uow=uow, reference="COT-SIG-26-0999",
                                  status=Status.ACKNOWLEDGED, actor="m")

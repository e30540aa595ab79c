"""Reference numbers on a real database: the format, numbering per commune, kind and local year,
and distinct numbers when citizens submit at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from core.citizens import service as citizens
from core.errors import CommuneNotEnabled
from core.submissions import service as submissions
from core.submissions.models import Kind
from core.submissions.references import format_reference, parse_reference


def _submit(app, kind: Kind = Kind.REPORT, commune_id: str = "BJ-LI-COT",
            address: str = "ama") -> str:
    with app.uow_factory() as uow:
        author = citizens.identify(uow=uow, channel="console", address=address)
        new = submissions.NewSubmission(kind=kind, commune_id=commune_id, channel="console",
                                        citizen_id=author.citizen_id, identity_id=author.id,
                                        description="Caniveau bouché", title="Un titre")
        reference = submissions.submit(uow=uow, new=new).reference
        uow.commit()
    return reference


@pytest.mark.parametrize(("kind", "year", "number", "expected"), [
    (Kind.REPORT, 2026, 42, "COT-SIG-26-0042"),
    (Kind.COMPLAINT, 2026, 1, "COT-PLA-26-0001"),
    (Kind.SUGGESTION, 2027, 9999, "COT-SUG-27-9999"),
    (Kind.IDEA, 2030, 12345, "COT-IDE-30-12345"),
])
def test_format_reference(kind: Kind, year: int, number: int, expected: str) -> None:
    assert format_reference(commune_code="COT", kind=kind, year=year, number=number) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("COT-SIG-26-0042", "COT-SIG-26-0042"),
    ("cot sig 26 42", "COT-SIG-26-0042"),
    ("  cot-sig-26-42 ", "COT-SIG-26-0042"),
    ("COTSIG260042", "COT-SIG-26-0042"),
    ("statut cal ide 27 7", "CAL-IDE-27-0007"),
    ("cal/pla/26/0003", "CAL-PLA-26-0003"),
])
def test_parse_reference(typed: str, expected: str) -> None:
    assert parse_reference(typed) == expected


@pytest.mark.parametrize("typed", ["", "bonjour", "42", "COT-XYZ-26-0042", "COT SIG", "cot sig 2"])
def test_parse_garbage_is_none(typed: str) -> None:
    assert parse_reference(typed) is None


def test_numbers_start_at_one_per_commune_kind_and_year(app, clock) -> None:
    reports = [_submit(app) for _ in range(3)]
    complaint = _submit(app, Kind.COMPLAINT)
    in_calavi = _submit(app, commune_id="BJ-AQ-ABO")
    clock.current = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
    next_year = _submit(app)

    assert reports == ["COT-SIG-26-0001", "COT-SIG-26-0002", "COT-SIG-26-0003"]
    assert complaint == "COT-PLA-26-0001"
    assert in_calavi == "CAL-SIG-26-0001"
    assert next_year == "COT-SIG-27-0001"


def test_year_is_the_year_in_porto_novo(app, clock) -> None:
    clock.current = datetime(2026, 12, 31, 22, 59, tzinfo=UTC)  # 23:59 in Porto-Novo
    last_of_2026 = _submit(app)
    clock.current = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January there
    first_of_2027 = _submit(app)

    assert last_of_2026 == "COT-SIG-26-0001"
    assert first_of_2027 == "COT-SIG-27-0001"


def test_a_disabled_commune_takes_no_submission(app) -> None:
    with pytest.raises(CommuneNotEnabled):
        _submit(app, commune_id="BJ-AQ-OUI")


def _submit_together(app, count: int) -> list[str]:
    """`count` citizens, each in a thread with its own unit of work, submit at the same moment."""
    start = threading.Barrier(count)
    references: list[str] = []
    errors: list[BaseException] = []

    def one(address: str) -> None:
        try:
            start.wait(timeout=10)
            references.append(_submit(app, address=address))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(f"citizen-{n}",)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return references


def test_simultaneous_submissions_get_distinct_consecutive_numbers(app) -> None:
    if app.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers; the race only exists on PostgreSQL")

    first_burst = _submit_together(app, 8)  # the counter row does not exist yet
    second_burst = _submit_together(app, 8)  # now it does

    assert sorted(first_burst) == [f"COT-SIG-26-{n:04d}" for n in range(1, 9)]
    assert sorted(second_burst) == [f"COT-SIG-26-{n:04d}" for n in range(9, 17)]


"""Reference numbers a citizen can read aloud and type on a keypad: COT-SIG-26-0042."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, update

from core.submissions.models import Kind, ReferenceCounter

KIND_CODES = {Kind.REPORT: "SIG", Kind.COMPLAINT: "PLA", Kind.SUGGESTION: "SUG",
              Kind.IDEA: "IDE"}
_KIND_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}
_PARTS = re.compile(r"([A-Z]{2,4})\W*([A-Z]{3})\W*(?:20)?(\d{2})\W+(\d{1,6})|"
                    r"([A-Z]{2,4})\W*([A-Z]{3})\W*(\d{2})(\d{1,4})")


def format_reference(*, commune_code: str, kind: Kind, year: int, number: int) -> str:
    return f"{commune_code}-{KIND_CODES[kind]}-{year % 100:02d}-{number:04d}"


def parse_reference(text: str) -> str | None:
    """The canonical reference in what was typed ('cot sig 26 42' -> 'COT-SIG-26-0042')."""
    cleaned = text.upper().strip()
    match = _PARTS.search(cleaned)
    if match is None:
        return None
    commune, kind, year, number = [g for g in match.groups() if g is not None]
    if kind not in _KIND_BY_CODE:
        return None
    return f"{commune}-{kind}-{year}-{int(number):04d}"


def next_number(*, session: Session, commune_id: str, kind: str, year: int) -> int:
    """The next number for the commune, kind and year; safe under concurrent submissions."""
    for _ in range(5):
        bumped = session.exec(
            update(ReferenceCounter)
            .where(col(ReferenceCounter.commune_id) == commune_id,
                   col(ReferenceCounter.kind) == kind, col(ReferenceCounter.year) == year)
            .values(last=ReferenceCounter.last + 1)
            .returning(col(ReferenceCounter.last))
        ).first()
        if bumped is not None:
            return int(bumped[0])
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(commune_id=commune_id, kind=kind, year=year, last=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a reference number")

"""Statistics for the mairie: counts, response and resolution times, and who takes part.

Inclusion figures count people, by self-declared gender and age band; a group of fewer than
five people is not shown (it could point to someone).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from core.citizens.models import Citizen
from core.submissions.models import Submission
from core.submissions.service import LOCAL_TZ
from core.uow import UnitOfWork

SMALLEST_GROUP = 5
PERIODS = {"day": "%Y-%m-%d", "week": "%G-W%V", "month": "%Y-%m", "year": "%Y"}


@dataclass(frozen=True)
class Scope:
    communes: frozenset[str] | None = None  # what the account may see; None: all
    commune_id: str | None = None
    kind: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass
class Stats:
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_commune: dict[str, int] = field(default_factory=dict)
    by_arrondissement: dict[str, int] = field(default_factory=dict)
    by_period: dict[str, int] = field(default_factory=dict)
    median_hours_to_first_response: float | None = None
    median_hours_to_resolution: float | None = None
    share_resolved: float | None = None
    people: int = 0
    by_gender: dict[str, int | None] = field(default_factory=dict)
    by_age_band: dict[str, int | None] = field(default_factory=dict)


def compute(*, uow: UnitOfWork, scope: Scope, period: str = "month") -> Stats:
    """Every figure for the scope; hidden (abuse) submissions are left out."""
    result = Stats()
    for name, column in (("by_kind", Submission.kind), ("by_status", Submission.status),
                         ("by_category", Submission.category_id),
                         ("by_commune", Submission.commune_id),
                         ("by_arrondissement", Submission.arrondissement_id)):
        setattr(result, name, _count_by(uow, scope, column))
    result.total = sum(result.by_kind.values())
    result.by_period = _by_period(uow, scope, PERIODS[period])
    _times(uow, scope, result)
    _inclusion(uow, scope, result)
    return result


def _where(scope: Scope) -> list[Any]:
    s = Submission
    conditions: list[Any] = [col(s.hidden).is_(False)]
    if scope.communes is not None:
        conditions.append(col(s.commune_id).in_(sorted(scope.communes)))
    if scope.commune_id:
        conditions.append(col(s.commune_id) == scope.commune_id)
    if scope.kind:
        conditions.append(col(s.kind) == scope.kind)
    if scope.created_from:
        conditions.append(col(s.created_at) >= scope.created_from)
    if scope.created_to:
        conditions.append(col(s.created_at) < scope.created_to)
    return conditions


def _count_by(uow: UnitOfWork, scope: Scope, column: Any) -> dict[str, int]:
    query = select(column, func.count()).where(*_where(scope)).group_by(column)
    return {str(key) if key is not None else "none": int(n)
            for key, n in uow.session.exec(query).all()}


def _by_period(uow: UnitOfWork, scope: Scope, pattern: str) -> dict[str, int]:
    query = select(Submission.created_at).where(*_where(scope))
    counts: dict[str, int] = {}
    for (created,) in uow.session.execute(query).all():
        key = created.astimezone(LOCAL_TZ).strftime(pattern)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _times(uow: UnitOfWork, scope: Scope, result: Stats) -> None:
    query = select(Submission.created_at, Submission.first_response_at,
                   Submission.resolved_at).where(*_where(scope))
    rows = uow.session.execute(query).all()
    result.median_hours_to_first_response = _median_hours(
        (created, answered) for created, answered, _ in rows)
    result.median_hours_to_resolution = _median_hours(
        (created, resolved) for created, _, resolved in rows)
    resolved = sum(1 for _, _, at in rows if at is not None)
    result.share_resolved = round(resolved / len(rows), 3) if rows else None


def _median_hours(pairs: Iterable[tuple[datetime, datetime | None]]) -> float | None:
    hours = [(end - start).total_seconds() / 3600 for start, end in pairs if end is not None]
    return round(statistics.median(hours), 2) if hours else None


def _inclusion(uow: UnitOfWork, scope: Scope, result: Stats) -> None:
    authors = select(Submission.citizen_id).where(*_where(scope),
                                                  col(Submission.citizen_id).is_not(None))
    people = select(Citizen.gender, Citizen.age_band).where(col(Citizen.id).in_(authors))
    rows = uow.session.execute(people).all()
    result.people = len(rows)
    result.by_gender = _suppressed(_tally(gender for gender, _ in rows))
    result.by_age_band = _suppressed(_tally(band for _, band in rows))


def _tally(values: Iterable[str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value or "not_said"] = counts.get(value or "not_said", 0) + 1
    return counts


def _suppressed(counts: dict[str, int]) -> dict[str, int | None]:
    """Groups under five people become None ('fewer than 5'), see `hidden_groups`."""
    hidden = hidden_groups(counts)
    return {k: (None if k in hidden else n) for k, n in sorted(counts.items())}


def hidden_groups(sizes: dict[str, int]) -> set[str]:
    """The groups to hide: those under five people, then the next smallest ones until the
    hidden ones hold five people or more together, so that no hidden group can be worked
    out from the total and the groups shown."""
    hidden = {g for g, n in sizes.items() if 0 < n < SMALLEST_GROUP}
    visible = sorted((n, g) for g, n in sizes.items() if g not in hidden)
    while hidden and sum(sizes[g] for g in hidden) < SMALLEST_GROUP and visible:
        hidden.add(visible.pop(0)[1])
    return hidden

"""Statistics for the mairie: counts, response and resolution times, and who takes part.

Inclusion figures count people, by self-declared gender and age band; a group of fewer than
five people is not shown (it could point to someone).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select as sql_select
from sqlmodel import col

from core.citizens.models import Citizen
from core.db import hours_between, local_day
from core.submissions.models import Submission
from core.submissions.service import LOCAL_TZ
from core.uow import UnitOfWork

SMALLEST_GROUP = 5
# Benin keeps West Africa Time (UTC+1) all year, without daylight saving: one offset.
BENIN_UTC_OFFSET_HOURS = int((LOCAL_TZ.utcoffset(datetime(2026, 1, 1)) or timedelta()) /
                             timedelta(hours=1))
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
    """Every figure for the scope; hidden (abuse) submissions are left out. One pass over
    the scope's rows (on the commune and date index): the database gives each one's day in
    Benin and its hours to a first answer and to resolution, Python adds them up."""
    s = Submission
    query = sql_select(
        col(s.kind), col(s.status), col(s.category_id), col(s.commune_id),
        col(s.arrondissement_id), local_day(col(s.created_at), BENIN_UTC_OFFSET_HOURS),
        hours_between(col(s.created_at), col(s.first_response_at)),
        hours_between(col(s.created_at), col(s.resolved_at)),
        col(s.citizen_id), col(Citizen.gender), col(Citizen.age_band),
    ).outerjoin(Citizen, col(Citizen.id) == col(s.citizen_id)).where(*_where(scope))
    # Column by column: Counter and comprehensions do the adding up at C speed.
    rows = uow.session.connection().execute(query).all()
    (kinds, statuses, categories, communes, arrondissements, days, answered, resolved,
     citizens, genders, bands) = zip(*rows, strict=True) if rows else ((),) * 11
    result = Stats()
    for name, keys in zip(TALLIED, (kinds, statuses, categories, communes, arrondissements),
                          strict=True):
        counts = Counter(keys)
        setattr(result, name, dict(sorted(
            (str(key) if key is not None else "none", n) for key, n in counts.items())))
    result.total = len(rows)
    result.by_period = _by_period(Counter(days), PERIODS[period])
    result.median_hours_to_first_response = _median([h for h in answered if h is not None])
    done = [h for h in resolved if h is not None]
    result.median_hours_to_resolution = _median(done)
    result.share_resolved = round(len(done) / result.total, 3) if result.total else None
    people = {citizen: person for citizen, person in zip(
        citizens, zip(genders, bands, strict=True), strict=True) if citizen is not None}
    result.people = len(people)
    result.by_gender = _suppressed(_tally(gender for gender, _ in people.values()))
    result.by_age_band = _suppressed(_tally(band for _, band in people.values()))
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


TALLIED = ("by_kind", "by_status", "by_category", "by_commune", "by_arrondissement")


def _by_period(days: Counter[date], pattern: str) -> dict[str, int]:
    """Counts by day summed into the period's buckets (weeks, months…), in order."""
    counts: Counter[str] = Counter()
    for day, n in days.items():  # dates on both databases (local_day is typed Date)
        counts[day.strftime(pattern)] += n
    return dict(sorted(counts.items()))


def _median(hours: list[float]) -> float | None:
    return round(statistics.median(hours), 2) if hours else None


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

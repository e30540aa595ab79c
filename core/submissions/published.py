"""What a commune's public page shows of its reports (portal/): Open311's rules (reports only,
never complaints, suggestions or ideas; nothing hidden as abuse), and of those only the ones
their authors sent publicly, without who sent them, placed to about a hundred metres.

Every query is bounded (a page of rows, a year of dates, at most so many points) and walks
the commune's index newest first: the page costs the same at a hundred reports and at a
hundred thousand.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from core.submissions.models import OPEN_STATUSES, Kind, Status, Submission
from core.uow import UnitOfWork

PAGE = 20
MAX_PAGES = 50  # older reports are in the Open311 data
MAP_POINTS = 500
DECIMALS = 3  # a position rounded to 0.001°: about 110 m
FIGURES_OVER = timedelta(days=365)
TIMES_SAMPLED = 2_000  # the latest reports' response times make the median


@dataclass(frozen=True)
class Figures:
    """The commune's reports of the last year, all of them (private ones count too)."""

    reports: int
    resolved: int
    open: int
    median_days_to_answer: float | None  # to the mairie's first public step
    median_days_to_resolve: float | None


@dataclass(frozen=True)
class Pin:
    latitude: float
    longitude: float
    open: bool


def _reports(commune_id: str) -> list[ColumnElement[bool]]:
    """Open311's reports of a commune (private ones included: counted, never shown)."""
    return [col(Submission.commune_id) == commune_id, col(Submission.kind) == Kind.REPORT,
            col(Submission.hidden).is_(False)]


def page_of_reports(*, uow: UnitOfWork, commune_id: str, page: int = 1) -> list[Submission]:
    """One page of the reports sent publicly, newest first."""
    page = max(1, min(page, MAX_PAGES))
    query = (select(Submission).where(*_reports(commune_id), col(Submission.public).is_(True))
             .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
             .offset((page - 1) * PAGE).limit(PAGE + 1))  # one more: is there a next page
    return list(uow.session.exec(query).all())


def pins(*, uow: UnitOfWork, commune_id: str) -> list[Pin]:
    """Where the latest reports sent publicly are, rounded."""
    query = (select(Submission.latitude, Submission.longitude, Submission.status)
             .where(*_reports(commune_id), col(Submission.public).is_(True),
                    col(Submission.latitude).is_not(None))
             .order_by(col(Submission.created_at).desc()).limit(MAP_POINTS))
    return [Pin(round(latitude, DECIMALS), round(longitude, DECIMALS), status in OPEN_STATUSES)
            for latitude, longitude, status in uow.session.exec(query).all()
            if latitude is not None and longitude is not None]


def figures(*, uow: UnitOfWork, commune_id: str) -> Figures:
    """How many reports the last year, how many resolved, and how fast the mairie answers."""
    since = uow.clock.now() - FIGURES_OVER
    recent = [*_reports(commune_id), col(Submission.created_at) >= since]
    counts = dict(uow.session.exec(select(Submission.status, func.count())
                                   .where(*recent).group_by(col(Submission.status))).all())
    answered = uow.session.exec(
        select(Submission.created_at, Submission.first_response_at, Submission.resolved_at)
        .where(*recent).order_by(col(Submission.created_at).desc()).limit(TIMES_SAMPLED)).all()
    return Figures(reports=sum(counts.values()),
                   resolved=counts.get(Status.RESOLVED, 0) + counts.get(Status.CLOSED, 0),
                   open=sum(n for status, n in counts.items() if status in OPEN_STATUSES),
                   median_days_to_answer=_median_days([(c, f) for c, f, _ in answered]),
                   median_days_to_resolve=_median_days([(c, r) for c, _, r in answered]))


def _median_days(spans: list[tuple[datetime, datetime | None]]) -> float | None:
    days = [(end - start).total_seconds() / 86_400 for start, end in spans if end is not None]
    return round(statistics.median(days), 1) if days else None

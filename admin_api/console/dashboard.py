"""The mairie's figures at a glance: what came in and was resolved, how fast, by category,
arrondissement and week, and who takes part (groups under five people hidden, as in the API).
Charts are drawn on the server as SVG: nothing to download, nothing to run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from admin_api.console.auth import ReaderDep
from admin_api.console.desk import by_id
from admin_api.console.pages import render, words
from admin_api.deps import UowDep
from core.communes.models import Arrondissement, Category, label
from core.moderation.service import communes_visible_to
from core.submissions import stats
from core.submissions.service import LOCAL_TZ
from core.uow import UnitOfWork

router = APIRouter(prefix="/console", include_in_schema=False)
LONGEST = 12  # bars a chart shows; the rest are summed in one last bar


@dataclass(frozen=True)
class Bar:
    name: str
    value: int | None  # None: a group too small to show
    share: float  # of the longest bar, 0 to 1


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, uow: UowDep, moderator: ReaderDep,
              period: Annotated[str, Query(pattern="^(week|month)$")] = "week") -> HTMLResponse:
    since = _window_start(uow, period)
    figures = stats.compute(uow=uow, period=period, scope=stats.Scope(
        communes=communes_visible_to(moderator), created_from=since))
    language = words(request).language
    return render(request, "dashboard.html", moderator=moderator, figures=figures,
                  period=period, since=since,
                  by_period=bars(list(figures.by_period.items())[-LONGEST:], keep_order=True),
                  by_category=bars(_named(uow, Category, figures.by_category, language)),
                  by_arrondissement=bars(_named(uow, Arrondissement,
                                                figures.by_arrondissement, language)),
                  by_status=bars(list(figures.by_status.items())),
                  by_gender=bars(list(figures.by_gender.items())),
                  by_age_band=bars(list(figures.by_age_band.items()), keep_order=True))


def _window_start(uow: UnitOfWork, period: str) -> datetime:
    """The start of the dashboard's window: the last 12 weeks (from a Monday) or 12 months
    (from the first of a month), in Benin's time."""
    today = uow.clock.now().astimezone(LOCAL_TZ).date()
    if period == "week":
        first = today - timedelta(days=today.weekday(), weeks=LONGEST - 1)
    else:
        months = today.year * 12 + today.month - 1 - (LONGEST - 1)
        first = date(months // 12, months % 12 + 1, 1)
    return datetime.combine(first, time(), tzinfo=LOCAL_TZ)


def bars(counts: list[tuple[str, int | None]], *, keep_order: bool = False) -> list[Bar]:
    """The bars of a chart, the longest first unless the order means something (weeks)."""
    ordered = counts if keep_order else sorted(counts, key=lambda kv: -(kv[1] or 0))
    if len(ordered) > LONGEST:
        rest = sum(v or 0 for _, v in ordered[LONGEST - 1:])
        ordered = [*ordered[:LONGEST - 1], ("…", rest)]
    top = max((v or 0 for _, v in ordered), default=0) or 1
    return [Bar(name, value, (value or 0) / top) for name, value in ordered]


def _named(uow: UnitOfWork, table: type[Category] | type[Arrondissement],
           counts: dict[str, int], language: str) -> list[tuple[str, int | None]]:
    """Counts keyed by id (as text), keyed by name instead."""
    key = int if table is Category else str
    found = by_id(uow, table, {key(k) for k in counts if k != "none"})
    return [(_name(found.get(key(k)) if k != "none" else None, language), n)
            for k, n in counts.items()]


def _name(row: Category | Arrondissement | None, language: str) -> str:
    if row is None:
        return "—"
    return label(row.names, language) if isinstance(row, Category) else row.name

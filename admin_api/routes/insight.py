"""Statistics, CSV exports and the audit trail."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse

from admin_api import exports, schemas
from admin_api.deps import InboxFilterDep, ReaderDep, UowDep, aware
from admin_api.errors import DocumentedRoute
from admin_api.exports import CONTACT_COLUMNS, EXPORT_COLUMNS, csv_lines, staff_row
from core.moderation import service as moderation
from core.moderation.models import Moderator, Role
from core.submissions import stats
from core.submissions.inbox import inbox
from core.submissions.models import Kind, Submission
from core.submissions.service import LOCAL_TZ

router = APIRouter(prefix="/api/v1", tags=["statistics, exports, audit"],
                   route_class=DocumentedRoute)


# Analysts read figures: no words a citizen wrote, a position to about a kilometre, days
# rather than instants (nothing precise enough to pick a person out).
ANALYST_COLUMNS = tuple(c for c in EXPORT_COLUMNS
                        if c not in ("title", "description", "place_text"))
ANALYST_DECIMALS = 2  # 0.01 degree: about 1.1 km
TIMES = ("created_at", "updated_at", "first_response_at", "resolved_at")


@router.get("/stats", response_model=schemas.StatsPublic)
def get_stats(uow: UowDep, moderator: ReaderDep, commune: str | None = None,
              kind: Kind | None = None, created_from: datetime | None = None,
              created_to: datetime | None = None,
              period: Annotated[str, Query(pattern="^(day|week|month|year)$")] = "month",
              ) -> schemas.StatsPublic:
    """Counts, median hours to first response and to resolution, share resolved, and who
    takes part by gender and age band (groups under 5 people are null)."""
    days = moderator.role == Role.ANALYST  # no instants to bracket a person with
    scope = stats.Scope(communes=moderation.communes_visible_to(moderator), commune_id=commune,
                        kind=kind, created_from=_whole_day(aware(created_from), days),
                        created_to=_whole_day(aware(created_to), days, end=True))
    return schemas.StatsPublic(**asdict(stats.compute(uow=uow, scope=scope, period=period)))


@router.get("/exports/submissions.csv", response_class=StreamingResponse)
def export_submissions(
    uow: UowDep, moderator: ReaderDep, wanted: InboxFilterDep, contacts: bool = False,
    reason: Annotated[str | None, Query(max_length=300, description=(
        "why the contacts are needed (with contacts=true): it goes to the audit log"))] = None,
) -> StreamingResponse:
    """Submissions as CSV for the inbox's filters, without personal data; `contacts=true` adds
    the citizen's channel and number for accounts allowed to see contacts (never for anonymous
    submissions), with a `reason` kept in the audit log. Analysts get no words, a rounded
    position, days instead of instants, and nothing hidden as abuse."""
    analyst = moderator.role == Role.ANALYST
    if analyst and wanted.text:  # a search would tell what the words say
        raise HTTPException(403, "Analysts do not search the words citizens wrote.")
    wanted = replace(wanted, communes=moderation.communes_visible_to(moderator),
                     include_hidden=wanted.include_hidden and not analyst,
                     created_from=_whole_day(wanted.created_from, analyst),
                     created_to=_whole_day(wanted.created_to, analyst, end=True))
    if contacts:
        covered: list[str | None] = [wanted.commune_id] if wanted.commune_id else [
            *sorted(wanted.communes or ())] or [None]  # each commune's audit trail has it
        moderation.record_contacts_seen(uow=uow, moderator=moderator, reason=reason,
                                        target_type="export", target_id="submissions.csv",
                                        communes=covered)
    first = inbox(uow=uow, wanted=wanted, limit=100)  # bad input fails here, not mid-stream
    if contacts:
        uow.commit()  # the audit line, before any contact leaves
    layout = _analyst_row if analyst else partial(staff_row, uow, contacts)
    header = ANALYST_COLUMNS if analyst else EXPORT_COLUMNS + (
        CONTACT_COLUMNS if contacts else ())
    rows = csv_lines(header, exports.rows(uow, wanted, layout, first))
    name = f"palabre-submissions-{datetime.now(UTC):%Y%m%d}.csv"
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _whole_day(moment: datetime | None, rounded: bool, *,
               end: bool = False) -> datetime | None:
    """For an analyst, the start (or the end) of that day in Benin: filters of whole days
    cannot bracket one submission's instant."""
    if moment is None or not rounded:
        return moment
    start = moment.astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1, microseconds=-1) if end else start


def _analyst_row(row: Submission) -> list[object]:
    """A row of figures: no words, the position rounded, the day of each moment."""
    values: list[object] = []
    for column in ANALYST_COLUMNS:
        value = getattr(row, column)
        if column in ("latitude", "longitude") and value is not None:
            value = f"{value:.{ANALYST_DECIMALS}f}"
        elif column in TIMES and value is not None:
            value = value.date().isoformat()
        elif column == "labels":
            value = "; ".join(row.labels)
        values.append(value)
    return values


@router.get("/audit", response_model=schemas.AuditPagePublic)
def get_audit(uow: UowDep, moderator: ReaderDep, actor: str | None = None,
              action: str | None = None, target: str | None = None,
              cursor: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> schemas.AuditPagePublic:
    """Who did what, when, with the values before and after; newest first."""
    _may_read_audit(moderator)
    size = min(limit, 200)
    entries = moderation.audit_trail(uow=uow, communes=moderation.communes_visible_to(moderator),
                                     actor=actor, action=action, target_id=target,
                                     before_id=cursor, limit=size)
    last = entries[-1].id if len(entries) == size else None
    return schemas.AuditPagePublic(
        data=[schemas.AuditPublic.model_validate(e, from_attributes=True) for e in entries],
        next_cursor=last)


def _may_read_audit(moderator: Moderator) -> None:
    if moderator.role == Role.ANALYST:
        raise HTTPException(403, "Analysts read statistics and exports, not the audit trail.")

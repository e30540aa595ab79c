"""The mairie's figures on a real database: counted in Benin's time (a report filed at 23:30
UTC is the next day's there), grouped the same on SQLite and PostgreSQL, hours measured to
the minute, hidden (abuse) items left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.submissions import service as submissions
from core.submissions import stats
from core.submissions.models import Kind, Status, Submission

# (UTC time filed, kind, status, hours to a first answer, hours to resolution)
FILED = [
    (datetime(2026, 3, 1, 22, 30, tzinfo=UTC), Kind.REPORT, Status.NEW, None, None),
    # Sunday 23:30 UTC is Monday 00:30 in Cotonou: the next day and the next ISO week.
    (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), Kind.REPORT, Status.RESOLVED, 1.5, 26.2),
    (datetime(2026, 3, 31, 23, 10, tzinfo=UTC), Kind.COMPLAINT, Status.ACKNOWLEDGED, 0.25,
     None),
    (datetime(2026, 4, 2, 8, 0, tzinfo=UTC), Kind.REPORT, Status.RESOLVED, 3.0, 48.0),
]


def _file(app, when: datetime, kind: Kind, status: str, answered: float | None,
          resolved: float | None, *, hidden: bool = False) -> None:
    with app.uow_factory() as uow:
        item = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=kind, commune_id="BJ-LI-COT", channel="console", citizen_id=None,
            description=f"Filed {when:%d %H:%M}"))
        row = uow.session.get(Submission, item.id)
        assert row is not None
        row.created_at, row.status, row.hidden = when, status, hidden
        row.first_response_at = when + timedelta(hours=answered) if answered else None
        row.resolved_at = when + timedelta(hours=resolved) if resolved else None
        uow.commit()


def test_figures_count_in_benin_time_and_leave_hidden_items_out(app) -> None:
    for filed in FILED:
        _file(app, *filed)
    _file(app, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), Kind.REPORT, Status.NEW, 1.0, None,
          hidden=True)
    with app.uow_factory() as uow:
        scope = stats.Scope(communes=frozenset({"BJ-LI-COT"}))
        by_day = stats.compute(uow=uow, scope=scope, period="day")
        by_week = stats.compute(uow=uow, scope=scope, period="week")
        by_month = stats.compute(uow=uow, scope=scope, period="month")
        april = stats.compute(uow=uow, scope=stats.Scope(
            communes=frozenset({"BJ-LI-COT"}),
            created_from=datetime(2026, 4, 1, tzinfo=submissions.LOCAL_TZ)))
        elsewhere = stats.compute(uow=uow, scope=stats.Scope(communes=frozenset({"BJ-BO-PAR"})))

    assert by_day.by_period == {"2026-03-01": 1, "2026-03-02": 1, "2026-04-01": 1,
                                "2026-04-02": 1}
    assert by_week.by_period == {"2026-W09": 1, "2026-W10": 1, "2026-W14": 2}
    assert by_month.by_period == {"2026-03": 2, "2026-04": 2}
    assert by_month.total == 4
    assert by_month.by_kind == {"complaint": 1, "report": 3}
    assert by_month.by_status == {"acknowledged": 1, "new": 1, "resolved": 2}
    assert by_month.by_commune == {"BJ-LI-COT": 4}
    assert by_month.by_category == {"none": 4}
    assert by_month.median_hours_to_first_response == 1.5
    assert by_month.median_hours_to_resolution == 37.1  # (26 h 12 min + 48 h) / 2
    assert by_month.share_resolved == 0.5
    assert april.total == 2 and april.by_period == {"2026-04": 2}
    assert elsewhere.total == 0 and elsewhere.by_period == {}
    assert elsewhere.median_hours_to_resolution is None and elsewhere.share_resolved is None

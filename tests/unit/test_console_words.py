"""How the console says times: ages as a person would say them, clocks in Benin's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admin_api.console.desk import age_of
from admin_api.console.pages import local_time

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def test_ages_in_the_unit_a_person_would_use() -> None:
    assert age_of(NOW - timedelta(seconds=20), NOW) == ("now", 0)
    assert age_of(NOW - timedelta(minutes=12, seconds=50), NOW) == ("minutes", 12)
    assert age_of(NOW - timedelta(hours=5, minutes=59), NOW) == ("hours", 5)
    assert age_of(NOW - timedelta(hours=47), NOW) == ("hours", 47)
    assert age_of(NOW - timedelta(days=3, hours=2), NOW) == ("days", 3)
    assert age_of(NOW + timedelta(minutes=3), NOW) == ("now", 0)  # a clock slightly ahead


def test_times_are_shown_in_benin() -> None:
    assert local_time(datetime(2026, 3, 14, 23, 30, tzinfo=UTC), "%d/%m %H:%M") == "15/03 00:30"

"""What the public page may read of the reports (core/submissions/published.py): public
reports only, positions rounded, the year's figures with their medians."""

from __future__ import annotations

from core.citizens import service as citizens
from core.geo import Point
from core.submissions import published
from core.submissions import service as submissions
from core.submissions.models import Kind, Status


def _filed(app, *, public: bool = True, kind: Kind = Kind.REPORT) -> str:
    with app.uow_factory() as uow:
        author = citizens.identify(uow=uow, channel="console", address="ama")
        row = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=kind, commune_id="BJ-LI-COT", channel="console", citizen_id=author.citizen_id,
            identity_id=author.id, description="Caniveau", location=Point(6.370345, 2.391234),
            public=public))
        uow.commit()
        return row.reference


def test_only_public_reports_are_listed_and_pinned_to_a_hundred_metres(app) -> None:
    shown = _filed(app)
    _filed(app, public=False)
    _filed(app, kind=Kind.COMPLAINT)

    with app.uow_factory() as uow:
        listed = published.page_of_reports(uow=uow, commune_id="BJ-LI-COT")
        pins = published.pins(uow=uow, commune_id="BJ-LI-COT")

    assert [r.reference for r in listed] == [shown]
    assert [(p.latitude, p.longitude, p.open) for p in pins] == [(6.37, 2.391, True)]


def test_the_figures_count_every_report_and_take_the_median_times(app, clock) -> None:
    first, second, _private = _filed(app), _filed(app), _filed(app, public=False)
    for reference, days in ((first, 1), (second, 3)):
        clock.advance(days=days)
        with app.uow_factory() as uow:
            submissions.change_status(uow=uow, reference=reference, status=Status.RESOLVED,
                                      actor="awa", public_note="Réparé")
            uow.commit()
    with app.uow_factory() as uow:
        then = published.figures(uow=uow, commune_id="BJ-LI-COT")
    clock.advance(days=400)
    _filed(app)  # a year later: the first three are out of the figures' year
    with app.uow_factory() as uow:
        now = published.figures(uow=uow, commune_id="BJ-LI-COT")

    assert (then.reports, then.resolved, then.open) == (3, 2, 1)  # the private one counts
    assert then.median_days_to_resolve == 2.5  # resolved after 1 and 4 days
    assert then.median_days_to_answer is None  # set by a moderator acting (triage), not here
    assert (now.reports, now.resolved, now.open) == (1, 0, 1)
    assert now.median_days_to_answer is None

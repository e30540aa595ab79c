"""Submissions on a real database: supporting ideas, following submissions, and finding similar
open reports before a citizen files a new one."""

from __future__ import annotations

import pytest

from core.citizens import service as citizens
from core.communes import service as communes
from core.errors import AlreadyFollowing, AlreadySupported, NotAnIdea, OwnIdea, SubmissionNotFound
from core.geo import Point
from core.submissions import service as submissions
from core.submissions.models import Kind, Status

VEDOKO = Point(6.3703, 2.3912)
ABOUT_100_M_NORTH = Point(6.3712, 2.3912)
ABOUT_400_M_NORTH = Point(6.3739, 2.3912)
COTONOU_5 = "BJ-LI-COT-05"
COTONOU_6 = "BJ-LI-COT-06"


def _citizen(app, address: str) -> int:
    with app.uow_factory() as uow:
        citizen_id = citizens.identify(uow=uow, channel="console", address=address).citizen_id
        uow.commit()
    return citizen_id


def _submit(app, author: int, kind: Kind = Kind.IDEA, *, commune_id: str = "BJ-LI-COT",
            category: str | None = None, location: Point | None = None,
            arrondissement_id: str | None = None) -> str:
    with app.uow_factory() as uow:
        category_id = _category(uow, commune_id, category) if category else None
        new = submissions.NewSubmission(
            kind=kind, commune_id=commune_id, channel="console", citizen_id=author,
            title="Un marché couvert", description="Pour les vendeuses", category_id=category_id,
            location=location, arrondissement_id=arrondissement_id)
        reference = submissions.submit(uow=uow, new=new).reference
        uow.commit()
    return reference


def _category(uow, commune_id: str, code: str) -> int:
    found = [c.id for c in communes.categories_of(uow=uow, commune_id=commune_id) if c.code == code]
    return found[0]


def _support(app, citizen_id: int, reference: str) -> None:
    with app.uow_factory() as uow:
        submissions.support_idea(uow=uow, citizen_id=citizen_id, reference=reference)
        uow.commit()


def _supports(app, reference: str) -> int:
    with app.uow_factory() as uow:
        idea = submissions.get_by_reference(uow=uow, reference=reference)
        return submissions.support_count(uow=uow, submission_id=idea.id)


def _followers(app, reference: str) -> list[int]:
    with app.uow_factory() as uow:
        idea = submissions.get_by_reference(uow=uow, reference=reference)
        return sorted(submissions.followers_of(uow=uow, submission_id=idea.id))


# Supports and follows


def test_a_support_counts_once_and_makes_the_supporter_a_follower(app) -> None:
    idea = _submit(app, _citizen(app, "ama"))
    kofi = _citizen(app, "kofi")

    _support(app, kofi, idea.lower())
    with pytest.raises(AlreadySupported):
        _support(app, kofi, idea)

    assert _supports(app, idea) == 1
    assert _followers(app, idea) == [kofi]


def test_supporting_twice_in_one_unit_of_work_is_refused_and_the_first_kept(app) -> None:
    idea = _submit(app, _citizen(app, "ama"))
    kofi = _citizen(app, "kofi")
    with app.uow_factory() as uow:
        submissions.support_idea(uow=uow, citizen_id=kofi, reference=idea)
        with pytest.raises(AlreadySupported):
            submissions.support_idea(uow=uow, citizen_id=kofi, reference=idea)
        uow.commit()
    assert _supports(app, idea) == 1


def test_an_earlier_follower_who_supports_is_not_followed_twice(app) -> None:
    idea = _submit(app, _citizen(app, "ama"))
    kofi = _citizen(app, "kofi")
    with app.uow_factory() as uow:
        submissions.follow(uow=uow, citizen_id=kofi, reference=idea)
        uow.commit()
    _support(app, kofi, idea)
    assert _followers(app, idea) == [kofi]


def test_a_citizen_cannot_support_their_own_idea(app) -> None:
    ama = _citizen(app, "ama")
    idea = _submit(app, ama)
    with pytest.raises(OwnIdea):
        _support(app, ama, idea)
    assert _supports(app, idea) == 0


def test_only_ideas_can_be_supported(app) -> None:
    report = _submit(app, _citizen(app, "ama"), Kind.REPORT)
    with pytest.raises(NotAnIdea):
        _support(app, _citizen(app, "kofi"), report)
    with pytest.raises(SubmissionNotFound):
        _support(app, _citizen(app, "kofi"), "COT-IDE-26-0404")


def test_top_ideas_come_most_supported_first(app, clock) -> None:
    ama, kofi, awa, sena = (_citizen(app, name) for name in ("ama", "kofi", "awa", "sena"))
    unsupported = _submit(app, ama)
    clock.advance(minutes=1)
    most = _submit(app, ama)
    clock.advance(minutes=1)
    once = _submit(app, ama)
    clock.advance(minutes=1)
    rejected = _submit(app, ama)
    elsewhere = _submit(app, ama, commune_id="BJ-AQ-ABO")
    for supporter in (kofi, awa, sena):
        _support(app, supporter, most)
        _support(app, supporter, rejected)
        _support(app, supporter, elsewhere)
    _support(app, kofi, once)
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference=rejected, status=Status.REJECTED, actor="m")
        uow.commit()

    with app.uow_factory() as uow:
        top = submissions.top_ideas(uow=uow, commune_id="BJ-LI-COT")
        first_two = submissions.top_ideas(uow=uow, commune_id="BJ-LI-COT", limit=2)

    assert [(idea.reference, count) for idea, count in top] == [
        (most, 3), (once, 1), (unsupported, 0)]
    assert [idea.reference for idea, _ in first_two] == [most, once]


def test_following_twice_is_refused(app) -> None:
    report = _submit(app, _citizen(app, "ama"), Kind.REPORT)
    kofi = _citizen(app, "kofi")
    with app.uow_factory() as uow:
        followed = submissions.follow(uow=uow, citizen_id=kofi, reference=report)
        uow.commit()
    with app.uow_factory() as uow, pytest.raises(AlreadyFollowing):
        submissions.follow(uow=uow, citizen_id=kofi, reference=report)

    assert followed.reference == report
    assert _followers(app, report) == [kofi]


def test_the_author_does_not_follow_their_own_submission(app) -> None:
    ama = _citizen(app, "ama")
    report = _submit(app, ama, Kind.REPORT)
    with app.uow_factory() as uow, pytest.raises(AlreadyFollowing):
        submissions.follow(uow=uow, citizen_id=ama, reference=report)


def test_followed_submissions_are_listed_with_the_citizens_own(app, clock) -> None:
    ama, kofi = _citizen(app, "ama"), _citizen(app, "kofi")
    own = _submit(app, kofi, Kind.REPORT)
    clock.advance(minutes=1)
    followed = _submit(app, ama, Kind.REPORT)
    _submit(app, ama, Kind.REPORT)  # neither kofi's nor followed
    with app.uow_factory() as uow:
        submissions.follow(uow=uow, citizen_id=kofi, reference=followed)
        uow.commit()

    with app.uow_factory() as uow:
        listed = submissions.submissions_of(uow=uow, citizen_id=kofi)
    assert [s.reference for s in listed] == [followed, own]


# Similar open reports


def _similar(app, *, category: str = "drain", location: Point | None = None,
             arrondissement_id: str | None = None, commune_id: str = "BJ-LI-COT") -> list[str]:
    with app.uow_factory() as uow:
        found = submissions.similar_open_reports(
            uow=uow, commune_id=commune_id, category_id=_category(uow, commune_id, category),
            location=location, arrondissement_id=arrondissement_id)
    return [s.reference for s in found]


def _drain_report(app, *, location: Point | None = VEDOKO, arrondissement_id: str | None = None,
                  category: str = "drain", commune_id: str = "BJ-LI-COT") -> str:
    return _submit(app, _citizen(app, "ama"), Kind.REPORT, category=category, location=location,
                   arrondissement_id=arrondissement_id, commune_id=commune_id)


def test_a_report_of_the_same_category_nearby_is_similar(app) -> None:
    report = _drain_report(app)
    assert _similar(app, location=ABOUT_100_M_NORTH) == [report]
    assert _similar(app, location=VEDOKO) == [report]


def test_a_report_400_m_away_is_not_similar(app) -> None:
    _drain_report(app)
    assert _similar(app, location=ABOUT_400_M_NORTH) == []


def test_a_report_in_the_same_arrondissement_without_coordinates_is_similar(app) -> None:
    report = _drain_report(app, location=None, arrondissement_id=COTONOU_5)
    assert _similar(app, arrondissement_id=COTONOU_5) == [report]
    assert _similar(app, location=VEDOKO, arrondissement_id=COTONOU_5) == [report]
    assert _similar(app, arrondissement_id=COTONOU_6) == []
    assert _similar(app) == []


def test_a_report_older_than_30_days_is_not_similar(app, clock) -> None:
    report = _drain_report(app)
    clock.advance(days=29)
    assert _similar(app, location=VEDOKO) == [report]
    clock.advance(days=2)
    assert _similar(app, location=VEDOKO) == []


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.REJECTED, Status.DUPLICATE])
def test_a_report_no_longer_open_is_not_similar(app, status: Status) -> None:
    report = _drain_report(app)
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference=report, status=status, actor="m")
        uow.commit()
    assert _similar(app, location=VEDOKO) == []


def test_a_reopened_report_is_similar_again(app) -> None:
    report = _drain_report(app)
    for status in (Status.RESOLVED, Status.REOPENED):
        with app.uow_factory() as uow:
            submissions.change_status(uow=uow, reference=report, status=status, actor="m")
            uow.commit()
    assert _similar(app, location=VEDOKO) == [report]


def test_a_report_of_another_category_or_commune_is_not_similar(app) -> None:
    _drain_report(app, category="road")
    _drain_report(app, commune_id="BJ-AQ-ABO")
    assert _similar(app, location=VEDOKO) == []


def test_similar_reports_come_newest_first_and_at_most_three(app, clock) -> None:
    reports = []
    for _ in range(4):
        reports.append(_drain_report(app))
        clock.advance(hours=1)
    assert _similar(app, location=VEDOKO) == reports[::-1][:3]

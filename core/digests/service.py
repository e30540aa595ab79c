"""What happened in a commune during one week (Monday to Sunday, Benin time), as facts the
dialogs turn into the digest's words; digests are kept so animators can fetch them again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from core.broadcasts.service import LOCAL_TZ
from core.communes.models import Commune
from core.council.models import CouncilSession, SessionStatus
from core.digests.models import Digest
from core.submissions.models import StatusChange, Submission
from core.uow import UnitOfWork

RESOLVED = ("resolved", "closed")


@dataclass(frozen=True)
class WeekFacts:
    commune: str
    week: date  # Monday
    received: dict[str, int]  # kind → how many came in
    resolved: int
    next_session: tuple[str, datetime, str] | None  # title, start, place


def last_week(now: datetime) -> date:
    """The Monday of the week before the one `now` is in (Benin time)."""
    today = now.astimezone(LOCAL_TZ).date()
    return today - timedelta(days=today.weekday() + 7)


def facts(*, uow: UnitOfWork, commune_id: str, week: date) -> WeekFacts:
    start = datetime.combine(week, time(0), tzinfo=LOCAL_TZ)
    end = start + timedelta(days=7)
    commune = uow.session.get_one(Commune, commune_id)
    received = dict(uow.session.exec(
        select(Submission.kind, func.count()).where(
            Submission.commune_id == commune_id, col(Submission.hidden).is_(False),
            col(Submission.created_at) >= start, col(Submission.created_at) < end)
        .group_by(col(Submission.kind))).all())
    resolved = uow.session.exec(
        select(func.count(func.distinct(StatusChange.submission_id)))
        .join(Submission, col(Submission.id) == col(StatusChange.submission_id))
        .where(Submission.commune_id == commune_id,
               col(StatusChange.to_status).in_(RESOLVED),
               col(StatusChange.at) >= start, col(StatusChange.at) < end)).one()
    upcoming = uow.session.exec(select(CouncilSession).where(
        CouncilSession.commune_id == commune_id,
        CouncilSession.status == SessionStatus.SCHEDULED,
        col(CouncilSession.starts_at) >= end).order_by(col(CouncilSession.starts_at))).first()
    return WeekFacts(commune=commune.name, week=week,
                     received={str(k): int(n) for k, n in received.items()},
                     resolved=int(resolved or 0),
                     next_session=(upcoming.title, upcoming.starts_at, upcoming.place)
                     if upcoming else None)


def keep(*, uow: UnitOfWork, commune_id: str, week: date, text: str,
         language: str = "fr") -> Digest:
    """Store a week's digest (made again, it replaces the earlier text)."""
    found = uow.session.exec(select(Digest).where(
        Digest.commune_id == commune_id, Digest.week == week)).first()
    digest = found or Digest(commune_id=commune_id, week=week, text=text, language=language,
                             made_at=uow.clock.now())
    digest.text, digest.made_at = text, uow.clock.now()
    uow.session.add(digest)
    return digest


def latest(*, uow: UnitOfWork, commune_id: str, limit: int = 8) -> list[Digest]:
    return list(uow.session.exec(select(Digest).where(Digest.commune_id == commune_id)
                                 .order_by(col(Digest.week).desc()).limit(limit)).all())

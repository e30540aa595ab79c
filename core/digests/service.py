"""What happened in a commune during one week (Monday to Sunday, Benin time), as facts the
dialogs turn into the digest's words; digests are kept so animators can fetch them again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from core.broadcasts.service import LOCAL_TZ
from core.communes.models import Commune
from core.council.models import CouncilSession, SessionStatus
from core.digests.models import Digest
from core.documents.models import Document
from core.projects.models import Project, ProjectUpdate
from core.submissions.models import StatusChange, Submission
from core.surveys.models import Survey
from core.uow import UnitOfWork

RESOLVED = ("resolved", "closed")


@dataclass(frozen=True)
class WeekFacts:
    commune: str
    week: date  # Monday
    received: dict[str, int]  # kind → how many came in
    resolved: int
    next_session: tuple[str, datetime, str] | None  # title, start, place
    decided: list[tuple[str, list[str]]] = field(default_factory=list)  # sitting, decisions
    projects: list[tuple[str, int, str]] = field(default_factory=list)  # title, %, status
    documents: list[tuple[str, int]] = field(default_factory=list)  # title, year
    surveys: list[dict[str, str]] = field(default_factory=list)  # titles by language, opened


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
                     if upcoming else None,
                     **_published(uow, commune_id, start, end))


def _published(uow: UnitOfWork, commune_id: str, start: datetime,
               end: datetime) -> dict[str, list[Any]]:
    """What the mairie did in the open that week: the sittings that ended and their
    decisions, the projects whose progress it gave, the documents and surveys it published."""
    ended = uow.session.exec(select(CouncilSession).where(
        CouncilSession.commune_id == commune_id, CouncilSession.status == SessionStatus.ENDED,
        col(CouncilSession.ended_at) >= start, col(CouncilSession.ended_at) < end)
        .order_by(col(CouncilSession.ended_at))).all()
    moved = uow.session.exec(select(Project, ProjectUpdate).join(
        ProjectUpdate, col(ProjectUpdate.project_id) == col(Project.id)).where(
        Project.commune_id == commune_id, col(ProjectUpdate.at) >= start,
        col(ProjectUpdate.at) < end).order_by(col(ProjectUpdate.at))).all()
    latest = {project.id: (project.title, update.progress, update.status)
              for project, update in moved}  # each project once, as the week left it
    documents = uow.session.exec(select(Document).where(
        Document.commune_id == commune_id, col(Document.published_at) >= start,
        col(Document.published_at) < end).order_by(col(Document.published_at))).all()
    surveys = uow.session.exec(select(Survey).where(
        Survey.commune_id == commune_id, col(Survey.opens_at) >= start,
        col(Survey.opens_at) < end).order_by(col(Survey.opens_at))).all()
    return {"decided": [(s.title, list(s.decisions)) for s in ended],
            "projects": list(latest.values()),
            "documents": [(d.title, d.year) for d in documents],
            "surveys": [dict(s.title) for s in surveys]}


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

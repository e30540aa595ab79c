"""Reports as Open311 (GeoReport v2) sees them: the public ones, and those other systems file.

Only reports are Open311 service requests; complaints, suggestions and ideas are personal and
stay out, and so do reports hidden as abuse. Nothing here names the citizen.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import col, select

from core import errors
from core.communes.models import Arrondissement, Category
from core.geo import Point, in_benin
from core.moderation.models import Moderator, Role
from core.moderation.service import record
from core.submissions.models import OPEN_STATUSES, Kind, Status, StatusChange, Submission
from core.submissions.references import parse_reference
from core.submissions.service import NewSubmission, submit
from core.uow import UnitOfWork

MAX_REQUESTS = 1000  # the spec's default query limit
MAX_DESCRIPTION = 4000  # the spec's limit on a description
MAX_ADDRESS = 300  # Submission.place_text
MAX_MEDIA_URL = 500
CHANNEL = "open311"

# Open311 knows two statuses: a report is open until it is resolved, rejected or merged.
STATUSES: dict[str, frozenset[str]] = {
    "open": frozenset(OPEN_STATUSES),
    "closed": frozenset(Status) - OPEN_STATUSES,
}


def open311_status(submission: Submission) -> str:
    """'open' or 'closed', the only two statuses of GeoReport v2."""
    return "open" if submission.status in OPEN_STATUSES else "closed"


@dataclass(frozen=True)
class RequestFilter:
    """Which public reports of a commune to list; `references`, when given, overrides the rest."""

    commune_id: str
    references: Collection[str] = ()
    category_ids: Collection[int] = ()
    statuses: Collection[str] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None


def public_reports(*, uow: UnitOfWork, wanted: RequestFilter,
                   limit: int = MAX_REQUESTS) -> list[Submission]:
    """The commune's reports anyone may read that match the filter, newest first."""
    query = select(Submission).where(*_public(wanted.commune_id), *_conditions(wanted))
    query = query.order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
    return list(uow.session.exec(query.limit(max(1, min(limit, MAX_REQUESTS)))).all())


def public_report(*, uow: UnitOfWork, commune_id: str, reference: str) -> Submission | None:
    """The commune's report with this reference if anyone may read it, else None."""
    canonical = _exact(reference)
    if canonical is None:
        return None
    query = select(Submission).where(*_public(commune_id), Submission.reference == canonical)
    return uow.session.exec(query).first()


def _exact(reference: str) -> str | None:
    """The reference if it is written in full (any case): an Open311 id is not a guess."""
    wanted = reference.strip().upper()
    return wanted if parse_reference(wanted) == wanted else None


def _public(commune_id: str) -> list[ColumnElement[bool]]:
    return [col(Submission.commune_id) == commune_id, col(Submission.kind) == Kind.REPORT,
            col(Submission.hidden).is_(False)]


def _conditions(wanted: RequestFilter) -> list[ColumnElement[bool]]:
    if wanted.references:
        exact = {_exact(r) for r in wanted.references}
        return [col(Submission.reference).in_(sorted(r for r in exact if r))]
    found: list[ColumnElement[bool]] = []
    if wanted.category_ids:
        found.append(col(Submission.category_id).in_(sorted(wanted.category_ids)))
    if wanted.statuses:
        found.append(col(Submission.status).in_(sorted(wanted.statuses)))
    if wanted.created_from is not None:
        found.append(col(Submission.created_at) >= wanted.created_from)
    if wanted.created_to is not None:
        found.append(col(Submission.created_at) <= wanted.created_to)
    return found


def latest_public_notes(*, uow: UnitOfWork, submission_ids: Iterable[int]) -> dict[int, str]:
    """For each submission, the last note the citizen was told with a status change."""
    ids = sorted(set(submission_ids))
    if not ids:
        return {}
    query = (select(StatusChange.submission_id, StatusChange.public_note)
             .where(col(StatusChange.submission_id).in_(ids),
                    col(StatusChange.public_note).is_not(None))
             .order_by(col(StatusChange.at), col(StatusChange.id)))
    return {submission_id: note for submission_id, note in uow.session.exec(query).all() if note}


def categories_by_id(*, uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, Category]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    found = uow.session.exec(select(Category).where(col(Category.id).in_(wanted))).all()
    return {c.id: c for c in found if c.id is not None}


def categories_by_code(*, uow: UnitOfWork, commune_id: str) -> dict[str, Category]:
    """Every category of the commune by code, retired ones included (old reports keep them)."""
    found = uow.session.exec(select(Category).where(Category.commune_id == commune_id)).all()
    return {c.code: c for c in found}


def arrondissements_by_id(*, uow: UnitOfWork,
                          ids: Iterable[str | None]) -> dict[str, Arrondissement]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    query = select(Arrondissement).where(col(Arrondissement.id).in_(wanted))
    return {a.id: a for a in uow.session.exec(query).all()}


@dataclass(frozen=True)
class ExternalReport:
    """A report another system files through Open311, before it has a reference."""

    commune_id: str
    service_code: str
    description: str = ""
    location: Point | None = None
    address: str | None = None
    media_url: str | None = None  # kept in the description: we fetch nothing from outside


def file_external_report(*, uow: UnitOfWork, integration: Moderator,
                         report: ExternalReport) -> Submission:
    """File a report for an integration account allowed to write to the commune; audited."""
    _check_integration(integration, report.commune_id)
    category = _active_category(uow, report.commune_id, report.service_code)
    _check_report(report)
    submission = submit(uow=uow, new=NewSubmission(
        kind=Kind.REPORT, commune_id=report.commune_id, channel=CHANNEL, citizen_id=None,
        description=_with_media(report), category_id=category.id, location=report.location,
        place_text=report.address or None, public=True))
    record(uow=uow, moderator=integration, action="open311_create", target_type="submission",
           target_id=submission.reference, commune_id=report.commune_id,
           after={"service_code": category.code})
    return submission


def _check_integration(account: Moderator, commune_id: str) -> None:
    if account.role != Role.INTEGRATION:
        raise errors.Forbidden("this api_key is not an integration key")
    if commune_id not in account.communes:
        raise errors.Forbidden(f"this api_key may not file requests for {commune_id}")


def _active_category(uow: UnitOfWork, commune_id: str, code: str) -> Category:
    category = categories_by_code(uow=uow, commune_id=commune_id).get(code)
    if category is None or not category.active:
        raise errors.NotFound(f"service_code {code!r} is not a service of {commune_id}")
    return category


def _check_report(report: ExternalReport) -> None:
    if report.location is None and not report.address:
        raise errors.Invalid("a location is needed: lat and long, or address_string")
    if report.location is not None and not in_benin(report.location):
        raise errors.Invalid("lat and long are not in Benin")
    if len(report.address or "") > MAX_ADDRESS:
        raise errors.Invalid(f"address_string is limited to {MAX_ADDRESS} characters")
    if len(report.description) > MAX_DESCRIPTION:
        raise errors.Invalid(f"description is limited to {MAX_DESCRIPTION} characters")
    media = report.media_url or ""
    if media and (not re.fullmatch(r"https?://\S+", media) or len(media) > MAX_MEDIA_URL):
        raise errors.Invalid(f"media_url must be an http(s) URL of at most {MAX_MEDIA_URL} "
                             "characters")


def _with_media(report: ExternalReport) -> str:
    """The description, with the media URL on its own line for moderators to open."""
    if not report.media_url:
        return report.description
    return f"{report.description}\n\nmedia_url: {report.media_url}".strip()

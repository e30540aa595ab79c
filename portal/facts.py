"""What a commune's public page says, gathered in one unit of work with bounded queries: the
reports sent publicly (core/submissions/published.py), the year's figures, the investment
projects, the next council sitting and the last decisions, the documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import benin_geo

from core.communes.models import Commune
from core.council import service as council
from core.council.models import CouncilSession
from core.documents import service as documents
from core.documents.models import Document
from core.geo import normalise_name
from core.projects import service as projects
from core.projects.models import Project
from core.submissions import open311, published
from core.submissions.models import Submission
from core.uow import UnitOfWork

PROJECTS = 8
DOCUMENTS = 8
DECISIONS = 6


@dataclass(frozen=True)
class Report:
    reference: str
    created_at: Any
    status: str
    category: str
    place: str
    description: str
    note: str | None


@dataclass
class PageFacts:
    commune: Commune
    page: int
    reports: list[Report]
    more: bool
    figures: published.Figures
    projects: list[Project] = field(default_factory=list)
    next_sitting: CouncilSession | None = None
    last_sitting: CouncilSession | None = None
    documents: list[Document] = field(default_factory=list)


def slug(name: str) -> str:
    """The commune's name in an address: 'Sèmè-Kpodji' -> 'seme-kpodji'."""
    return normalise_name(name).replace(" ", "-")


def find_commune(*, uow: UnitOfWork, wanted: str) -> Commune | None:
    """An enabled commune by its address name (`cotonou`) or its id (`BJ-LI-COT`)."""
    found = uow.session.get(Commune, wanted.upper()) if wanted.upper().startswith("BJ-") \
        else uow.session.get(Commune, _ids_by_slug().get(wanted.lower(), ""))
    return found if found is not None and found.enabled else None


@cache
def _ids_by_slug() -> dict[str, str]:
    return {slug(c.nom): c.id for c in benin_geo.communes}


def gather(*, uow: UnitOfWork, commune: Commune, page: int, language: str) -> PageFacts:
    rows = published.page_of_reports(uow=uow, commune_id=commune.id, page=page)
    more, rows = len(rows) > published.PAGE, rows[:published.PAGE]
    return PageFacts(commune=commune, page=page, reports=_reports(uow, rows, language),
                     more=more, figures=published.figures(uow=uow, commune_id=commune.id),
                     projects=projects.listed(uow=uow, commune_id=commune.id, limit=PROJECTS),
                     next_sitting=next(iter(council.upcoming(uow=uow, commune_id=commune.id,
                                                             limit=1)), None),
                     last_sitting=council.last_ended(uow=uow, commune_id=commune.id),
                     documents=documents.listed(uow=uow, commune_id=commune.id,
                                                limit=DOCUMENTS))


def _reports(uow: UnitOfWork, rows: list[Submission], language: str) -> list[Report]:
    ids = [r.id for r in rows if r.id is not None]
    notes = open311.latest_public_notes(uow=uow, submission_ids=ids)
    categories = open311.categories_by_id(uow=uow, ids=[r.category_id for r in rows])
    places = open311.arrondissements_by_id(uow=uow, ids=[r.arrondissement_id for r in rows])
    found = []
    for row in rows:
        category = categories.get(row.category_id or 0)
        names = category.names if category else {}
        arrondissement = places.get(row.arrondissement_id or "")
        place = ", ".join(p for p in (row.place_text, arrondissement.name if arrondissement
                                      else None) if p)
        found.append(Report(row.reference, row.created_at, row.status,
                            names.get(language) or names.get("fr") or "", place,
                            _short(row.description), notes.get(row.id or 0)))
    return found


def _short(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"

"""An in-memory Lookup for dialog tests: Cotonou with a few categories, services,
arrondissements, submissions and ideas, and the citizen who is talking."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.geo import Point, normalise_name
from core.submissions.references import parse_reference
from dialogs.engine import (
    Citizen,
    CouncilView,
    DocumentView,
    FollowUpView,
    ProjectView,
    Prompt,
    Say,
    SubmissionView,
    SurveyView,
)

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
COTONOU = "BJ-LI-COT"
CALAVI = "BJ-AQ-ABO"

# Ids as the database would give them; names per language as the seed has them.
CATEGORIES = {1: {"fr": "Voirie, route, pont", "en": "Road, street, bridge"},
              2: {"fr": "Caniveau, inondation", "en": "Drain, flooding"},
              3: {"fr": "Éclairage public", "en": "Street light"}}
SERVICES = {11: {"fr": "État civil", "en": "Civil registry"},
            12: {"fr": "Affaires domaniales", "en": "Land office"}}
ARRONDISSEMENTS = [("BJ-LI-COT-01", "1er Arrondissement"), ("BJ-LI-COT-02", "2ème Arrondissement"),
                   ("BJ-LI-COT-03", "3ème Arrondissement")]


def citizen(**changes: Any) -> Citizen:
    """Afi: onboarded in Cotonou, speaks French, on Telegram."""
    afi = Citizen(id=7, identity_id=70, channel="telegram", language="fr", language_chosen=True,
                  commune_id=COTONOU, commune_name="Cotonou", consented=True)
    return replace(afi, **changes)


def newcomer(**changes: Any) -> Citizen:
    """Someone writing for the first time: no language, no commune, no consent."""
    first_time = {"language_chosen": False, "commune_id": None, "commune_name": None,
                  "consented": False}
    return citizen(**{**first_time, **changes})


def view(reference: str, *, kind: str = "report", status: str = "new",
         title: str = "Caniveau bouché devant l'école", supports: int = 0,
         history: tuple[tuple[Any, str, str | None], ...] = ()) -> SubmissionView:
    return SubmissionView(reference=reference, kind=kind, status=status, title=title,
                          created_at=NOW - timedelta(days=3), updated_at=NOW - timedelta(days=1),
                          history=history, supports=supports)


@dataclass
class FakeLookup:
    """The facts a step may consult, held in memory; records what it was asked."""

    citizen: Citizen = field(default_factory=citizen)
    now: datetime = NOW
    transcribes: bool = False
    enabled_communes: list[tuple[str, str]] = field(
        default_factory=lambda: [(COTONOU, "Cotonou"), (CALAVI, "Abomey-Calavi")])
    submissions: dict[str, SubmissionView] = field(default_factory=dict)
    mine: list[str] = field(default_factory=list)
    ideas: list[str] = field(default_factory=list)
    nearby: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    similar_asked: list[tuple[str, int, Point | None, str | None]] = field(default_factory=list)
    council_view: CouncilView = field(default_factory=CouncilView)
    project_views: list[ProjectView] = field(default_factory=list)
    document_views: list[DocumentView] = field(default_factory=list)
    survey_views: list[SurveyView] = field(default_factory=list)
    follow_ups: list[FollowUpView] = field(default_factory=list)

    def spoken_languages(self) -> list[tuple[str, str]]:
        return [*self.languages(), ("fon", "Fon (Fɔngbè)"), ("yo", "Yoruba (Yorùbá)")]

    def add(self, *views: SubmissionView, mine: bool = False) -> FakeLookup:
        for found in views:
            self.submissions[found.reference] = found
            if mine:
                self.mine.append(found.reference)
            if found.kind == "idea":
                self.ideas.append(found.reference)
        return self

    def council(self, commune_id: str) -> CouncilView:
        return self.council_view

    def projects(self, commune_id: str, *, arrondissement_id: str | None = None,
                 sector: str | None = None) -> list[ProjectView]:
        return [p for p in self.project_views
                if (sector is None or p.sector == sector)
                and (arrondissement_id is None or p.arrondissement == arrondissement_id)]

    def project(self, project_id: int) -> ProjectView | None:
        return next((p for p in self.project_views if p.id == project_id), None)

    def project_sectors(self, commune_id: str) -> list[str]:
        return sorted({p.sector for p in self.project_views})

    def document_kinds(self, commune_id: str) -> list[str]:
        return sorted({d.kind for d in self.document_views})

    def documents(self, commune_id: str, kind: str) -> list[DocumentView]:
        return [d for d in self.document_views if d.kind == kind]

    def surveys(self, commune_id: str) -> list[SurveyView]:
        return [v for v in self.survey_views if v.open]

    def survey(self, survey_id: int) -> SurveyView | None:
        return next((v for v in self.survey_views if v.id == survey_id), None)

    def follow_up(self, followup_id: int) -> FollowUpView | None:
        return next((v for v in self.follow_ups if v.id == followup_id), None)

    def languages(self) -> list[tuple[str, str]]:
        return [("fr", "Français"), ("en", "English")]

    def communes(self) -> list[tuple[str, str]]:
        return list(self.enabled_communes)

    def find_commune(self, text: str) -> tuple[str, str] | None:
        wanted = normalise_name(text)
        if not wanted:
            return None
        exact = [c for c in self.enabled_communes if wanted in (normalise_name(c[0]),
                                                                normalise_name(c[1]))]
        starting = [c for c in self.enabled_communes if normalise_name(c[1]).startswith(wanted)]
        return exact[0] if exact else (starting[0] if len(starting) == 1 else None)

    def categories(self, commune_id: str) -> list[tuple[int, str]]:
        return self._named(CATEGORIES) if commune_id == COTONOU else []

    def services(self, commune_id: str) -> list[tuple[int, str]]:
        return self._named(SERVICES) if commune_id == COTONOU else []

    def arrondissements(self, commune_id: str) -> list[tuple[str, str]]:
        return list(ARRONDISSEMENTS) if commune_id == COTONOU else []

    def match_arrondissement(self, commune_id: str, text: str) -> tuple[str, str] | None:
        wanted = normalise_name(text)
        if len(wanted) < 2:
            return None
        candidates = [(i, n, normalise_name(n)) for i, n in self.arrondissements(commune_id)]
        exact = [(i, n) for i, n, plain in candidates if plain == wanted]
        partial = [(i, n) for i, n, plain in candidates
                   if plain.startswith(wanted) or (len(wanted) >= 4 and wanted in plain)]
        return exact[0] if exact else (partial[0] if len(partial) == 1 else None)

    def similar_reports(self, commune_id: str, category_id: int, location: Point | None,
                        arrondissement_id: str | None) -> list[SubmissionView]:
        self.similar_asked.append((commune_id, category_id, location, arrondissement_id))
        return [self.submissions[ref] for ref in self.nearby]

    def submission(self, reference: str) -> SubmissionView | None:
        canonical = parse_reference(reference)
        return self.submissions.get(canonical) if canonical else None

    def my_submissions(self) -> list[SubmissionView]:
        return [self.submissions[ref] for ref in self.mine]

    def top_ideas(self, commune_id: str) -> list[SubmissionView]:
        ideas = [self.submissions[ref] for ref in self.ideas]
        return sorted(ideas, key=lambda idea: -idea.supports)

    def my_data(self) -> dict[str, Any]:
        return dict(self.facts)

    def link_target(self, code: str) -> str | None:
        return "telegram ••••0123" if code == "482913" else None

    def _named(self, table: dict[int, dict[str, str]]) -> list[tuple[int, str]]:
        language = self.citizen.language
        return [(key, names.get(language) or names["fr"]) for key, names in table.items()]


def keys(says: Iterable[Say]) -> list[str]:
    """The catalog keys of what was said, in order."""
    return [s.key for s in says]


def option_ids(asked: Prompt | None) -> list[str]:
    """The ids of the options a prompt offers."""
    return [o.id for o in asked.options] if asked else []

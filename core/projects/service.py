"""Investment-plan projects: created one by one or imported from the plan's spreadsheet (XLSX
or CSV), their progress reported (followers are told), listed by arrondissement or sector for
the bot.

An import is planned before anything is saved (`plan_import`): each row is checked whole
(every problem it has, with its line), matched with the project of the same code (importing
the plan again updates it: only the columns the file has, a missing column leaves its value
unchanged), and what would change is shown; `apply_import` then saves the valid rows, each
whole or not at all, and tells the followers of a project whose progress or status changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import col, select

from core import errors
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Audience
from core.communes.models import Arrondissement
from core.geo import normalise_name
from core.projects.models import Project, ProjectStatus, ProjectUpdate
from core.projects.sheets import Sheet, read_sheet
from core.uow import UnitOfWork

REQUIRED = ("code", "title", "sector")
COLUMNS = ("code", "title", "plan", "sector", "arrondissement", "latitude", "longitude",
           "budget_fcfa", "funding_source", "starts_on", "ends_on", "status", "progress",
           "description")
FIELDS = {"arrondissement": "arrondissement_id", "latitude": "latitude",
          "longitude": "longitude"}  # a column's project field, where the names differ
MAX_ROWS = 5000
# What mairies write in the status column, in French or English (compared without accents).
STATUS_WORDS = {
    ProjectStatus.PLANNED: ("planned", "prevu", "planifie", "a venir", "programme"),
    ProjectStatus.IN_PROGRESS: ("in_progress", "in progress", "en cours", "demarre",
                                "en execution"),
    ProjectStatus.COMPLETED: ("completed", "termine", "acheve", "realise", "fini",
                              "receptionne"),
    ProjectStatus.SUSPENDED: ("suspended", "suspendu", "arrete", "interrompu"),
}
ENGLISH = {  # the API's words for a row's problems
    "empty": "{column} is empty",
    "not_a_number": "{column} must be a number, not {value!r}",
    "out_of_range": "{column} must be between {low} and {high}",
    "unknown_plan": "plan must be PAI or PDC",
    "unknown_arrondissement": "arrondissement {value!r} is not in the commune",
    "bad_point": "latitude and longitude must be numbers",
    "point_out_of_range": "latitude or longitude out of range",
    "bad_date": "{column} must be a date (2026-03-01 or 01/03/2026)",
    "ends_before_start": "ends_on is before starts_on",
    "unknown_status": "status must be one of planned, in_progress, completed, suspended "
                      "(or en cours, terminé, suspendu, prévu)",
    "duplicate_code": "code {value} appears twice in the file",
    "too_many_rows": "more than {high} rows: the rest is ignored",
}


def topic(project_id: int) -> str:
    """The topic a project's followers subscribe to."""
    return f"project:{project_id}"


@dataclass(frozen=True)
class Problem:
    """What is wrong with one cell of a row (`reason` a stable code the console words)."""

    reason: str
    column: str = ""
    value: str = ""
    low: int = 0
    high: int = 0

    def english(self) -> str:
        return ENGLISH[self.reason].format(column=self.column, value=self.value[:20],
                                           low=self.low, high=self.high)


@dataclass
class PlannedRow:
    line: int
    code: str
    title: str
    action: str = "create"  # create, update, unchanged, rejected
    project_id: int | None = None  # the project of this code, when there is one
    values: dict[str, Any] = field(default_factory=dict)  # checked, by project field
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # an update's: old, new
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What importing a sheet would do, row by row, before anything is saved."""

    columns: list[str]
    rows: list[PlannedRow]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


@dataclass
class ImportReport:
    """What an import did: rows created, updated and unchanged, and each refused row with why."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reasons)


def save(*, uow: UnitOfWork, commune_id: str, values: dict[str, Any]) -> tuple[Project, bool]:
    """Create the project with this code, or update it; (project, created). Values are checked
    as in an import row (Invalid says what is wrong)."""
    row = _plan_row(_known(uow, commune_id), 0, {k: "" if v is None else str(v)
                                                 for k, v in values.items()}, list(values))
    if row.problems:
        raise errors.Invalid(row.problems[0].english())
    project, created, _ = _save(uow, commune_id, row)
    return project, created


def plan_import(*, uow: UnitOfWork, commune_id: str, data: bytes) -> ImportPlan:
    """What importing this spreadsheet would do; nothing is saved. Invalid (reason
    "columns", with the missing and unknown ones) when its columns are not a plan's."""
    sheet = read_sheet(data)
    _check_columns(sheet)
    plan, seen, known = ImportPlan(columns=sheet.header, rows=[]), set(), _known(uow, commune_id)
    for number, (line, values) in enumerate(sheet.rows, start=1):
        if number > MAX_ROWS:
            plan.rows.append(PlannedRow(line, "", "", "rejected", problems=[
                Problem("too_many_rows", high=MAX_ROWS)]))
            break
        row = _plan_row(known, line, values, sheet.header)
        if row.code and row.code in seen:
            row.problems.insert(0, Problem("duplicate_code", "code", row.code))
        seen.add(row.code)
        if row.problems:
            row.action = "rejected"
        plan.rows.append(row)
    return plan


def apply_import(*, uow: UnitOfWork, commune_id: str, plan: ImportPlan,
                 actor: str) -> ImportReport:
    """Save the plan's valid rows (each whole or not at all); the followers of a project
    whose progress or status changed are told."""
    report = ImportReport()
    for row in plan.rows:
        if row.action == "rejected":
            report.rejected.append((row.line, "; ".join(p.english() for p in row.problems)))
            continue
        if row.action == "unchanged":
            report.unchanged += 1
            continue
        with uow.session.begin_nested():
            project, created, moved = _save(uow, commune_id, row)
            if moved:
                _record_progress(uow, project, note="", actor=actor)
        report.created += created
        report.updated += not created
    return report


def import_sheet(*, uow: UnitOfWork, commune_id: str, data: bytes, actor: str) -> ImportReport:
    """Plan and apply at once (the API's import)."""
    return apply_import(uow=uow, commune_id=commune_id,
                        plan=plan_import(uow=uow, commune_id=commune_id, data=data),
                        actor=actor)


def import_csv(*, uow: UnitOfWork, commune_id: str, text: str,
               actor: str = "import") -> ImportReport:
    return import_sheet(uow=uow, commune_id=commune_id, data=text.encode("utf-8"),
                        actor=actor)


def _check_columns(sheet: Sheet) -> None:
    missing = [c for c in REQUIRED if c not in sheet.header]
    unknown = [h for h in sheet.header if h not in COLUMNS]
    if missing or unknown:
        raise errors.Invalid(f"Columns: missing {', '.join(missing) or 'none'}, unknown "
                             f"{', '.join(unknown) or 'none'}; expected {', '.join(COLUMNS)}.",
                             reason="columns", missing=missing, unknown=unknown)


@dataclass(frozen=True)
class _Known:
    """What a plan's rows are checked against, read once for all of them: the commune's
    arrondissements (by id and by folded name) and its projects by code."""

    places: dict[str, str]
    projects: dict[str, Project]


def _known(uow: UnitOfWork, commune_id: str) -> _Known:
    places: dict[str, str] = {}
    for place in uow.session.exec(select(Arrondissement).where(
            Arrondissement.commune_id == commune_id)):
        places[place.id] = places[place.search_name] = place.id
    return _Known(places, {p.code: p for p in uow.session.exec(select(Project).where(
        Project.commune_id == commune_id))})


def _plan_row(known: _Known, line: int, values: dict[str, str],
              columns: list[str]) -> PlannedRow:
    """One row checked whole (every problem), matched with the project of its code."""
    code = values.get("code", "").strip()[:40]
    row = PlannedRow(line, code, values.get("title", "").strip()[:200])
    given = [c for c in COLUMNS if c in columns]
    checked: dict[str, Any] = {}
    for column in (c for c in given if c not in ("latitude", "longitude")):
        try:
            checked[FIELDS.get(column, column)] = _value(known, column,
                                                         values.get(column, ""))
        except _Refused as refused:
            row.problems.append(refused.problem)
    if "latitude" in given or "longitude" in given:
        try:
            checked["latitude"], checked["longitude"] = _point(values.get("latitude", ""),
                                                               values.get("longitude", ""))
        except _Refused as refused:
            row.problems.append(refused.problem)
    existing = known.projects.get(code) if code else None
    starts = checked.get("starts_on", existing.starts_on if existing else None)
    ends = checked.get("ends_on", existing.ends_on if existing else None)
    if starts and ends and ends < starts:
        row.problems.append(Problem("ends_before_start", "ends_on"))
    if row.problems:
        row.action = "rejected"
        return row
    row.values = checked
    if existing is None:
        return row
    row.project_id = existing.id
    row.changes = {name: (getattr(existing, name), value) for name, value in checked.items()
                   if getattr(existing, name) != value}
    row.action = "update" if row.changes else "unchanged"
    return row


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


def _value(known: _Known, column: str, raw: str) -> Any:
    text = raw.strip()
    if column in REQUIRED:
        if not text:
            raise _Refused(Problem("empty", column))
        return text[:200 if column == "title" else 40 if column == "code" else 60]
    if column == "plan":
        plan = (text or "PAI").upper()
        if plan not in ("PAI", "PDC"):
            raise _Refused(Problem("unknown_plan", column, text))
        return plan
    if column == "arrondissement":
        return _arrondissement(known, text)
    if column == "budget_fcfa":
        return _number(text, column, 0, 10**13)
    if column == "progress":
        return _number(text.rstrip("% "), column, 0, 100)
    if column in ("starts_on", "ends_on"):
        return _date(text, column)
    if column == "status":
        return _status(text)
    return text[:120 if column == "funding_source" else 4000]  # funding_source, description


def _status(text: str) -> str:
    if not text:
        return ProjectStatus.PLANNED
    folded = normalise_name(text).replace("-", " ")
    for status, words in STATUS_WORDS.items():
        if folded in words or folded.replace(" ", "_") in words:
            return status
    raise _Refused(Problem("unknown_status", "status", text))


def _arrondissement(known: _Known, text: str) -> str | None:
    if not text:
        return None
    found = known.places.get(text) or known.places.get(normalise_name(text))
    if found is None:
        raise _Refused(Problem("unknown_arrondissement", "arrondissement", text))
    return found


def _point(latitude: str, longitude: str) -> tuple[float | None, float | None]:
    if not latitude.strip() and not longitude.strip():
        return None, None
    try:
        lat, lon = float(latitude.replace(",", ".")), float(longitude.replace(",", "."))
    except ValueError:
        raise _Refused(Problem("bad_point", "latitude")) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _Refused(Problem("point_out_of_range", "latitude"))
    return lat, lon


GROUPED = re.compile(r"^\d{1,3}([.,'])\d{3}(\1\d{3})*$")  # 8.750.000, 8,750,000, 8'750'000


def _number(raw: str, column: str, low: int, high: int) -> int:
    """A whole number as mairies type amounts: 45 000 000, 8.750.000, 12000000 FCFA, 35,5."""
    text = re.sub(r"[\s\u202f\xa0]", "", raw)
    text = re.sub(r"(?i)f\.?cfa$|f$", "", text) or "0"
    if GROUPED.match(text):
        text = re.sub(r"[.,']", "", text)
    try:
        number = int(float(text.replace(",", ".")))
    except ValueError:
        raise _Refused(Problem("not_a_number", column, raw)) from None
    if not low <= number <= high:
        raise _Refused(Problem("out_of_range", column, raw, low, high))
    return number


def _date(text: str, column: str) -> date | None:
    if not text:
        return None
    for parse in (date.fromisoformat, _french_date):
        try:
            return parse(text)
        except ValueError:
            continue
    raise _Refused(Problem("bad_date", column, text))


def _french_date(text: str) -> date:
    day, month, year = text.replace("-", "/").replace(".", "/").split("/")
    return date(int(year), int(month), int(day))


def _save(uow: UnitOfWork, commune_id: str, row: PlannedRow) -> tuple[Project, bool, bool]:
    """Save a planned row: (project, created, progress or status moved)."""
    now = uow.clock.now()
    existing = uow.session.get(Project, row.project_id) if row.project_id else None
    if existing is None:
        project = Project(commune_id=commune_id, created_at=now, updated_at=now, **row.values)
        uow.session.add(project)
        uow.session.flush()
        return project, True, False
    moved = "progress" in row.changes or "status" in row.changes
    for name, value in row.values.items():
        setattr(existing, name, value)
    existing.updated_at = now
    uow.session.add(existing)
    uow.session.flush()
    return existing, False, moved


def report_progress(*, uow: UnitOfWork, project_id: int, progress: int, status: str | None,
                    note: str, actor: str) -> ProjectUpdate:
    """Record progress; the project's followers are told in their language."""
    project = get(uow=uow, project_id=project_id)
    if not 0 <= progress <= 100:
        raise errors.Invalid("progress must be between 0 and 100")
    chosen = status or (ProjectStatus.COMPLETED if progress == 100 else
                        ProjectStatus.IN_PROGRESS if progress > 0 else project.status)
    if chosen not in set(ProjectStatus):
        raise errors.Invalid(f"status must be one of {', '.join(ProjectStatus)}")
    project.progress, project.status = progress, chosen
    return _record_progress(uow, project, note=note, actor=actor)


def _record_progress(uow: UnitOfWork, project: Project, *, note: str,
                     actor: str) -> ProjectUpdate:
    """Keep the project's progress and status as they now are in its history, and tell its
    followers (suspended and completed in their own words, not as a percentage)."""
    assert project.id is not None
    now = uow.clock.now()
    project.updated_at = now
    update = ProjectUpdate(project_id=project.id, progress=project.progress,
                           status=project.status, note=note.strip()[:2000], by=actor[:80],
                           at=now)
    uow.session.add_all([project, update])
    key = {ProjectStatus.SUSPENDED: "project.suspended",
           ProjectStatus.COMPLETED: "project.completed"}.get(ProjectStatus(project.status),
                                                             "project.update")
    try:
        broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
            commune_id=project.commune_id, text=f"{project.title}: {update.progress}%",
            created_by=update.by, audience=Audience.TOPIC, topic=topic(project.id),
            key=key, purpose="status_update",
            params={"title": project.title, "progress": update.progress,
                    "status": update.status, "note": update.note}))
    except errors.Invalid:  # nobody follows it
        pass
    return update


def get(*, uow: UnitOfWork, project_id: int) -> Project:
    found = uow.session.get(Project, project_id)
    if found is None:
        raise errors.NotFound(f"No project {project_id}.")
    return found


def listed(*, uow: UnitOfWork, commune_id: str, arrondissement_id: str | None = None,
           sector: str | None = None, limit: int = 10) -> list[Project]:
    """A commune's projects, the most advanced first, by arrondissement or sector."""
    query = select(Project).where(Project.commune_id == commune_id)
    if arrondissement_id:
        query = query.where(Project.arrondissement_id == arrondissement_id)
    if sector:
        query = query.where(Project.sector == sector)
    return list(uow.session.exec(query.order_by(col(Project.progress).desc(),
                                                col(Project.id)).limit(limit)).all())


def sectors(*, uow: UnitOfWork, commune_id: str) -> list[str]:
    return sorted(set(uow.session.exec(select(Project.sector).where(
        Project.commune_id == commune_id)).all()))

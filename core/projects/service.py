"""Investment-plan projects: created one by one or imported from the plan's spreadsheet (CSV),
their progress reported (followers are told), listed by arrondissement or sector for the bot.

A CSV import takes every valid row (a project is matched by its code, so importing the same
plan again updates it) and reports each rejected row with its line and why; a row is either
imported whole or not at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
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
from core.uow import UnitOfWork

REQUIRED = ("code", "title", "sector")
COLUMNS = ("code", "title", "plan", "sector", "arrondissement", "latitude", "longitude",
           "budget_fcfa", "funding_source", "starts_on", "ends_on", "status", "progress",
           "description")
MAX_ROWS = 5000


def topic(project_id: int) -> str:
    """The topic a project's followers subscribe to."""
    return f"project:{project_id}"


@dataclass
class ImportReport:
    """What an import did: rows created and updated, and each refused row with why."""

    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def save(*, uow: UnitOfWork, commune_id: str, values: dict[str, Any]) -> tuple[Project, bool]:
    """Create the project with this code, or update it; (project, created). Values are checked
    as in an import row (Invalid says what is wrong)."""
    checked = _checked(uow, commune_id, values)
    existing = uow.session.exec(select(Project).where(
        Project.commune_id == commune_id, Project.code == checked["code"])).first()
    now = uow.clock.now()
    project = existing or Project(commune_id=commune_id, created_at=now, updated_at=now,
                                  **checked)
    if existing is not None:
        for name, value in checked.items():
            setattr(existing, name, value)
        existing.updated_at = now
    uow.session.add(project)
    uow.session.flush()
    return project, existing is None


def import_csv(*, uow: UnitOfWork, commune_id: str, text: str) -> ImportReport:
    """Import a plan's rows; refuse the file as a whole only when its columns are wrong."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=_delimiter(text))
    header = [normalise_name(h).replace(" ", "_") for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        raise errors.Invalid(f"CSV columns: missing {', '.join(missing) or 'none'}, unknown "
                             f"{', '.join(unknown) or 'none'}; expected {', '.join(COLUMNS)}.")
    report, seen = ImportReport(), set()
    for line, row in enumerate(_rows(reader, header), start=2):
        if line - 1 > MAX_ROWS:
            report.rejected.append((line, f"more than {MAX_ROWS} rows: the rest is ignored"))
            break
        code = (row.get("code") or "").strip()
        if code in seen:
            report.rejected.append((line, f"code {code} appears twice in the file"))
            continue
        seen.add(code)
        try:
            with uow.session.begin_nested():
                _, created = save(uow=uow, commune_id=commune_id, values=row)
        except errors.Invalid as refused:
            report.rejected.append((line, str(refused)))
            continue
        report.created += created
        report.updated += not created
    return report


def _delimiter(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","  # French spreadsheets use ;


def _rows(reader: csv.DictReader[str], header: list[str]) -> Iterable[dict[str, Any]]:
    for raw in reader:
        values = list(raw.values())
        yield {name: (value or "").strip() for name, value in zip(header, values, strict=False)
               if isinstance(value, str)}


def _checked(uow: UnitOfWork, commune_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """A row's values, typed and checked; Invalid names the first problem."""
    out: dict[str, Any] = {}
    for name in REQUIRED:
        text = str(values.get(name) or "").strip()
        if not text:
            raise errors.Invalid(f"{name} is empty")
        out[name] = text[:200 if name == "title" else 60]
    out["code"] = out["code"][:40]
    out["plan"] = (str(values.get("plan") or "PAI").strip().upper() or "PAI")[:8]
    if out["plan"] not in ("PAI", "PDC"):
        raise errors.Invalid("plan must be PAI or PDC")
    out["arrondissement_id"] = _arrondissement(uow, commune_id, values.get("arrondissement"))
    out["latitude"], out["longitude"] = _point(values.get("latitude"), values.get("longitude"))
    out["budget_fcfa"] = _number(values.get("budget_fcfa"), "budget_fcfa", 0, 10**13)
    out["progress"] = _number(values.get("progress"), "progress", 0, 100)
    out["funding_source"] = str(values.get("funding_source") or "").strip()[:120]
    out["description"] = str(values.get("description") or "").strip()[:4000]
    out["starts_on"] = _date(values.get("starts_on"), "starts_on")
    out["ends_on"] = _date(values.get("ends_on"), "ends_on")
    if out["starts_on"] and out["ends_on"] and out["ends_on"] < out["starts_on"]:
        raise errors.Invalid("ends_on is before starts_on")
    status = str(values.get("status") or ProjectStatus.PLANNED).strip().lower()
    if status not in set(ProjectStatus):
        raise errors.Invalid(f"status must be one of {', '.join(ProjectStatus)}")
    out["status"] = status
    return out


def _arrondissement(uow: UnitOfWork, commune_id: str, value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    for row in uow.session.exec(select(Arrondissement).where(
            Arrondissement.commune_id == commune_id)):
        if text == row.id or normalise_name(text) == row.search_name:
            return row.id
    raise errors.Invalid(f"arrondissement {text!r} is not in the commune")


def _point(latitude: Any, longitude: Any) -> tuple[float | None, float | None]:
    if not latitude and not longitude:
        return None, None
    try:
        lat, lon = float(str(latitude).replace(",", ".")), float(str(longitude).replace(",", "."))
    except ValueError as exc:
        raise errors.Invalid("latitude and longitude must be numbers") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise errors.Invalid("latitude or longitude out of range")
    return lat, lon


def _number(value: Any, name: str, low: int, high: int) -> int:
    text = str(value or "0").replace(" ", "").replace("\u202f", "").replace("\xa0", "")
    try:
        number = int(float(text.replace(",", ".")))
    except ValueError as exc:
        raise errors.Invalid(f"{name} must be a number, not {str(value)[:20]!r}") from exc
    if not low <= number <= high:
        raise errors.Invalid(f"{name} must be between {low} and {high}")
    return number


def _date(value: Any, name: str) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    for parse in (date.fromisoformat, _french_date):
        try:
            return parse(text)
        except ValueError:
            continue
    raise errors.Invalid(f"{name} must be a date (2026-03-01 or 01/03/2026)")


def _french_date(text: str) -> date:
    day, month, year = text.split("/")
    return date(int(year), int(month), int(day))


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
    now = uow.clock.now()
    project.progress, project.status, project.updated_at = progress, chosen, now
    update = ProjectUpdate(project_id=project_id, progress=progress, status=chosen,
                           note=note.strip()[:2000], by=actor[:80], at=now)
    uow.session.add_all([project, update])
    _tell_followers(uow, project, update)
    return update


def _tell_followers(uow: UnitOfWork, project: Project, update: ProjectUpdate) -> None:
    assert project.id is not None
    try:
        broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
            commune_id=project.commune_id, text=f"{project.title}: {update.progress}%",
            created_by=update.by, audience=Audience.TOPIC, topic=topic(project.id),
            key="project.update", purpose="status_update",
            params={"title": project.title, "progress": update.progress,
                    "status": update.status, "note": update.note}))
    except errors.Invalid:  # nobody follows it
        return


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

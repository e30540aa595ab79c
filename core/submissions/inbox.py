"""The moderators' inbox: filtered, sorted submissions in pages with a keyset cursor."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    cast,
    exists,
    func,
    literal_column,
    or_,
)
from sqlmodel import col, select

from core import errors
from core.messages.models import Attachment
from core.submissions import search
from core.submissions.models import Submission
from core.submissions.references import parse_reference
from core.uow import UnitOfWork

MAX_PAGE = 100
SORTS = {"created": Submission.created_at, "updated": Submission.updated_at}


@dataclass(frozen=True)
class InboxFilter:
    """What to show; an empty field means no filter on it."""

    communes: frozenset[str] | None = None  # what the moderator may see; None: all
    commune_id: str | None = None
    kinds: Collection[str] = ()
    statuses: Collection[str] = ()
    category_id: int | None = None
    arrondissement_id: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    priority: str | None = None
    label: str | None = None
    has_voice: bool | None = None
    has_photo: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    include_hidden: bool = False


@dataclass(frozen=True)
class Page:
    items: list[Submission] = field(default_factory=list)
    next_cursor: str | None = None


def inbox(*, uow: UnitOfWork, wanted: InboxFilter, sort: str = "created",
          descending: bool = True, limit: int = 50, cursor: str | None = None) -> Page:
    """One page of submissions; pass `next_cursor` back for the next one."""
    found = _matches(uow, wanted.text) if wanted.text else None
    # Starting from the few rows a search index found: the other filters must not make the
    # planner walk their own index instead (SQLite's unary + keeps a term off indexes).
    unindexed = found is not None and found.from_index_rows
    key = _column(sort + "_at", unindexed)
    query = select(Submission).where(*_conditions(wanted, unindexed))
    if found is not None:
        query = query.where(found.condition)
    if cursor:
        query = query.where(_after(cursor, key, descending))
    order = (key.desc(), col(Submission.id).desc()) if descending else (key, col(Submission.id))
    size = max(1, min(limit, MAX_PAGE))
    rows = list(uow.session.exec(query.order_by(*order).limit(size + 1)).all())
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows and more else None
    return Page(rows, _cursor(getattr(last, sort + "_at"), last.id) if last else None)


def count(*, uow: UnitOfWork, wanted: InboxFilter, after_id: int | None = None,
          at_most: int | None = None) -> int:
    """How many submissions the filter holds (a folder's count); with `after_id`, only those
    filed after that one (what arrived since a page was shown); with `at_most`, counting stops
    past that many (a common word's matches: "more than 1,000" is all a person needs, and
    counting all of them would read the whole table)."""
    found = _matches(uow, wanted.text) if wanted.text else None
    query = select(col(Submission.id)).where(*_conditions(wanted))
    if after_id is not None:
        query = query.where(col(Submission.id) > after_id)
    if found is not None:
        query = query.where(found.condition)
    if at_most is not None:
        query = query.limit(at_most + 1)
    return int(uow.session.exec(select(func.count()).select_from(query.subquery())).one())


def points(*, uow: UnitOfWork, wanted: InboxFilter,
           limit: int = 2000) -> list[tuple[str, float, float, str]]:
    """Where the filter's newest submissions were pinned: (reference, latitude, longitude,
    status), those without a pin left out."""
    found = _matches(uow, wanted.text) if wanted.text else None
    query = select(Submission.reference, Submission.latitude, Submission.longitude,
                   Submission.status).where(*_conditions(wanted),
                                            col(Submission.latitude).is_not(None),
                                            col(Submission.longitude).is_not(None))
    if found is not None:
        query = query.where(found.condition)
    order = (col(Submission.created_at).desc(), col(Submission.id).desc())
    rows = uow.session.exec(query.order_by(*order).limit(limit)).all()
    return [(ref, float(lat or 0), float(lon or 0), str(status))  # never None: filtered
            for ref, lat, lon, status in rows]


def _column(name: str, unindexed: bool = False) -> Any:
    """A column of submission; `unindexed`: as `+submission.name`, which SQLite will not
    serve from an index (elsewhere the + changes nothing)."""
    column = col(getattr(Submission, name))
    if not unindexed:
        return column
    return literal_column(f"+submission.{name}", type_=Submission.__table__.c[name].type)  # type: ignore[attr-defined]


def _conditions(wanted: InboxFilter, unindexed: bool = False) -> list[ColumnElement[bool]]:
    s, w = Submission, wanted

    def c(name: str) -> Any:
        return _column(name, unindexed)

    given: list[tuple[object, Callable[[], ColumnElement[bool]]]] = [
        (w.communes is not None, lambda: c("commune_id").in_(sorted(w.communes or ()))),
        (w.commune_id, lambda: c("commune_id") == w.commune_id),
        (w.kinds, lambda: c("kind").in_(list(w.kinds))),
        (w.statuses, lambda: c("status").in_(list(w.statuses))),
        (w.category_id is not None, lambda: c("category_id") == w.category_id),
        (w.arrondissement_id, lambda: c("arrondissement_id") == w.arrondissement_id),
        (w.assignee_id is not None, lambda: c("assignee_id") == w.assignee_id),
        (w.unassigned, lambda: c("assignee_id").is_(None)),
        (w.priority, lambda: col(s.priority) == w.priority),
        (w.created_from, lambda: c("created_at") >= w.created_from),
        (w.created_to, lambda: c("created_at") < w.created_to),
        (not w.include_hidden, lambda: col(s.hidden).is_(False)),
        (w.has_voice is not None, lambda: _has(("voice", "audio"), w.has_voice)),
        (w.has_photo is not None, lambda: _has(("photo",), w.has_photo)),
        (w.label, lambda: cast(col(s.labels), Text).contains(json.dumps(w.label))),
    ]
    return [make() for active, make in given if active]


def _has(kinds: tuple[str, ...], present: bool | None) -> ColumnElement[bool]:
    attached = exists().where(col(Attachment.submission_id) == col(Submission.id),
                              col(Attachment.kind).in_(kinds))
    return attached if present else ~attached


def _matches(uow: UnitOfWork, text: str) -> search.Match:
    """A reference alone is looked up; otherwise every word appears in the title, the
    description or the reference (any case, with or without accents)."""
    reference = parse_reference(text) if len(text.split()) <= 4 else None
    if reference is not None and _only_reference(text, reference):
        return search.Match(col(Submission.reference) == reference)
    return search.matches(uow.session, text)


def _only_reference(text: str, reference: str) -> bool:
    """Whether the text is nothing but that reference, however it was typed."""
    rest = text.upper().replace(reference[:3], "", 1).replace(reference[4:7], "", 1)
    return not any(c.isalpha() for c in rest)


def _cursor(value: datetime, submission_id: int | None) -> str:
    raw = json.dumps([value.isoformat(), submission_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str, key: Any, descending: bool) -> ColumnElement[bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value_text, last_id = json.loads(raw)
        value, last_id = datetime.fromisoformat(value_text), int(last_id)
        if value.tzinfo is None:
            raise ValueError("naive cursor")
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise errors.Invalid("this cursor is not one Palabre gave") from exc
    # Written so that an index on the sort key seeks straight to the cursor.
    ident = col(Submission.id)
    if descending:
        return and_(key <= value, or_(key < value, ident < last_id))
    return and_(key >= value, or_(key > value, ident > last_id))

"""What an inbox page was asked for: its folder and every filter of the API's inbox, as the
filter form sends them and the page's links (next page, export, new items, bulk) carry them
on. A field left empty, or holding what no filter knows, narrows nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import Query

from core.moderation.models import Moderator
from core.moderation.service import communes_visible_to
from core.submissions.inbox import InboxFilter
from core.submissions.models import Kind, Priority, Status
from core.submissions.scheduled import OVERDUE
from core.submissions.service import LOCAL_TZ

FOLDERS = ("all", "new", "mine", "unassigned", "overdue", "reopened")
MOST = 500  # items one bulk action may touch (the newest of the filter's, for "all of them")
OPEN = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED)
Field = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True)
class Asked:
    folder: str = "all"
    q: str = ""
    status: str = ""
    kind: str = ""
    category: str = ""
    arrondissement: str = ""
    assignee: str = ""  # a moderator's id, or "me"
    priority: str = ""
    label: str = ""
    photo: str = ""  # "1": only those holding one
    voice: str = ""
    since: str = ""  # a day, 2026-11-30: from its start in Benin
    until: str = ""  # a day: to its end

    @classmethod
    def from_query(cls, text: str) -> Asked:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v[:200] for k, v in parse_qsl(text) if k in known})

    def query(self, **changes: str) -> str:
        """The query string of this page (with `changes`), empty fields left out."""
        values = {**asdict(self), **changes}
        return urlencode({k: v for k, v in values.items() if v})

    def narrowed(self) -> bool:
        """Whether a filter beyond the folder and the search box is set."""
        return any(v for k, v in asdict(self).items() if k not in ("folder", "q"))

    def more(self) -> bool:
        """Whether one of the "more filters" is set (their part of the form shows open)."""
        return any(v for k, v in asdict(self).items()
                   if k not in ("folder", "q", "status", "kind"))

    def filter(self, moderator: Moderator) -> InboxFilter:
        """The inbox filter: the folder's, within the moderator's communes, narrowed."""
        wanted = replace(folder_filter(self.folder, moderator), text=self.q.strip() or None)
        return replace(wanted, **{k: v for k, v in self._narrowing(moderator).items()
                                  if v is not None})

    def _narrowing(self, moderator: Moderator) -> dict[str, object]:
        return {
            "statuses": (Status(self.status),) if self.status in set(Status) else None,
            "kinds": (Kind(self.kind),) if self.kind in set(Kind) else None,
            "category_id": int(self.category) if self.category.isdigit() else None,
            "arrondissement_id": self.arrondissement or None,
            "assignee_id": moderator.id if self.assignee == "me" else
            int(self.assignee) if self.assignee.isdigit() else None,
            "priority": Priority(self.priority) if self.priority in set(Priority) else None,
            "label": self.label.strip() or None,
            "has_photo": True if self.photo else None,
            "has_voice": True if self.voice else None,
            "created_from": _day(self.since),
            "created_to": _day(self.until, end=True),
        }


def asked(folder: Field = "all", q: Field = "", status: Field = "", kind: Field = "",
          category: Field = "", arrondissement: Field = "", assignee: Field = "",
          priority: Field = "", label: Field = "", photo: Field = "", voice: Field = "",
          since: Field = "", until: Field = "") -> Asked:
    """The inbox's query string (a dependency)."""
    return Asked(folder if folder in FOLDERS else "all", q, status, kind, category,
                 arrondissement, assignee, priority, label, photo, voice, since, until)


def folder_filter(folder: str, moderator: Moderator) -> InboxFilter:
    """The filter behind a folder, within the moderator's communes."""
    mine = InboxFilter(communes=communes_visible_to(moderator))
    return {
        "new": replace(mine, statuses=(Status.NEW,)),
        "mine": replace(mine, assignee_id=moderator.id, statuses=OPEN),
        "unassigned": replace(mine, unassigned=True, statuses=OPEN),
        "overdue": replace(mine, label=OVERDUE, statuses=OPEN),
        "reopened": replace(mine, statuses=(Status.REOPENED,)),
    }.get(folder, mine)


def _day(text: str, *, end: bool = False) -> datetime | None:
    """The start (or the end) of a day in Benin, from 2026-11-30; None for anything else."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    start = datetime.combine(day, time(), tzinfo=LOCAL_TZ)
    return start + timedelta(days=1, microseconds=-1) if end else start

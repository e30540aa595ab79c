"""The typical inbox queries: what moderators do all day.

Mostly as a Cotonou moderator (the busiest commune), newest first, 50 a page; the communes each
may see come from `communes_visible_to`, as in the API. A query cycles through a few variants
of its parameters (categories, words, months), so that no single value's luck decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.inbox.data import CATEGORIES, COMMON_WORDS, COTONOU, LABELS, RARE_WORDS, TWO_WORDS, TYPOS
from bench.inbox.generate import Tally, World
from core.moderation.service import communes_visible_to, get_moderator
from core.submissions.inbox import InboxFilter
from core.submissions.models import OPEN_STATUSES, Kind, Status
from palabre.bootstrap import App


@dataclass(frozen=True)
class Call:
    """One inbox call: what a moderator asked for."""

    wanted: InboxFilter
    descending: bool = True
    sort: str = "created"


@dataclass(frozen=True)
class Query:
    """A typical inbox query and the variants it cycles through."""

    name: str
    calls: tuple[Call, ...]


def typical_queries(app: App, world: World, tally: Tally, now: datetime) -> list[Query]:
    """What moderators do all day, mostly as a Cotonou moderator (newest first, 50 a page);
    the communes each may see come from communes_visible_to, as in the API."""
    cotonou = world.places[COTONOU]
    with app.uow_factory() as uow:
        seen = communes_visible_to(get_moderator(uow=uow, name="bench-cot-0"))
        everything = communes_visible_to(get_moderator(uow=uow, name="bench-admin"))
        toffo = communes_visible_to(get_moderator(uow=uow, name="bench-tof-0"))

    def cot(**given: Any) -> InboxFilter:
        return InboxFilter(communes=seen, **given)

    pairs = [(cotonou.categories[code], cotonou.arrondissements[(3 * i) % len(
        cotonou.arrondissements)]) for i, (code, _) in enumerate(CATEGORIES)]
    months = [now - timedelta(days=30 * back) for back in (3, 6, 12, 18, 24, 30)]
    references = tally.references or ["COT-SIG-24-0001"]
    return [
        Query("inbox Cotonou, newest first", (Call(cot()),)),
        Query("inbox Cotonou, recently updated", (Call(cot(), sort="updated"),)),
        Query("inbox all communes (admin)", (Call(InboxFilter(communes=everything)),)),
        Query("inbox Toffo (small commune)", (Call(InboxFilter(communes=toffo)),)),
        Query("status new + acknowledged",
              (Call(cot(statuses=(Status.NEW, Status.ACKNOWLEDGED))),)),
        Query("admin: status new", (Call(InboxFilter(communes=everything,
                                                     statuses=(Status.NEW,))),)),
        Query("kind", tuple(Call(cot(kinds=(k,))) for k in (Kind.COMPLAINT, Kind.IDEA,
                                                           Kind.SUGGESTION))),
        Query("open + unassigned, oldest first",
              (Call(cot(statuses=tuple(sorted(OPEN_STATUSES)), unassigned=True),
                    descending=False),)),
        Query("category + arrondissement",
              tuple(Call(cot(category_id=c, arrondissement_id=a)) for c, a in pairs)),
        Query("assignee", tuple(Call(cot(assignee_id=m)) for m in cotonou.moderators)),
        Query("unassigned", (Call(cot(unassigned=True)),)),
        Query("has photo", (Call(cot(has_photo=True)),)),
        Query("has voice", (Call(cot(has_voice=True)),)),
        Query("date range (30 days)",
              tuple(Call(cot(created_from=m, created_to=m + timedelta(days=30)))
                    for m in months)),
        Query("label", tuple(Call(cot(label=label)) for label in LABELS[:4])),
        Query("search 1 common word", tuple(Call(cot(text=w)) for w in COMMON_WORDS)),
        Query("search 2 words", tuple(Call(cot(text=w)) for w in TWO_WORDS)),
        Query("search rare word", tuple(Call(cot(text=w)) for w in RARE_WORDS)),
        Query("search typo (no match)", tuple(Call(cot(text=w)) for w in TYPOS)),
        Query("search a reference", tuple(Call(cot(text=r)) for r in references)),
    ]


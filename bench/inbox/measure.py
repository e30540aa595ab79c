"""Timing the inbox: every typical query through the real `inbox()`, one unit of work per call
like one HTTP request, beside a baseline measured in the same run.

A query gets a few calls to warm up, then `--repeat` timed calls (fewer when it has used up
`--budget` seconds, never fewer than MIN_REPEAT), cycling through its variants. Deep pagination
follows `next_cursor` page after page and times each page. The baseline, one unit of work
reading one submission by primary key, is what the machine gives right now for the cheapest
request: the report divides every p95 by it, which a shared machine changes less than the
absolute figures.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import col, select

import core.submissions.inbox as inbox_module
from bench.common.measures import Latencies
from bench.common.report import progress
from bench.inbox.queries import Call, Query
from core.submissions.inbox import InboxFilter, Page
from core.submissions.models import Submission
from palabre.bootstrap import App

MIN_REPEAT = 20
WARMUP = 5
PAGE = 50
DEEP_PAGES = 200
DEEP_START = 1000  # the second deep run starts after this many pages
BASELINE = "baseline: one submission by id"


@dataclass
class Measured:
    """The timings of one query on one backend."""

    name: str
    latencies: Latencies = field(default_factory=Latencies)
    rows: int = 0
    note: str = ""
    searched: dict[str, Latencies] = field(default_factory=dict)  # by searched text

    def rows_per_call(self) -> float:
        return self.rows / len(self.latencies.seconds) if self.latencies.seconds else 0.0

    def p95(self) -> float:
        return self.latencies.ms(95) if self.latencies.seconds else math.nan


def timed_page(app: App, call: Call, cursor: str | None = None) -> tuple[float, Page]:
    """One inbox page in its own unit of work, like one request; the seconds it took."""
    started = time.perf_counter()
    with app.uow_factory() as uow:
        page = inbox_module.inbox(uow=uow, wanted=call.wanted, sort=call.sort,
                                  descending=call.descending, limit=PAGE, cursor=cursor)
    return time.perf_counter() - started, page


def warm_up(app: App, calls: itertools.cycle[Call], budget: float) -> None:
    """WARMUP calls, fewer when the query is slow: a tenth of the budget at most."""
    warming = 0.0
    for _ in range(WARMUP):
        warming += timed_page(app, next(calls))[0]
        if warming > budget / 10:
            break


def measure(app: App, query: Query, repeat: int, budget: float) -> Measured:
    """Warm up, then time up to `repeat` calls cycling through the variants."""
    result = Measured(query.name)
    calls = itertools.cycle(query.calls)
    warm_up(app, calls, budget)
    spent = 0.0
    for done in range(1, repeat + 1):
        call = next(calls)
        seconds, page = timed_page(app, call)
        result.latencies.seconds.append(seconds)
        if call.wanted.text:
            result.searched.setdefault(call.wanted.text, Latencies()).seconds.append(seconds)
        result.rows += len(page.items)
        spent += seconds
        if done >= MIN_REPEAT and spent > budget and done < repeat:
            result.note = f"stopped after {budget:.0f} s"
            break
    return result


def measure_baseline(app: App, queries: Sequence[Query], repeat: int) -> Measured:
    """The cheapest request: one unit of work reading one submission by primary key (ids from
    the first query's first page), at least 500 times since it is cheap."""
    _, page = timed_page(app, queries[0].calls[0])
    ids = itertools.cycle([s.id for s in page.items] or [1])
    result = Measured(BASELINE)

    def one() -> float:
        started = time.perf_counter()
        with app.uow_factory() as uow:
            found = uow.session.get(Submission, next(ids))
        result.rows += found is not None
        return time.perf_counter() - started

    for _ in range(WARMUP):
        one()
    result.rows = 0
    result.latencies.seconds = [one() for _ in range(max(repeat, 500))]
    return result


def measure_pages(app: App, name: str, call: Call, cursor: str | None, pages: int,
                  budget: float) -> Measured:
    """Follow next_cursor for `pages` pages from `cursor`, timing every page."""
    result = Measured(name)
    spent = 0.0
    for done in range(1, pages + 1):
        seconds, page = timed_page(app, call, cursor)
        result.latencies.seconds.append(seconds)
        result.rows += len(page.items)
        spent += seconds
        cursor = page.next_cursor
        if cursor is None:
            result.note = f"last page after {done}"
            break
        if done >= MIN_REPEAT and spent > budget and done < pages:
            result.note = f"stopped after {budget:.0f} s"
            break
    return result


def cursor_after(app: App, wanted: InboxFilter, position: int) -> str | None:
    """The cursor the inbox gives after `position` rows of the Cotonou list (newest first),
    computed with one OFFSET query instead of walking a thousand pages."""
    with app.uow_factory() as uow:
        found = uow.session.exec(
            select(Submission.created_at, Submission.id)
            .where(col(Submission.commune_id).in_(sorted(wanted.communes or ())),
                   col(Submission.hidden).is_(False))
            .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
            .offset(position - 1).limit(1)).first()
    if found is None:
        return None
    created_at, submission_id = found
    # the same encoding as core.submissions.inbox._cursor
    raw = json.dumps([created_at.isoformat(), submission_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def measure_deep(app: App, queries: Sequence[Query], budget: float) -> list[Measured]:
    """The Cotonou inbox's first pages and pages after DEEP_START, and the first pages of
    the new + acknowledged list."""
    default = queries[0].calls[0]
    first = measure_pages(app, f"deep: pages 1–{DEEP_PAGES}", default, None, DEEP_PAGES, budget)
    far = cursor_after(app, default.wanted, DEEP_START * PAGE)
    name = f"deep: pages {DEEP_START + 1}–{DEEP_START + DEEP_PAGES}"
    later = (Measured(name, note="not enough rows") if far is None
             else measure_pages(app, name, default, far, DEEP_PAGES, budget))
    status = next(q for q in queries if q.name == "status new + acknowledged").calls[0]
    return [first, later, measure_pages(app, f"deep: new + ack., pages 1–{DEEP_PAGES}", status,
                                        None, DEEP_PAGES, budget)]


def measure_all(app: App, queries: Sequence[Query], repeat: int, budget: float,
                label: str) -> list[Measured]:
    """The baseline, every typical query, then deep pagination of the Cotonou inbox."""
    progress(f"{label}: {BASELINE}")
    results = [measure_baseline(app, queries, repeat)]
    for query in queries:
        progress(f"{label}: {query.name}")
        results.append(measure(app, query, repeat, budget))
    progress(f"{label}: deep pagination")
    return results + measure_deep(app, queries, budget)


class Capture:
    """Keeps the last SELECT on submission the engine ran, to explain it afterwards."""

    def __init__(self, engine: Engine) -> None:
        self.statement: str | None = None
        self.parameters: Any = None
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, _connection: Any, _cursor: Any, statement: str, parameters: Any,
             _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM submission" in statement:
            self.statement, self.parameters = statement, parameters


def plans(app: App, queries: Sequence[Query], capture: Capture) -> list[str]:
    """The plan of the first variant of every query, as each database explains it."""
    lines: list[str] = []
    sqlite = app.engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
    for query in queries:
        timed_page(app, query.calls[0])
        if capture.statement is None:
            continue
        with app.engine.connect() as connection:
            found = connection.exec_driver_sql(prefix + capture.statement,
                                               capture.parameters).all()
        lines.append(f"  {query.name}:")
        lines += [f"      {r[3]}" if sqlite else f"      {r[0]}" for r in found]
    return lines

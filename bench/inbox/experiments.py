"""Changes still under study, tried on the throw-away databases after the default measurement
(`--experiments`), never in the default run.

Each step adds DDL and may replace functions of core.submissions.inbox for the run; steps are
cumulative, in the order `--steps` names them. After each, every query is measured again and
the first two pages of every query variant are compared with what the application returned
before any step. A step whose indexes the migrations already make is skipped, and said so.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, inspect

import core.submissions.inbox as inbox_module
from bench.common.database import database_mb, outside_transaction
from bench.common.report import progress
from bench.inbox.measure import Capture, Measured, measure_all, plans, timed_page
from bench.inbox.queries import Query
from palabre.bootstrap import App

Wrapper = Callable[[Any], Any]  # the function of core.submissions.inbox -> its replacement


@dataclass(frozen=True)
class Step:
    """One experiment: DDL per backend and replacements of functions of
    core.submissions.inbox (each wraps what the previous steps left)."""

    name: str
    what: str
    ddl: Mapping[str, Sequence[str]]
    patches: Mapping[str, Mapping[str, Wrapper]] = field(default_factory=dict)
    default: bool = True  # in the steps run unless --steps names others


STEPS = (
    Step("analyze", "SQLite: ANALYZE (what PRAGMA optimize does when needed)",
         {"sqlite": ("ANALYZE",)}),
)


@dataclass
class StepResult:
    step: Step
    ddl_seconds: float
    size_mb: float
    measured: list[Measured]
    differ: int  # query variants whose first two pages differ from the application's
    plans: list[str] = field(default_factory=list)


@contextmanager
def patched(wrappers: Sequence[tuple[str, Wrapper]]) -> Iterator[None]:
    """Replace functions of core.submissions.inbox for the duration (experiments only)."""
    saved = {name: getattr(inbox_module, name) for name, _ in wrappers}
    for name, wrap in wrappers:
        setattr(inbox_module, name, wrap(getattr(inbox_module, name)))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(inbox_module, name, value)


def fingerprint(app: App, queries: Sequence[Query]) -> list[list[int | None]]:
    """The ids on the first two pages of every query variant, to check that an experiment
    returns what the application returns."""
    found = []
    for call in (c for q in queries for c in q.calls):
        _, first = timed_page(app, call)
        ids = [r.id for r in first.items]
        if first.next_cursor:
            ids += [r.id for r in timed_page(app, call, first.next_cursor)[1].items]
        found.append(ids)
    return found


def created_index(statement: str) -> str | None:
    """The name of the index a CREATE INDEX statement makes."""
    found = re.match(r"CREATE INDEX (\w+)", statement)
    return found.group(1) if found else None


def indexes(engine: Engine) -> set[str]:
    """The indexes of the tables the inbox reads, as the database has them now."""
    found = inspect(engine)
    return {i["name"] for t in ("submission", "attachment") for i in found.get_indexes(t)
            if i["name"]}


def still_to_make(engine: Engine, step: Step, skipped: list[str]) -> list[str] | None:
    """The step's DDL the database lacks; None (and a note) when the migrations made all of
    its indexes already."""
    dialect = engine.dialect.name
    statements = step.ddl.get(dialect, ())
    present = indexes(engine)
    made = [name for name in map(created_index, statements) if name]
    if made and all(name in present for name in made):
        skipped.append(f"{dialect} +{step.name}: skipped, {', '.join(made)} already made "
                       "by the migrations")
        return None
    return [d for d in statements if created_index(d) not in present]


def run_experiments(app: App, queries: Sequence[Query], args: argparse.Namespace,
                    capture: Capture | None, skipped: list[str]) -> list[StepResult]:
    """Apply each step on top of the previous ones and measure everything again."""
    dialect = app.engine.dialect.name
    results = []
    active: list[tuple[str, Wrapper]] = []
    progress(f"{dialect}: the rows the application returns, to compare")
    expected = fingerprint(app, queries)
    for step in [s for name in args.steps for s in STEPS if s.name == name]:
        statements = still_to_make(app.engine, step, skipped)
        changes = step.patches.get(dialect, {})
        if statements is None or (not statements and not changes):
            continue
        progress(f"{dialect}: EXPERIMENT {step.name}")
        started = time.perf_counter()
        outside_transaction(app.engine, statements)
        spent = time.perf_counter() - started
        active += changes.items()
        with patched(active):
            results.append(remeasure(app, queries, args, capture, expected, step, spent))
    return results


def remeasure(app: App, queries: Sequence[Query], args: argparse.Namespace,
              capture: Capture | None, expected: list[list[int | None]], step: Step,
              spent: float) -> StepResult:
    """Every query measured again after a step, its plans, and how many variants differ."""
    label = f"{app.engine.dialect.name} +{step.name}"
    measured = measure_all(app, queries, args.repeat, args.budget, label)
    shown = plans(app, queries, capture) if capture else []
    differ = sum(a != b for a, b in zip(expected, fingerprint(app, queries), strict=True))
    return StepResult(step, spent, database_mb(app.engine), measured, differ, shown)

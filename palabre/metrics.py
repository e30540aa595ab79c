"""`GET /metrics`: the deployment's queues in Prometheus's text format, read from the shared
database (core/messages/queues.py), so that one web process speaks for every process."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import text

from core.db import LEAD_LOCK
from core.messages import queues
from core.uow import UnitOfWork

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
QUANTILES = (0.5, 0.9, 0.99)


def render(uow: UnitOfWork) -> str:
    found = queues.figures(uow=uow)
    lines: list[str] = []

    def metric(name: str, kind: str, about: str,
               samples: Sequence[tuple[str, float]]) -> None:
        lines.extend([f"# HELP {name} {about}", f"# TYPE {name} {kind}"])
        lines.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

    metric("palabre_queue_depth", "gauge", "Items waiting in each queue.",
           [(f'{{queue="{q.name}"}}', q.depth) for q in found.queues])
    metric("palabre_queue_oldest_seconds", "gauge",
           "Age of the oldest item waiting in each queue (0 when empty).",
           [(f'{{queue="{q.name}"}}', q.oldest_s) for q in found.queues])
    metric("palabre_turn_seconds", "summary",
           f"From a message received to its turn handled, over the last {queues.RECENT} turns.",
           _summary(found.turn_s))
    metric("palabre_delivery_seconds", "summary",
           f"From a reply queued to its provider's acceptance, over the last {queues.RECENT}.",
           _summary(found.delivery_s))
    metric("palabre_workers_alive", "gauge", "Processes that beat within the last 30 s.",
           [(f'{{roles="{roles}"}}', count) for roles, count in sorted(found.workers.items())])
    metric("palabre_provider_429_total", "counter",
           "Rate-limit refusals (429) a provider answered, per bot or sender.",
           [(f'{{key="{_escaped(key)}"}}', count) for key, count in sorted(found.pauses.items())])
    if uow.session.get_bind().dialect.name == "postgresql":
        leaders = uow.session.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid = :key AND database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())"), {"key": LEAD_LOCK}).scalar_one()
        metric("palabre_scheduler_leaders", "gauge",
               "Schedulers holding the lead (1 when all is well).", [("", leaders)])
    return "\n".join(lines) + "\n"


def _summary(seconds: list[float]) -> list[tuple[str, float]]:
    """A summary's quantiles, then its "_sum" and "_count" (suffixes of the name)."""
    ordered = sorted(seconds)
    samples = [(f'{{quantile="{q}"}}', _quantile(ordered, q)) for q in QUANTILES]
    return [*samples, ("_sum", sum(ordered)), ("_count", len(ordered))]


def _quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _number(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return repr(round(value, 6)) if isinstance(value, float) else str(value)


def _escaped(label: str) -> str:
    return label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

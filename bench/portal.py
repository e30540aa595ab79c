"""A commune's public page (`/c/{commune}`): the bytes of its first load and its server time
with 100,000 submissions in the database.

The inbox benchmark's generator (bench/inbox) loads the submissions (Cotonou has 40 % of
them); seven reports in ten are then marked sent publicly, and one in twenty gets a public
note from the mairie. Then, through the real application in this process (no network):

- **first load**: the page's HTML and its style sheet, as a phone fetches them before any
  picture (the map and the QR codes are images the page loads afterwards, lazily); goal: at
  most 60 KB;
- **server time**: the page made afresh (its one-minute cache off), pages 1 to 5 in turn,
  against `/healthz` (one `SELECT 1`) in the same run, requests alternating, so that the
  machine's noise touches both; then the page as most readers get it, from the cache;
- the map (its SVG) made afresh.

Run it from the repository root:

    .venv/bin/python -m bench.portal                     # SQLite, and PostgreSQL if set
    .venv/bin/python -m bench.portal --rows 20000 --requests 100 --sqlite-only
    .venv/bin/python -m bench.portal --pg-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from bench.common.cli import at_least, backend_parser, measure_and_print, parse
from bench.common.database import pilot_app
from bench.common.measures import Latencies
from bench.common.report import Columns, machine, progress
from bench.inbox.generate import Tally
from bench.inbox.seed import add_moderators, read_world, seed
from palabre.bootstrap import prepare
from palabre.web import create_web_app
from portal.pages import PageCache

FIRST_LOAD_GOAL = 60_000
PAGE = "/c/cotonou"


@dataclass
class Result:
    backend: str
    submissions: int
    public: int
    html_bytes: int
    css_bytes: int
    fresh: Latencies
    baseline: Latencies
    cached: Latencies
    drawn: Latencies


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    with pilot_app(url, media) as app:
        progress(f"{backend}: migrating and loading {args.rows} submissions")
        prepare(app)
        world = read_world(app)
        add_moderators(app, world)
        seed(app, world, args.rows, datetime.now(UTC).replace(microsecond=0), Tally(), 7)
        public = publish_some(app.engine)
        web = create_web_app(app)
        client = TestClient(web)
        html = client.get(PAGE).content
        css = client.get("/portal/static/portal.css").content
        progress(f"{backend}: {args.requests} pages made afresh, beside /healthz")
        cache = web.state.portal_cache
        web.state.portal_cache = PageCache(0)
        fresh, baseline = Latencies(), Latencies()
        for n in range(args.requests):
            baseline.seconds.append(_timed(client, "/healthz"))
            fresh.seconds.append(_timed(client, f"{PAGE}?page={n % 5 + 1}"))
        drawn = Latencies([_timed(client, f"{PAGE}/carte.svg") for _ in range(20)])
        web.state.portal_cache = cache
        cached = Latencies([_timed(client, PAGE) for _ in range(args.requests)])
        with app.engine.connect() as connection:
            total = connection.execute(text("SELECT count(*) FROM submission")).scalar_one()
        return Result(backend, total, public, len(html), len(css), fresh, baseline, cached,
                      drawn)


def publish_some(engine) -> int:  # type: ignore[no-untyped-def]
    """Seven reports in ten sent publicly; a public note on one in twenty."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE submission SET public = (id % 10 < 7) "
                                "WHERE kind = 'report'"))
        connection.execute(text(
            "INSERT INTO status_change (submission_id, at, from_status, to_status, actor, "
            "public_note) SELECT id, updated_at, 'new', status, 'bench', "
            "'Une équipe est passée' FROM submission WHERE id % 20 = 0 AND kind = 'report'"))
        return int(connection.execute(text(
            "SELECT count(*) FROM submission WHERE public AND kind = 'report'")).scalar_one())


def _timed(client: TestClient, path: str) -> float:
    started = time.perf_counter()
    answer = client.get(path)
    spent = time.perf_counter() - started
    assert answer.status_code == 200, (path, answer.status_code)
    return spent


def report(results: list[Result], args: argparse.Namespace, skipped: str | None) -> str:
    lines = [f"# bench.portal — {machine()}", ""]
    headers = ["backend", "submissions", "public", "first load", "fresh p50", "fresh p95",
               "/healthz p95", "÷ healthz", "cached p95", "map p95"]
    table = Columns((10, 11, 9, 16, 10, 10, 12, 9, 10, 9))
    lines += [table.line(headers), table.rule()]
    for r in results:
        first = r.html_bytes + r.css_bytes
        lines.append(table.line([
            r.backend, f"{r.submissions:,}", f"{r.public:,}",
            f"{first / 1000:.1f} KB ({'≤' if first <= FIRST_LOAD_GOAL else '>'} 60)",
            f"{r.fresh.ms(50):.1f} ms", f"{r.fresh.ms(95):.1f} ms",
            f"{r.baseline.ms(95):.1f} ms", f"{r.fresh.ms(95) / r.baseline.ms(95):.1f}×",
            f"{r.cached.ms(95):.2f} ms", f"{r.drawn.ms(95):.1f} ms"]))
    lines += ["", f"first load: the HTML ({results[0].html_bytes:,} B) and the style sheet "
              f"({results[0].css_bytes:,} B) of {PAGE}, before its images" if results else ""]
    if skipped:
        lines.append(f"PostgreSQL skipped: {skipped}")
    return "\n".join(lines)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = backend_parser("bench.portal", __doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="submissions loaded")
    parser.add_argument("--requests", type=int, default=200, help="pages made afresh")
    args = parse(parser, argv)
    at_least(parser, args, 10, "requests")
    at_least(parser, args, 100, "rows")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return measure_and_print(arguments(argv), run_backend, report)


if __name__ == "__main__":
    raise SystemExit(main())

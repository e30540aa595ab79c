"""The moderators' console on a large database: what a page weighs on a prepaid modem, and
how long the server takes to make it.

Each backend gets a fresh database built by the real migrations, loaded with `--rows`
submissions (default 100,000) shaped like the pilot (bench.inbox's generator: seven communes,
Cotonou heaviest, photos and voice notes, French descriptions). A Cotonou moderator signs in
through the sign-in form, then each page is asked for `--repeat` times through the whole web
application in this process (routing, session, database, template), beside a baseline measured
in the same run: `/healthz`, the floor of a request through the same stack (one `SELECT 1`).
The collector is set as `palabre serve` sets it (`palabre.web.settle_memory`).

It prints, per page (the inbox, a submission, the map's data, the dashboard, and the mairie's
publishing pages: announcements, a live council sitting, projects, documents, a survey's
results, alerts), the first
load's compressed weight (the HTML, the stylesheet and the script, gzip level 6 as a proxy
would serve them; photos are thumbnails loaded lazily, audio never preloaded, so neither
counts) against the 60 KB goal, and p50/p95 server time against the 100 ms goal, with the
ratio to the baseline.

    .venv/bin/python -m bench.console --sqlite-only
    .venv/bin/python -m bench.console --pg-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import gzip
import re
import time
from collections.abc import Callable, Sequence
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
from core.moderation import service as moderation
from core.moderation import signin
from palabre.bootstrap import App, prepare
from palabre.web import create_web_app, settle_memory

DEFAULT_ROWS = 100_000
DEFAULT_REPEAT = 50
WEIGHT_GOAL_KB = 60
TIME_GOAL_MS = 100
PASSWORD = "bench-console-password"
STATIC = Path(__file__).resolve().parents[1] / "admin_api" / "console" / "static"
TABLE = Columns((34, 10, 9, 9, 8), left=1)
COTONOU = "BJ-LI-COT"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    weight_kb: float
    latencies: Latencies


@dataclass(frozen=True)
class Result:
    backend: str
    rows: int
    pages: list[Page]


def gzipped_kb(body: bytes) -> float:
    return len(gzip.compress(body, compresslevel=6)) / 1024


def signed_in(app: App) -> TestClient:
    """A browser of Cotonou's first moderator, signed in through the form."""
    with app.uow_factory() as uow:
        awa = moderation.get_moderator(uow=uow, name="bench-cot-0")
        signin.set_password(uow=uow, token=signin.issue_signin_link(uow=uow, moderator=awa),
                            password=PASSWORD)
        uow.commit()
    client = TestClient(create_web_app(app))
    form = client.get("/console/sign-in").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    answer = client.post("/console/sign-in", follow_redirects=False,
                         data={"name": "bench-cot-0", "password": PASSWORD, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    return client


def a_reference_with_a_photo(app: App) -> str:
    query = text("SELECT s.reference FROM submission s JOIN attachment a "
                 "ON a.submission_id = s.id WHERE s.commune_id = 'BJ-LI-COT' "
                 "AND a.kind = 'photo' ORDER BY s.id DESC LIMIT 1")
    with app.engine.connect() as connection:
        return str(connection.execute(query).scalar_one())


def timed(call: Callable[[], object], repeat: int) -> Latencies:
    latencies = Latencies()
    for _ in range(3):  # warm up: templates compiled, caches filled
        call()
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        latencies.seconds.append(time.perf_counter() - started)
    return latencies


def measure_page(client: TestClient, name: str, path: str, repeat: int,
                 assets: bytes) -> Page:
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    weight = gzipped_kb(first.content) + (gzipped_kb(assets) if assets else 0.0)
    return Page(name, path, weight, timed(lambda: client.get(path), repeat))


def publishing_pages(app: App, client: TestClient, repeat: int, assets: bytes) -> list[Page]:
    """The mairie's publishing pages, with something on each: a plan of 40 projects, a live
    sitting with 30 questions and 10 updates, a survey's results with 200 answer sets."""
    sitting, survey = seed_publishing(app)
    return [measure_page(client, name, path, repeat, assets) for name, path in (
        ("announcements", "/console/announcements"),
        ("council, live sitting", f"/console/council/{sitting}"),
        ("projects (40)", "/console/projects"),
        ("documents", "/console/documents"),
        ("survey results (200 sets)", f"/console/surveys/{survey}/results"),
        ("alerts", "/console/alerts"))]


def seed_publishing(app: App) -> tuple[int, int]:
    """What the publishing pages show, made through core as the console would."""
    from datetime import timedelta

    from core.council import service as council
    from core.council.models import SessionKind
    from core.projects import service as projects
    from core.surveys import service as surveys
    from core.surveys.models import QuestionKind

    rows = "code;title;sector;budget_fcfa;status;progress\n" + "".join(
        f"PAI-{n:03d};Projet {n};routes;{n * 1_000_000};en cours;{n % 100}\n"
        for n in range(40))
    with app.uow_factory() as uow:
        projects.import_sheet(uow=uow, commune_id=COTONOU, data=rows.encode(), actor="bench")
        now = uow.clock.now()
        sitting = council.create(uow=uow, new=council.NewSession(
            commune_id=COTONOU, kind=SessionKind.ORDINARY, title="Session du bench",
            starts_at=now + timedelta(hours=1), created_by="bench"))
        council.go_live(uow=uow, session_id=sitting.id or 0, actor="bench")
        for n in range(10):
            council.post_update(uow=uow, session_id=sitting.id or 0, text=f"Point {n}",
                                actor="bench")
        citizens = [row[0] for row in uow.session.execute(text(
            "SELECT id FROM citizen WHERE commune_id = 'BJ-LI-COT' ORDER BY id LIMIT 200"))]
        for n, citizen in enumerate(citizens[:30]):
            council.ask(uow=uow, session_id=sitting.id or 0, citizen_id=citizen,
                        text=f"Question {n} du bench ?")
        survey = surveys.define(uow=uow, new=surveys.NewSurvey(
            commune_id=COTONOU, title={"fr": "Accueil"}, created_by="bench", questions=[
                surveys.NewQuestion(QuestionKind.RATING, {"fr": "Votre note ?"}),
                surveys.NewQuestion(QuestionKind.YES_NO, {"fr": "Traité ?"}),
                surveys.NewQuestion(QuestionKind.FREE, {"fr": "Un mot ?"})]))
        surveys.launch(uow=uow, survey_id=survey.id or 0, actor="bench",
                       closes_at=now + timedelta(days=7))
        asked = [q.id or 0 for q in surveys.questions(uow=uow, survey_id=survey.id or 0)]
        for n, citizen in enumerate(citizens):
            surveys.start(uow=uow, survey_id=survey.id or 0, citizen_id=citizen,
                          channel="console")
            for question, value, words in ((asked[0], 1 + n % 5, ""), (asked[1], n % 2, ""),
                                           (asked[2], None, f"Merci {n}")):
                surveys.answer(uow=uow, survey_id=survey.id or 0, citizen_id=citizen,
                               question_id=question, value=value, text=words)
            surveys.complete(uow=uow, survey_id=survey.id or 0, citizen_id=citizen)
        uow.commit()
        return sitting.id or 0, survey.id or 0


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    """Load the rows, sign in, and measure each page beside the baseline."""
    with pilot_app(url, media) as app:
        progress(f"{backend}: migrating and loading {args.rows:,} submissions")
        prepare(app)
        world = read_world(app)
        add_moderators(app, world)
        seed(app, world, args.rows, datetime.now(UTC).replace(microsecond=0), Tally(), 2024)
        client = signed_in(app)
        reference = a_reference_with_a_photo(app)
        assets = (STATIC / "console.css").read_bytes() + (STATIC / "console.js").read_bytes()
        settle_memory()  # as `palabre serve` does before serving
        progress(f"{backend}: measuring the pages")
        pages = [measure_page(client, "baseline: /healthz", "/healthz", args.repeat, b""),
                 measure_page(client, "inbox, first page", "/console/", args.repeat, assets),
                 measure_page(client, "inbox, search 'caniveau'", "/console/?q=caniveau",
                              args.repeat, assets),
                 measure_page(client, "inbox, folder 'new'", "/console/?folder=new",
                              args.repeat, assets),
                 measure_page(client, f"a submission ({reference})", f"/console/s/{reference}",
                              args.repeat, assets),
                 measure_page(client, "map data (2,000 pins)", "/console/map.json",
                              args.repeat, b""),
                 measure_page(client, "dashboard", "/console/dashboard", args.repeat,
                              assets),
                 *publishing_pages(app, client, args.repeat, assets)]
        return Result(backend, args.rows, pages)


def report(results: list[Result], args: argparse.Namespace, skipped: str | None) -> str:
    lines = [f"Console pages ({machine()}); {args.repeat} requests each, in process",
             f"goals: first load <= {WEIGHT_GOAL_KB} KB compressed, p95 < {TIME_GOAL_MS} ms",
             ""]
    for result in results:
        base = result.pages[0].latencies.ms(50)
        lines += [f"{result.backend}, {result.rows:,} submissions",
                  TABLE.line(["page", "gzip KB", "p50 ms", "p95 ms", "÷ base"]), TABLE.rule()]
        for page in result.pages:
            marks = ("!" if page.weight_kb > WEIGHT_GOAL_KB else "") + \
                ("*" if page.latencies.ms(95) >= TIME_GOAL_MS else "")
            lines.append(TABLE.line([page.name + (f" {marks}" if marks else ""),
                                     f"{page.weight_kb:.1f}", f"{page.latencies.ms(50):.1f}",
                                     f"{page.latencies.ms(95):.1f}",
                                     f"{page.latencies.ms(50) / base:.1f}"]))
        lines.append("")
    lines.append("! over the weight goal; * p95 over the time goal. The map page's own "
                 "scripts (Leaflet, its clustering) load on that page only and are not counted.")
    if skipped:
        lines.append(skipped)
    return "\n".join(lines)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = backend_parser("bench.console", __doc__)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                        help=f"submissions to load per backend (default {DEFAULT_ROWS:,})")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT,
                        help=f"requests per page (default {DEFAULT_REPEAT})")
    args = parse(parser, argv)
    at_least(parser, args, 1, "rows", "repeat")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return measure_and_print(arguments(argv), run_backend, report)


if __name__ == "__main__":
    raise SystemExit(main())

"""Timing a survey's results: the baseline, `results()` and the CSV export, in rounds.

The baseline reads every answer of the survey's completed sets once (survey_answer joined to
survey_response, fetched into Python as rows): the least any results computation must do, on
the same database at the same moment, so that the ratios survive a noisy shared machine. Each
call is a fresh unit of work, like one HTTP request. The rounds turn the order of the measures,
so that none always comes first, and the figures are checked against what was loaded.
"""

from __future__ import annotations

import cProfile
import csv
import io
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select

from bench.common.measures import Latencies, traced_peak
from bench.common.report import progress
from bench.surveys.seed import Seeded
from core.submissions.stats import SMALLEST_GROUP
from core.surveys.models import QuestionKind, SurveyAnswer, SurveyResponse
from core.surveys.results import SurveyResults, export_rows, results
from palabre.bootstrap import App


def read_answers(app: App, survey_id: int) -> tuple[int, None]:
    """The baseline: every answer of the completed sets, fetched once into Python."""
    answer, response = SurveyAnswer.__table__, SurveyResponse.__table__  # type: ignore[attr-defined]
    with app.uow_factory() as uow:
        found = uow.session.execute(
            select(answer.c.response_id, answer.c.question_id, answer.c.value, answer.c.text,
                   answer.c.attachment_id, answer.c.answered_at)
            .join(response, response.c.id == answer.c.response_id)
            .where(response.c.survey_id == survey_id, response.c.completed_at.is_not(None))
        ).all()
    return len(found), None


def compute_results(app: App, survey_id: int) -> SurveyResults:
    with app.uow_factory() as uow:
        return results(uow=uow, survey_id=survey_id)


def count_results(app: App, survey_id: int) -> tuple[int, SurveyResults]:
    """results(); the answers it counted."""
    found = compute_results(app, survey_id)
    return sum(q.answered for q in found.questions), found


def write_csv(app: App, survey_id: int) -> tuple[int, None]:
    """export_rows() consumed into a csv writer; the rows written, header included."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    written = 0
    with app.uow_factory() as uow:
        for line in export_rows(uow=uow, survey_id=survey_id):
            writer.writerow(line)
            written += 1
    return written, None


MEASURES: tuple[tuple[str, Callable[[App, int], tuple[int, Any]]], ...] = (
    ("baseline: read the answers", read_answers),
    ("results()", count_results),
    ("export_rows() → csv", write_csv),
)


@dataclass
class Measured:
    """One measure's timed calls, what it returned and its peak Python memory."""

    name: str
    latencies: Latencies = field(default_factory=Latencies)
    rows: int = 0
    peak_bytes: int = 0
    kept: Any = None  # what the warm-up call returned (results(): checked afterwards)

    def median_ms(self) -> float:
        return statistics.median(self.latencies.seconds) * 1000


def warm_up(app: App, survey_id: int) -> list[Measured]:
    """One call of each under tracemalloc, for its peak Python memory: this also warms up
    the caches, and is not timed."""
    measured = []
    for name, call in MEASURES:
        progress(f"{app.engine.dialect.name}: {name} under tracemalloc (warm-up)")
        (rows, kept), peak = traced_peak(partial(call, app, survey_id))
        measured.append(Measured(name, rows=rows, peak_bytes=peak, kept=kept))
    return measured


def measure(app: App, survey_id: int, repeat: int) -> list[Measured]:
    """The warm-up, then rounds of every measure, the order turning each round so that none
    always comes first."""
    measured = warm_up(app, survey_id)
    for round_number in range(repeat):
        order = list(range(len(MEASURES)))
        shift = round_number % len(order)
        for index in order[shift:] + order[:shift]:
            started = time.perf_counter()
            rows, _ = MEASURES[index][1](app, survey_id)
            measured[index].latencies.seconds.append(time.perf_counter() - started)
            if rows != measured[index].rows:
                raise SystemExit(f"{MEASURES[index][0]}: {measured[index].rows} rows, then "
                                 f"{rows}")
        progress(f"{app.engine.dialect.name}: round {round_number + 1}/{repeat}")
    return measured


def problems(seeded: Seeded, measured: list[Measured],
             hidden: dict[str, list[str]]) -> list[str]:
    """Where the results, the baseline or the export disagree with what was loaded."""
    found: SurveyResults = measured[1].kept
    wrong = []
    if (found.completed, found.started) != (seeded.completed, seeded.begun):
        wrong.append(f"completed/started {found.completed}/{found.started}, loaded "
                     f"{seeded.completed}/{seeded.begun}")
    for question in found.questions:
        shown = (len(question.free_answers) if question.kind == QuestionKind.FREE
                 else sum(question.distribution.values()))
        if question.answered != seeded.completed or shown != seeded.completed:
            wrong.append(f"question {question.position}: {question.answered} answered, "
                         f"{shown} shown")
    for name, groups in seeded.groups.items():
        small = {g for g, n in groups.items() if n < SMALLEST_GROUP}
        if not small <= set(hidden[name]):
            wrong.append(f"{name}: groups {sorted(small - set(hidden[name]))} not hidden")
    baseline, _, export = measured
    if baseline.rows != seeded.answers:
        wrong.append(f"the baseline read {baseline.rows} answers, loaded {seeded.answers}")
    if export.rows != seeded.answers + 1:
        wrong.append(f"the CSV has {export.rows} rows, expected {seeded.answers + 1}")
    return wrong


def check(seeded: Seeded, measured: list[Measured]) -> list[str]:
    """What the results and the export say, against what was loaded."""
    found: SurveyResults = measured[1].kept
    hidden = {name: sorted(set(seeded.groups[name]) - set(groups))  # left out of the results
              for name, groups in found.breakdowns.items()}
    wrong = problems(seeded, measured, hidden)
    spoken = [a for q in found.questions for a in q.free_answers if a["voice_url"]]
    return [f"results: {found.completed:,} completed of {found.started:,} begun, response "
            f"rate {found.response_rate}; {len(spoken):,} spoken free answers "
            f"({sum(1 for a in spoken if a['transcript']):,} with a transcript); hidden "
            "groups: " + "; ".join(f"{name} {', '.join(groups) or 'none'}"
                                   for name, groups in hidden.items()),
            "checks: " + ("all as loaded" if not wrong else "PROBLEMS: " + "; ".join(wrong))]


def profile_results(app: App, survey_id: int, top: int = 18) -> str:
    """Where one results() call spends its time: the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    compute_results(app, survey_id)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("core/surveys|core/transcripts", top)
    return out.getvalue()

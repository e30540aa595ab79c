"""Survey results on 20,000 answer sets: results() and the CSV export beside a plain read.

What a moderator waits for when a survey's results are shown (`core.surveys.results.results`,
behind the survey results page of the API) or downloaded as CSV (`export_rows`, written
row by row into a csv writer). Each backend gets a fresh database built by the real migrations
and reference data (`palabre.bootstrap.prepare`); one survey of Cotonou (BJ-LI-COT) is defined
and launched through Palabre's own service (6 questions: 2 ratings, a choice among 4, a yes/no
and 2 free answers; opened three weeks ago, still open), then `--responses` completed answer
sets (default 20,000) are bulk-loaded with Core inserts in large transactions, never the ORM
row by row: one citizen each, the response with the profile copied at completion
(arrondissement, gender, age band, as `complete` does), and one answer per question. A further
5% of citizens began and stopped midway (their answers must not count). The data imitates a
real survey: uneven arrondissements and about 6% who did not give one, genders and age bands
as the onboarding asks them with about 10% unsaid, a few groups under five people (which the
results must hide), ratings skewed to the middle, free answers from long sentences to "RAS",
and about 5% spoken (a voice note with an empty text; most transcribed, some failed or still
waiting). `invited` is set to three times the completed sets, as a launch with an invitation
would have recorded (no broadcast is sent).

Then, in rounds so that a noisy moment of the shared machine falls on all of them alike, each
round in a fresh unit of work like one HTTP request:

* the baseline: every answer of the survey's completed sets read once (survey_answer joined to
  survey_response, fetched into Python as rows): the least any results computation must do;
* `results(uow=…, survey_id=…)`;
* `export_rows(uow=…, survey_id=…)` consumed fully into `csv.writer(io.StringIO())`.

Each is first called once under tracemalloc for its peak Python memory (this also warms up the
caches and is not timed), then `--repeat` rounds (default 5) are timed; the table gives the
median and p95 (nearest rank: with 5 rounds, the slowest) in ms, and the ratio of each median
to the baseline's median of the same run. Garbage is collected with Python's default
thresholds; `--serve-gc` collects it as `palabre serve` does (`palabre.web.settle_memory`:
gc.freeze after the load, young collections every 50,000 allocations), which is what the
moderators' API runs under. The figures are checked against what was loaded
(completed and begun sets, answers per question, groups hidden, CSV rows). `--profile` prints
where one results() call spends its time (cProfile).

Run it from the repository root (the default run takes a minute or two per backend):

    .venv/bin/python -m bench.surveys --quick                # 2,000 answer sets, 3 rounds
    .venv/bin/python -m bench.surveys --responses 50000 --sqlite-only --profile
    .venv/bin/python -m bench.surveys --pg-url postgresql://postgres@127.0.0.1:5432/test

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a
server on this machine; the database in the URL is only used to create and drop the temporary
one. Only 127.0.0.1 is contacted.

The package reads in the order of a run: seed.py (the survey and its answer sets), measure.py
(the baseline, results() and the export, timed and checked), report.py, __main__.py (a
backend's run and the command line).
"""

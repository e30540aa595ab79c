"""Inbox latency on a million submissions: filters, free-text search and deep pagination.

What a moderator waits for when the inbox query (`core.submissions.inbox.inbox`, behind
`GET /api/v1/submissions`) runs on a large database. Each backend gets a fresh database built
by the real migrations and reference data (`palabre.bootstrap.prepare`), then `--rows`
submissions (default 1,000,000) are bulk-loaded: `COPY` on PostgreSQL, `executemany` in large
transactions on SQLite, never the ORM row by row. The data imitates the pilot: the 7 pilot
communes (Cotonou heaviest), mostly reports, statuses that depend on age, each commune's own
categories and services, arrondissements, three years of dates growing over time, priorities,
labels, assignees among the commune's moderators, citizens, about 10% with a photo and 5% with
a voice note (rows in `attachment` with a fake path; a voice note leaves the description
empty, as the report flow does), descriptions written from a French vocabulary so that
searching "caniveau" or "lampadaire" hits a realistic share, and references in the real format
(COT-SIG-24-0123, see core/submissions/references.py).

Then every typical query runs through the real `inbox()`, one unit of work per call like one
HTTP request: a few calls to warm up, then `--repeat` timed calls (fewer when a query has used
up `--budget` seconds, never fewer than 20), cycling through a few variants of its parameters.
Deep pagination follows `next_cursor` page after page and times each page. The table gives
p50/p95/p99 per query and backend and marks every p95 above the 50 ms target.

The default run measures the schema exactly as the migrations create it, search included
(core/submissions/search.py: a pg_trgm GIN index on PostgreSQL; on SQLite an FTS5 trigram
table for rare words and the newest-first walk for common ones, chosen by a bounded count).
PostgreSQL gets a VACUUM ANALYZE after the load (autovacuum does the same in production);
SQLite gets no ANALYZE, because the application never runs one. With `--experiments`, once the
default measurement is done, the same throw-away databases receive the changes still under
study, one step after the other (cumulative; `--steps` picks them): for now ANALYZE on SQLite
(the migrations already make the status index and PostgreSQL's label statistics). Every query is
measured again after each step, and the first two pages of every query variant are compared
with what the application returns. Those steps are marked EXPERIMENT: they are not in the
application; a step whose indexes the migrations already make is skipped.

Run it from the repository root (a million rows take several minutes per backend):

    .venv/bin/python -m bench.inbox                          # SQLite, and PostgreSQL if set
    .venv/bin/python -m bench.inbox --rows 100000 --sqlite-only --explain
    .venv/bin/python -m bench.inbox --pg-url postgresql://postgres@127.0.0.1:5432/test \\
        --experiments

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a
server on this machine; the database in the URL is only used to create and drop the temporary
one. Only 127.0.0.1 is contacted.

The package reads in the order of a run: data.py (what the pilot looks like), generate.py (the
rows), seed.py (loading them), queries.py (what moderators ask), measure.py (timing),
experiments.py (changes under study), report.py (the printed report), __main__.py (a backend's
run and the command line).
"""

"""The retention job run to the end as `palabre retention run` does, beside bare updates.

A fresh database per backend (`palabre.bootstrap.prepare`) gets `--citizens` citizens by bulk
Core inserts: identities, a conversation, messages naming their sender and replies, raw provider
posts, one or two submissions (some followed, some with a voice note in the media store and its
transcript). 85% spoke about 30 months ago and not since, 5% too but with a submission still
open, 10% are active. With PALABRE_RETENTION_MONTHS at 24 it times `apply_retention` called as
`palabre retention run` calls it, dry then for real (a batch of each kind per commit), with the
process's peak resident memory; and, before and after the real run, the baseline: as many rows
rewritten by `UPDATE inbound_message SET address = address WHERE id IN (1,000 ids)`, a commit
each, the least a database does to change them, so that a shared, noisy machine's figures
compare. It checks what the job left (exit status 1 if wrong) and that a second run finds none.

    .venv/bin/python -m bench.retention                      # SQLite, and PostgreSQL if set
    .venv/bin/python -m bench.retention --citizens 5000 --sqlite-only
    .venv/bin/python -m bench.retention --pg-url postgresql://postgres@127.0.0.1:5432/test

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a server
on this machine; the database in the URL is only used to create and drop the temporary one.

The package reads in the order of a run: seed.py (the citizens), measure.py (the job, the bare
updates, the checks), report.py, __main__.py (a backend's run and the command line).
"""

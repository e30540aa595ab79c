"""What every benchmark shares, so that each reads as seeding, measuring and printing.

- `backends`: throw-away SQLite and PostgreSQL databases, only this machine reachable, and
  `on_each_backend` to run a measure on each;
- `database`: Palabre bootstrapped on one (`pilot_app`), bulk inserts and what follows them;
- `measures`: latencies with nearest-rank percentiles, weighted choices, memory peaks;
- `report`: progress notes on stderr, plain-text tables on stdout;
- `cli`: `--pg-url` and `--sqlite-only`, and `measure_and_print`, a benchmark's main loop.

Import from the modules themselves: this package imports nothing, so that a benchmark's
child process (a speech model's, whose memory is measured) loads only what it uses.
docs/benchmarks.md shows a short benchmark built from these.
"""

"""How close one announcement to a whole commune comes to Telegram's 30 messages a second, and
what a sender killed halfway costs.

One broadcast to N citizens of Cotonou, each on Telegram, goes through Palabre's real code:
`core.broadcasts.service.create` (urgent, so that quiet hours never hold it back), then
`palabre.scheduler.queue_due_broadcasts` puts N messages in the outbox. A separate process
delivers them as `palabre serve` does: it bootstraps the application from the same settings,
runs `prepare` (which puts back claims whose lease has expired) and the `palabre.worker.Worker`
thread (every `PALABRE_WORKER_INTERVAL_SECONDS`, `Pipeline.run_once`: handle what came in,
then `deliver_pending`, whose Telegram messenger throttles itself per bot).

Telegram is a fake Bot API on 127.0.0.1 in this process (tests/fakes/telegram_api.py, with a
sliding window): a sendMessage that would make more than `--rate` accepted messages within the
last second is answered 429 "retry after 1", as Telegram does; every accepted message is
recorded with its chat and time.

`--kill-after` seconds after the first accepted message (default 40 % of N/rate) the sender gets
SIGKILL (`--in-flight`: from inside the fake, once Telegram has accepted a message and before
the sender hears so; `--signal term`: a graceful stop instead) and a new sender process starts
at once; it must finish the broadcast. A message the killed sender had claimed stays 'sending'
until its lease (core.messages.delivery.CLAIM_LEASE) expires; the bench waits for it
(`--lease-wait`, the default) or, with `--no-lease-wait` (the default of `--quick`), stops once
nothing else is left and reports it as stranded.

The goal: from the first accepted message to the last within 5 % of the bound N/rate, no 429,
no citizen left without the message, none who got it twice.

Each backend gets a fresh database: a temporary SQLite file, and for PostgreSQL a temporary
database created on the server given (dropped at the end). Only 127.0.0.1 is contacted.

The package reads in the order of a run: telegram.py (the rate-limited fake), seed.py (the
citizens and the queued broadcast), sender.py (the sender process and the interruption),
report.py (the checks and the printed report), __main__.py (a backend's run and the command
line).

    .venv/bin/python -m bench.broadcast --quick              # 1,000 messages, under a minute
    .venv/bin/python -m bench.broadcast                      # 10,000; SQLite (+ PostgreSQL)
    .venv/bin/python -m bench.broadcast --pg-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.broadcast --messages 3000 --kill-after 30 --signal term
"""
"""Throw-away databases, and a network that ends at this machine.

Every benchmark measures on databases it creates and drops, never on one that holds data: a
temporary SQLite file, and a temporary PostgreSQL database on a server of this machine when one
is given. Only this machine is contacted: a benchmark that reached a provider would measure the
network, and could send a real message.
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError

from core.db import normalise_url

LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
NAMES = ("sqlite", "postgresql")

R = TypeVar("R")
Database = AbstractContextManager[tuple[str, Path]]  # a database URL and a media folder


@contextmanager
def temporary_sqlite() -> Iterator[tuple[str, Path]]:
    """A SQLite URL and a media folder inside a temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="palabre-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder) / "media"


@contextmanager
def temporary_postgres(base_url: str) -> Iterator[tuple[str, Path]]:
    """A freshly created PostgreSQL database (dropped afterwards) and a temporary media folder."""
    base = make_url(normalise_url(base_url))
    name = f"palabre_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            with tempfile.TemporaryDirectory(prefix="palabre-bench-") as folder:
                yield (base.set(database=name).render_as_string(hide_password=False),
                       Path(folder) / "media")
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def local_network_only() -> Iterator[None]:
    """Refuse any Python-level connection to a host other than this machine."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and address[0] not in LOCAL_HOSTS:
            raise ConnectionRefusedError(f"the benchmark stays on this machine: {address}")
        return real(self, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.connect = real  # type: ignore[method-assign]


def postgres_problem(url: str) -> str | None:
    """Why this URL cannot be benchmarked: not PostgreSQL, or not on this machine."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return f"not a database URL: {url!r}"
    if parsed.get_backend_name() != "postgresql":
        return f"not a PostgreSQL URL: {parsed.get_backend_name()}"
    if parsed.host not in (None, "", *LOCAL_HOSTS):
        return f"the server must be on this machine, not {parsed.host}"
    return None


def databases(args: argparse.Namespace,
              names: tuple[str, str] = NAMES) -> list[tuple[str, Database]]:
    """The throw-away databases `--pg-url` and `--sqlite-only` ask for, named, not yet made."""
    chosen: list[tuple[str, Database]] = [(names[0], temporary_sqlite())]
    if args.pg_url and not args.sqlite_only:
        chosen.append((names[1], temporary_postgres(args.pg_url)))
    return chosen


def why_skipped(args: argparse.Namespace) -> str | None:
    """The report's note when PostgreSQL was not measured (None when it was)."""
    if args.sqlite_only:
        return "PostgreSQL skipped (--sqlite-only)."
    if not args.pg_url:
        return ("PostgreSQL skipped: give --pg-url or set TEST_DATABASE_URL "
                "(e.g. postgresql://postgres@127.0.0.1:5432/test).")
    return None


def on_each_backend(args: argparse.Namespace, run: Callable[[str, str, Path], R],
                    names: tuple[str, str] = NAMES) -> tuple[list[R], str | None]:
    """Run a measure on a throw-away SQLite database, then on a throw-away PostgreSQL one
    when a server is given, with only this machine reachable; the results, and why
    PostgreSQL was skipped (None when it ran)."""
    results: list[R] = []
    with local_network_only():
        for name, database in databases(args, names):
            with database as (url, media):
                results.append(run(name, url, media))
    return results, why_skipped(args)


def server_version(engine: Engine) -> str:
    """The database's own version, for the report."""
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as connection:
        return f"PostgreSQL {connection.execute(text('SHOW server_version')).scalar_one()}"

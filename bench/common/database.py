"""Palabre on a throw-away database, and what a benchmark does around a bulk load.

Seeding goes around the ORM (Core inserts or COPY, explicit ids) because a million rows
object by object would take longer than every measure together; what the application itself
would have left (sequences past the loaded ids, planner statistics) is put right afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, select, text
from sqlmodel import SQLModel

from core.communes.seed import PILOT_COMMUNES
from palabre.bootstrap import App, bootstrap
from palabre.settings import Settings


@contextmanager
def pilot_app(url: str, media: Path) -> Iterator[App]:
    """Palabre bootstrapped on `url` with the pilot communes enabled (not yet prepared);
    closed afterwards (its threads stopped, its engine disposed)."""
    settings = Settings(database_url=url, media_dir=media, enabled_communes=",".join(
        PILOT_COMMUNES), console_commune="", _env_file=None)  # type: ignore[call-arg]
    app = bootstrap(settings)
    try:
        yield app
    finally:
        app.close()


def outside_transaction(engine: Engine, statements: Sequence[str]) -> None:
    """Run each statement on its own: on SQLite through the DBAPI connection, which the engine
    would wrap in BEGIN IMMEDIATE; on PostgreSQL in autocommit (VACUUM needs it)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement in statements:
                cursor.execute(statement)
            cursor.close()
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def settle(engine: Engine, tables: Sequence[str]) -> str:
    """After a bulk load with explicit ids: on SQLite a WAL checkpoint; on PostgreSQL the
    tables' sequences set past their rows and a VACUUM ANALYZE (autovacuum's work in
    production). What was done, for the report."""
    if engine.dialect.name == "sqlite":
        outside_transaction(engine, ["PRAGMA wal_checkpoint(TRUNCATE)"])
        return "WAL checkpoint"
    outside_transaction(engine, [
        *(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM "
          f"{name}))" for name in tables),
        "VACUUM ANALYZE"])
    return "VACUUM ANALYZE"


def database_mb(engine: Engine) -> float:
    """The database's size on disk in MB (SQLite: the main file, without its WAL)."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database) if engine.url.database else None
        return path.stat().st_size / 1e6 if path and path.exists() else 0.0
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())"))
        return float(size.scalar_one()) / 1e6


def next_id(engine: Engine, table: Table) -> int:
    """The id after the table's highest."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0)))
                   .scalar_one()) + 1


class BulkRows:
    """Rows waiting for a bulk insert, by model, each given the next id of its table; inserted
    together in the order of `models` (their foreign keys' order), a transaction per flush."""

    def __init__(self, engine: Engine, models: Sequence[type[SQLModel]]) -> None:
        self.engine = engine
        self.tables: dict[type[SQLModel], Table] = {
            model: model.__table__ for model in models}  # type: ignore[attr-defined]
        self.ids = {model: next_id(engine, table) for model, table in self.tables.items()
                    if "id" in table.c}
        self.waiting: dict[type[SQLModel], list[dict[str, Any]]] = {m: [] for m in models}
        self.loaded: defaultdict[str, int] = defaultdict(int)  # rows inserted, by table name

    def add(self, model: type[SQLModel], /, **values: Any) -> int:
        """A row with the next id of its table; that id."""
        number = self.ids[model]
        self.ids[model] += 1
        self.waiting[model].append({"id": number, **values})
        return number

    def add_row(self, model: type[SQLModel], /, **values: Any) -> None:
        """A row whose key is given (a table without an id of its own)."""
        self.waiting[model].append(values)

    def flush(self) -> None:
        """Insert every waiting row in one transaction."""
        with self.engine.begin() as connection:
            for model, rows in self.waiting.items():
                if rows:
                    table = self.tables[model]
                    connection.execute(table.insert(), rows)
                    self.loaded[table.name] += len(rows)
                    rows.clear()

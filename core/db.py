"""Database plumbing shared by every domain: engine, column types, metadata."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Float, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Date, TypeDecorator
from sqlmodel import SQLModel, create_engine


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class local_day(FunctionElement[Any]):  # noqa: N801  (used like a SQL function)
    """The calendar day of a UTC column at a fixed offset from UTC, computed by the database
    (so that counting by day reads no timestamps into Python): `local_day(column, 1)` is the
    day in Benin, which keeps UTC+1 all year. SQLite gives 'YYYY-MM-DD' text, PostgreSQL a
    date."""

    type = Date()
    inherit_cache = True

    def __init__(self, column: Any, hours: int) -> None:
        self.hours = hours
        super().__init__(column)


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '{element.hours:+d} hours')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)} + interval '{element.hours:d} hours')"


class hours_between(FunctionElement[Any]):  # noqa: N801  (used like a SQL function)
    """Hours from one UTC column to another (NULL when either is), computed by the database."""

    type = Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_between_sqlite(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_between_postgresql(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0 AS DOUBLE PRECISION)"


def normalise_url(url: str) -> str:
    """Accept plain postgres URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# PostgreSQL's codes for a statement given up for another transaction's locks: deadlock
# detected, lock not available (a lock timeout), serialization failure.
LOCK_CONFLICTS = frozenset({"40P01", "55P03", "40001"})


def lock_conflict(exc: BaseException) -> bool:
    """Whether the database cancelled a statement for another transaction's locks: the work
    was not at fault, and may simply go again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in LOCK_CONFLICTS


def insert_unless_there(dialect: str, table: Table, unique: Sequence[str]) -> Any:
    """An INSERT that skips a row whose `unique` columns are already there, in the same
    statement (ON CONFLICT DO NOTHING): no savepoint, no round trip to find out. Palabre's
    two databases, SQLite and PostgreSQL, both say it."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(unique))


# Every PostgreSQL connection (the engine's, a listener's): a database that does not answer
# is told in seconds (webhooks then spool), and a connection whose machine vanished is
# dropped by TCP keepalives within a minute, its locks (a turn's claim, the scheduler's lead)
# with it.
PG_CONNECT_ARGS: dict[str, Any] = {"connect_timeout": 5, "keepalives": 1,
                                   "keepalives_idle": 30, "keepalives_interval": 10,
                                   "keepalives_count": 3}


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False,
                                                             "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=PG_CONNECT_ARGS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling begins late and commits on SAVEPOINT release: we
    # issue BEGIN ourselves (see _sqlite_begin) so that a unit of work is one transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock up front: SQLite has one writer, and a transaction that read first
    could not upgrade to writing once another committed."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# Keys of PostgreSQL advisory locks ("Pala" and a number): one process at a time does this.
LEAD_LOCK = 0x50616C61  # the scheduler (palabre/scheduler.py), held on its own connection
UNPACK_LOCK = 0x50616C62  # unpacking provider bodies, held for a transaction


# APScheduler's job store (palabre/scheduler.py): made by the migrations, in APScheduler's
# own shape, outside the models.
SCHEDULER_TABLE = "apscheduler_jobs"


def metadata() -> Any:
    """The metadata of every table, with all model modules imported."""
    from core import models  # noqa: F401  (registers the tables)

    return SQLModel.metadata

"""Loading the inbox: the pilot's reference data read back, moderators added through the
service, then citizens, submissions and attachments bulk-loaded.

`COPY` on PostgreSQL and `executemany` in large transactions on SQLite, never the ORM row by
row: a million submissions object by object would take longer than every measure together.
Then the database is settled as production would have it: sequences past the loaded ids and a
VACUUM ANALYZE on PostgreSQL (autovacuum's work), a WAL checkpoint on SQLite (no ANALYZE: the
application never runs one).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlmodel import col, select

from bench.common.database import database_mb, settle
from bench.common.report import progress
from bench.inbox.data import (
    ATTACHMENT_COLUMNS,
    CHUNK,
    CITIZEN_COLUMNS,
    COMMUNE_WEIGHTS,
    MODERATORS,
    SPAN,
    SUBMISSION_COLUMNS,
)
from bench.inbox.generate import Place, Row, Stamp, Submissions, Tally, World, citizens
from core.communes.models import Arrondissement, Category, Commune, MunicipalService
from core.communes.seed import PILOT_COMMUNES
from core.moderation.models import Role
from core.moderation.service import add_moderator
from palabre.bootstrap import App


def read_world(app: App) -> World:
    """The pilot communes with their categories, services and arrondissements."""
    with app.uow_factory() as uow:
        places = {commune.id: read_place(uow.session, commune) for commune in uow.session.exec(
            select(Commune).where(col(Commune.id).in_(PILOT_COMMUNES)))}
    missing = set(PILOT_COMMUNES) - set(places)
    if missing or any(not p.categories for p in places.values()):
        raise SystemExit(f"the reference data lacks pilot communes or categories: {missing}")
    return World(places)


def read_place(session: Any, commune: Commune) -> Place:
    """One commune's ids, as the migrations and the reference data made them."""
    categories = {c.code: c.id for c in session.exec(
        select(Category).where(Category.commune_id == commune.id)) if c.id is not None}
    services = [s.id for s in session.exec(select(MunicipalService).where(
        MunicipalService.commune_id == commune.id)) if s.id is not None]
    arrondissements = sorted(a.id for a in session.exec(
        select(Arrondissement).where(Arrondissement.commune_id == commune.id)))
    return Place(commune.id, commune.code, commune.name, COMMUNE_WEIGHTS[commune.id],
                 categories, services, arrondissements)


def add_moderators(app: App, world: World) -> None:
    """Moderators of each pilot commune (Cotonou has the most) and one admin, via the service."""
    with app.uow_factory() as uow:
        for place in world.places.values():
            for number in range(MODERATORS.get(place.id, 2)):
                moderator = add_moderator(uow=uow, name=f"bench-{place.code.lower()}-{number}",
                                          role=Role.MODERATOR, communes=[place.id])
                assert moderator.id is not None
                place.moderators.append(moderator.id)
        admin = add_moderator(uow=uow, name="bench-admin", role=Role.ADMIN)
        assert admin.id is not None
        world.admin_id = admin.id
        uow.commit()


class Loader(Protocol):
    def write(self, name: str, columns: tuple[str, ...], rows: list[Row]) -> None: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...


class SqliteLoader:
    """executemany in large transactions on the application's own SQLite connection."""

    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        self.cursor = self.raw.cursor()
        self.open = False

    def write(self, name: str, columns: tuple[str, ...], rows: list[Row]) -> None:
        if not self.open:
            self.cursor.execute("BEGIN")
            self.open = True
        marks = ", ".join("?" for _ in columns)
        self.cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                                rows)

    def commit(self) -> None:
        if self.open:
            self.cursor.execute("COMMIT")
            self.open = False

    def close(self) -> None:
        self.cursor.close()
        self.raw.close()


class PostgresLoader:
    """COPY … FROM STDIN through psycopg 3, on a connection of the application's engine."""

    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        self.connection: Any = self.raw.driver_connection

    def write(self, name: str, columns: tuple[str, ...], rows: list[Row]) -> None:
        with self.connection.cursor() as cursor, cursor.copy(
                f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.raw.close()


@dataclass
class Seeded:
    """How long the load took and what it left."""

    load_seconds: float
    after_seconds: float  # VACUUM ANALYZE on PostgreSQL, a WAL checkpoint on SQLite
    after_what: str
    counts: dict[str, int]
    size_mb: float


def stamper(engine: Engine) -> Stamp:
    """Naive UTC, as core.db.UTCDateTime stores it (SQLite: the text SQLAlchemy writes)."""
    if engine.dialect.name == "sqlite":
        return lambda d: d.replace(tzinfo=None).isoformat(" ", "microseconds")
    return lambda d: d.replace(tzinfo=None)


def load(engine: Engine, loader: Loader, world: World, rows: int, now: datetime,
         tally: Tally, seed_value: int) -> None:
    """Citizens in one transaction, then the submissions and attachments a chunk at a time."""
    stamp, started = stamper(engine), time.perf_counter()
    people = citizens(world, max(1, rows // 4), now - SPAN, now, stamp,
                      random.Random(seed_value + 1))
    tally.citizens = len(people)
    for first in range(0, len(people), CHUNK):
        loader.write("citizen", CITIZEN_COLUMNS, people[first:first + CHUNK])
    loader.commit()
    for chunk, files in Submissions(world, now, stamp, tally, seed_value).chunks(rows):
        loader.write("submission", SUBMISSION_COLUMNS, chunk)
        loader.write("attachment", ATTACHMENT_COLUMNS, files)
        loader.commit()
        progress(f"{engine.dialect.name}: {tally.submissions:,} submissions loaded "
                 f"({time.perf_counter() - started:.0f} s)")


def seed(app: App, world: World, rows: int, now: datetime, tally: Tally,
         seed_value: int) -> Seeded:
    """Bulk-load citizens, submissions and attachments; then settle the database."""
    engine = app.engine
    started = time.perf_counter()
    loader: Loader = (SqliteLoader(engine) if engine.dialect.name == "sqlite"
                      else PostgresLoader(engine))
    try:
        load(engine, loader, world, rows, now, tally, seed_value)
    finally:
        loader.close()
    loaded = time.perf_counter()
    after_what = settle(engine, ("citizen", "submission", "attachment"))
    settled = time.perf_counter()
    return Seeded(loaded - started, settled - loaded, after_what, counts(engine),
                  database_mb(engine))


def counts(engine: Engine) -> dict[str, int]:
    """Rows in the tables the inbox reads, counted by the database."""
    counted = (("submissions", "submission", ""),
               ("photos", "attachment", " WHERE kind = 'photo'"),
               ("voice notes", "attachment", " WHERE kind = 'voice'"),
               ("citizens", "citizen", ""), ("moderators", "moderator", ""),
               ("categories", "category", ""), ("arrondissements", "arrondissement", ""))
    with engine.connect() as connection:
        return {label: connection.execute(text(f"SELECT count(*) FROM {name}{where}"))
                .scalar_one() for label, name, where in counted}

"""Shared fixtures: a migrated database per backend (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), a fake clock, a recording messenger, a wired application."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from core.communes import service as communes
from core.communes.seed import PILOT_COMMUNES
from core.db import metadata, normalise_url
from palabre.bootstrap import App, bootstrap, prepare
from palabre.settings import Settings
from tests.fakes import FakeClock, RecordingMessenger

REFERENCE_TABLES = {"commune", "arrondissement"}  # loaded once; the rest is made per test


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a host other than this machine fails the test."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(address, tuple) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def pytest_report_header() -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return "databases: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return ("databases: SQLite only; the PostgreSQL variants are skipped because "
            "TEST_DATABASE_URL is not set")


def _postgres_database() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. "
                    "postgresql://postgres@127.0.0.1:5432/test)")
    name = f"palabre_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalise_url(base)).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the communes loaded, once per backend and test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'palabre.db'}"
        _prepare(url, tmp_path_factory.mktemp("media"))
        yield url
        return
    for url in _postgres_database():
        _prepare(url, tmp_path_factory.mktemp("media"))
        yield url


def _prepare(url: str, media: Path) -> None:
    app = bootstrap(Settings(database_url=url, media_dir=media, _env_file=None))
    prepare(app)
    app.engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def messenger() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No transcription unless a test asks for it (tests/e2e/test_voice.py): a voice note
    # then goes with the report as audio, as on a deployment without speech models.
    return Settings(database_url=database_url, media_dir=tmp_path / "media",
                    spool_dir=tmp_path / "spool",
                    enabled_communes=",".join(PILOT_COMMUNES), transcription_routes="",
                    map_tiles="", _env_file=None)  # no tiles: a browser test stays local


@pytest.fixture
def app(settings: Settings, clock: FakeClock, messenger: RecordingMessenger) -> Iterator[App]:
    """Palabre wired on a clean database (reference data kept), with a recording console."""
    application = bootstrap(settings, clock=clock, messengers={"console": messenger})
    _clean(application)
    yield application
    application.engine.dispose()


def _clean(app: App) -> None:
    emptied = [t for t in reversed(metadata().sorted_tables) if t.name not in REFERENCE_TABLES]
    with app.engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # one round trip (no parameters)
            connection.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in emptied))
        else:
            for table in emptied:
                connection.execute(table.delete())
        connection.execute(text("UPDATE commune SET enabled = false"))
    with app.uow_factory() as uow:
        for commune_id in PILOT_COMMUNES:  # enabled again, with the default lists
            communes.set_enabled(uow=uow, commune=commune_id, enabled=True)
        uow.commit()

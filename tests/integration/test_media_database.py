"""Photos and voice notes in the database that every machine shares
(PALABRE_MEDIA_STORE=database): stored by one process, read by another with an empty cache,
and once erased, gone from every machine's cache at its next use."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from core.media import DatabaseMediaStore
from core.messages.models import Attachment
from core.messages.neutral import InboundMessage, IncomingFile
from palabre.bootstrap import bootstrap
from palabre.settings import Settings

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


def _machine(settings: Settings, cache: Path):
    return bootstrap(Settings(**{**settings.model_dump(), "media_store": "database",
                                 "media_dir": cache}, _env_file=None))


def test_a_photo_stored_on_one_machine_is_read_on_another_and_erased_from_both(
        app, settings, tmp_path: Path) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("the database media store is PostgreSQL's (SQLite is one machine)")
    web, worker = _machine(settings, tmp_path / "web"), _machine(settings, tmp_path / "worker")
    try:
        web.pipeline.receive(InboundMessage(
            channel="console", address="ama", external_id="p1",
            files=(IncomingFile(kind="photo", data=JPEG, content_type="image/jpeg"),)))
        with worker.uow_factory() as uow:
            attachment = uow.session.exec(select(Attachment)).one()
            read = uow.media.absolute(attachment.path)
        assert read.is_relative_to(tmp_path / "worker") and read.read_bytes() == JPEG

        web.uow_factory.media.delete(attachment.path)  # the citizen erased their data
        assert not (tmp_path / "web" / attachment.path).exists()
        assert (tmp_path / "worker" / attachment.path).exists()  # cached, until its next use
        assert not worker.uow_factory.media.absolute(attachment.path).exists()
    finally:
        web.close()
        worker.close()


def test_the_same_file_twice_is_kept_once(app, tmp_path: Path) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("the database media store is PostgreSQL's (SQLite is one machine)")
    store = DatabaseMediaStore(app.engine, tmp_path)
    first = store.put(JPEG, content_type="image/jpeg")
    again = store.put(JPEG, content_type="image/jpeg")
    assert first == again and first.path.endswith(".jpg")


def test_sqlite_refuses_the_database_media_store(settings, tmp_path: Path) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's refusal")
    with pytest.raises(SystemExit, match="PALABRE_MEDIA_STORE: the database media store "
                                         "needs PostgreSQL"):
        _machine(settings, tmp_path / "cache")

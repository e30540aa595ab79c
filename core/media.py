"""Where photos, voice notes and recordings are kept, named by their content hash so that
the same photo is stored once: files in a local directory (the default), or the database
that every process on every machine shares, each machine keeping a local cache."""

from __future__ import annotations

import glob
import hashlib
import mimetypes
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, Engine, LargeBinary, delete, select
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime
from core.ports import StoredFile

_EXTENSIONS = {"audio/ogg": ".ogg", "image/jpeg": ".jpg", "audio/mpeg": ".mp3",
               "audio/amr": ".amr", "audio/mp4": ".m4a"}


class FileMediaStore:
    """A media store in a directory: <root>/<aa>/<sha256><ext>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, *, content_type: str) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        relative = f"{digest[:2]}/{digest}{_extension(content_type)}"
        _write(self.root / relative, data)
        return StoredFile(path=relative, sha256=digest, size=len(data))

    def absolute(self, path: str) -> Path:
        return self._local(path)

    def _local(self, path: str) -> Path:
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError(f"path escapes the media root: {path}")
        return resolved

    def delete(self, path: str) -> None:
        """The file, and the copies made from it beside it (<name>.<anything>: a photo's
        thumbnail), so that nothing of an erased file is left."""
        self._remove_local(path)

    def _remove_local(self, path: str) -> None:
        target = self._local(path)
        target.unlink(missing_ok=True)
        for derived in target.parent.glob(glob.escape(target.name) + ".*"):
            derived.unlink(missing_ok=True)


class MediaBlob(SQLModel, table=True):
    """A file kept in the database (DatabaseMediaStore)."""

    __tablename__ = "media_blob"

    path: str = Field(primary_key=True, max_length=200)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class DatabaseMediaStore(FileMediaStore):
    """Files kept in PostgreSQL, which every web and worker process shares on any machine
    (PALABRE_MEDIA_STORE=database); each machine keeps the files it used in its directory
    as a cache, checked against the database at each use: a file erased (a citizen's data,
    retention) is gone from every machine's cache the next time it is asked for. A file is
    written in a transaction of its own, before the message that refers to it commits: a
    file whose message then failed stays unreferenced, as on disk."""

    def __init__(self, engine: Engine, cache: Path) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("the database media store needs PostgreSQL (SQLite is one "
                             "machine: keep PALABRE_MEDIA_STORE=files)")
        super().__init__(cache)
        self.engine = engine
        self._table = MediaBlob.__table__  # type: ignore[attr-defined]  # SQLModel sets it

    def put(self, data: bytes, *, content_type: str) -> StoredFile:
        stored = super().put(data, content_type=content_type)
        with self.engine.begin() as connection:
            connection.execute(postgresql.insert(self._table).values(
                path=stored.path, data=data, size=len(data), created_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["path"]))
        return stored

    def absolute(self, path: str) -> Path:
        """The file in this machine's cache, fetched from the database when it is not
        there yet; none (a path that does not exist) once the database has none."""
        local = self._local(path)
        table = self._table
        with self.engine.connect() as connection:
            if local.exists():
                kept = connection.execute(select(table.c.path).where(
                    table.c.path == path)).first() is not None
                data = None
            else:
                data = connection.execute(select(table.c.data).where(
                    table.c.path == path)).scalar()
                kept = data is not None
        if not kept:
            self._remove_local(path)
        elif data is not None:
            _write(local, bytes(data))
        return local

    def delete(self, path: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(self._table).where(self._table.c.path == path))
        self._remove_local(path)


def _write(target: Path, data: bytes) -> None:
    """Whole file or none, even with two writers."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
        part.write(data)
    Path(part.name).replace(target)


def _extension(content_type: str) -> str:
    base = content_type.split(";")[0].strip().lower()
    return _EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"

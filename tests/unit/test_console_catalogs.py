"""The console's words: French and English hold the same keys with the same placeholders,
and every key a template names literally is in the catalog (a missing one would show as its
key to a moderator)."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

from admin_api.console.i18n import catalogs

TEMPLATES = Path(__file__).resolve().parents[2] / "admin_api" / "console" / "templates"
LITERAL = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_french_and_english_hold_the_same_keys_and_placeholders() -> None:
    french, english = catalogs()["fr"], catalogs()["en"]
    assert sorted(set(french) ^ set(english)) == []
    assert {k: (placeholders(french[k]), placeholders(english[k])) for k in french
            if placeholders(french[k]) != placeholders(english[k])} == {}


def test_every_key_a_template_names_is_in_the_catalog() -> None:
    named = {key for path in TEMPLATES.glob("*.html")
             for key in LITERAL.findall(path.read_text("utf-8")) if not key.endswith((".", "_"))}
    assert len(named) > 100  # the scan sees the templates' words
    assert sorted(named - set(catalogs()["fr"])) == []

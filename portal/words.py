"""The public page's words, from gettext catalogs like the bot's and the console's: French
first, English second (portal/locales/<lang>/LC_MESSAGES/portal.po); a missing message falls
back to French, then to its key."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from core.catalogs import read_catalogs

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "fr"


@cache
def catalogs() -> dict[str, dict[str, str]]:
    return read_catalogs(LOCALES, "portal")


def language_of(asked: str | None) -> str:
    """The language asked for in the address (?lang=en), if the page speaks it; else French.
    Only the address decides: every language has its own address, and caches keep each."""
    return asked if asked in catalogs() else DEFAULT


class Words:
    def __init__(self, language: str) -> None:
        known = catalogs()
        self.language = language
        self._mine, self._french = known.get(language, {}), known.get(DEFAULT, {})

    def __call__(self, key: str, **values: object) -> str:
        text = self._mine.get(key) or self._french.get(key) or key
        return text.format(**values) if values else text

"""The console's words, from gettext catalogs like the bot's: French first, English second.

``admin_api/console/locales/<lang>/LC_MESSAGES/console.po``; a missing message falls back to
French, then to its key. A moderator's language is their choice (a cookie), else their
browser's, else French."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from core.catalogs import read_catalogs

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "fr"


class Words:
    """One language's messages, with French behind them."""

    def __init__(self, language: str, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.language = language
        self._mine = messages.get(language, {})
        self._french = messages.get(DEFAULT, {})

    def __call__(self, key: str, **values: object) -> str:
        text = self._mine.get(key) or self._french.get(key) or key
        return text.format(**values) if values else text


@cache
def catalogs() -> dict[str, dict[str, str]]:
    """Every console catalog, read once."""
    return read_catalogs(LOCALES, "console")


def words_for(chosen: str | None, accept_language: str | None) -> Words:
    """The words of the chosen language, else of the browser's first known one, else French."""
    known = catalogs()
    wanted = [chosen or ""] + [part.split(";")[0].strip()[:2].lower()
                               for part in (accept_language or "").split(",")]
    language = next((lang for lang in wanted if lang in known), DEFAULT)
    return Words(language, known)

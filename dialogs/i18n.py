"""Message catalogs (gettext .po files read with Babel): French first, English second.

Message ids are keys (``report.photo.ask``); each language has its own catalog under
``dialogs/locales/<lang>/LC_MESSAGES/palabre.po``. Translators add Fon, Yoruba… by adding a
catalog (``palabre i18n add fon``); anything missing or not reviewed yet (fuzzy) falls back to
French. A catalog is offered to citizens once its ``language.name`` is reviewed: translators
set it when the catalog is ready to be read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_datetime

from core.catalogs import read_catalogs
from core.submissions.service import LOCAL_TZ
from dialogs.engine import Option, Say

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "fr"


class Catalogs:
    """Every language's messages, loaded once."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.messages = messages

    @classmethod
    def load(cls, root: Path = LOCALES) -> Catalogs:
        return cls(read_catalogs(root, "palabre"))

    @property
    def languages(self) -> list[str]:
        """The languages citizens may read: French, English, then every catalog whose name
        a translator has reviewed."""
        ordered = [DEFAULT_LANGUAGE, "en"]
        ready = [lang for lang, found in self.messages.items() if "language.name" in found]
        return [lang for lang in ordered if lang in ready] + sorted(
            lang for lang in ready if lang not in ordered)

    def language_name(self, language: str) -> str:
        return self.messages.get(language, {}).get("language.name", language)

    def named(self, kind: str, code: str, names: Mapping[str, str], language: str) -> str:
        """A category's or service's name in `language`: the commune's own, else the
        catalog's for its code (kind.code: category.drain), else the commune's French."""
        return (names.get(language)
                or self.messages.get(language, {}).get(f"{kind}.{code}")
                or names.get(DEFAULT_LANGUAGE) or next(iter(names.values()), code))

    def spoken_languages(self, listed: Sequence[str], reader: str) -> list[tuple[str, str]]:
        """(code, name) of the languages citizens may say they speak: the operator's list,
        then any other catalog's; a catalog's by its own name (« English » for someone who
        reads no French), the others as `reader`'s catalog names them (spoken.<code>)."""
        read = self.languages
        codes = [*listed, *(lang for lang in read if lang not in listed)]
        return [(code, self.language_name(code) if code in read
                 else self.spoken_name(reader, code)) for code in codes]

    def spoken_name(self, language: str, spoken: str) -> str:
        """A spoken language's name in `language` (spoken.<code>), else its code."""
        key = f"spoken.{spoken}"
        name = self.template(language, key)
        return spoken if name == key else name

    def template(self, language: str, key: str) -> str:
        for lang in (language, DEFAULT_LANGUAGE):
            text = self.messages.get(lang, {}).get(key)
            if text:
                return text
        return key

    def render(self, language: str, message: Say | str) -> str:
        """The message in the language, with its parameters filled in."""
        if isinstance(message, str):
            return message
        params = {name: self._value(language, value) for name, value in message.params.items()}
        return self.template(language, message.key).format_map(_Lenient(params))

    def label(self, language: str, option: Option) -> str:
        return self.render(language, option.label)

    def _value(self, language: str, value: Any) -> str:
        if isinstance(value, Say):
            return self.render(language, value)
        if isinstance(value, tuple):  # lines, each a message
            return "\n".join(self._value(language, item) for item in value)
        if isinstance(value, datetime):
            return format_datetime(value, "d MMM yyyy HH:mm", tzinfo=LOCAL_TZ,
                                   locale=_babel_locale(language))
        if value is None:
            return ""
        return str(value)


class _Lenient(dict[str, str]):
    """Leaves an unknown {placeholder} visible rather than failing a citizen's turn."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _babel_locale(language: str) -> str:
    return language if language in ("fr", "en") else DEFAULT_LANGUAGE

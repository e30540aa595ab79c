"""Text as search compares it: lower case, without accents or other combining marks."""

from __future__ import annotations

import unicodedata


def fold(words: str) -> str:
    """'École Publique' -> 'ecole publique'; 'Ẹ̀kọ́' -> 'eko'."""
    decomposed = unicodedata.normalize("NFKD", words.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))

"""Languages as Palabre names them: ISO 639 codes, two letters where they exist (fr, en, yo),
three otherwise (fon, guw, bba, ddn)."""

from __future__ import annotations

import re

CODE = re.compile(r"[a-z]{2,3}")


def is_code(text: str) -> bool:
    """Whether the text is a language code such as fr, yo or fon."""
    return CODE.fullmatch(text) is not None

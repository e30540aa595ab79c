"""Tappable choices on WhatsApp: a question's options as quick-reply buttons (up to 3) or a
list (up to 10), laid out as a Twilio Content resource.

A layout holds the options and the list's button, never the question's words: those go as the
content's one variable, so that the layouts stay few (one per set of options and language, not
one per message) and none keeps what a citizen wrote at Twilio. Each option keeps its number,
as on Telegram's buttons, so that a citizen who types it is understood too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from core.messages.neutral import Choice

QUICK_REPLY = "twilio/quick-reply"
LIST_PICKER = "twilio/list-picker"
MAX_BUTTONS = 3  # quick replies WhatsApp shows in a conversation without an approved template
MAX_ITEMS = 10  # rows of a list
BUTTON_TITLE = 20  # characters of a quick reply's title
ITEM_TITLE = 24  # characters of a list row
ITEM_DESCRIPTION = 72
LIST_BUTTON = 20  # characters of the button that opens the list
BODY_LIMIT = 1024  # the words above the buttons or the list
ID_LIMIT = 64  # what Palabre keeps of a tapped option's id (Twilio takes 200)
BODY = "{{1}}"
SAMPLE = {"1": "Palabre"}  # a variable's value when a message leaves it out


@dataclass(frozen=True)
class Menu:
    """The options of one question, as a Content resource lays them out."""

    kind: str  # QUICK_REPLY or LIST_PICKER
    language: str
    options: tuple[tuple[str, str, str], ...]  # (id, title, description)
    button: str = ""  # the list's button

    @property
    def key(self) -> str:
        """What identifies the layout among those already created."""
        facts = [self.kind, self.language, self.button, [list(o) for o in self.options]]
        return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()

    def creation(self) -> dict[str, Any]:
        """The Content API's body to create it."""
        return {"friendly_name": f"palabre_{self.language}_{self.key[:16]}",
                "language": twilio_language(self.language), "variables": dict(SAMPLE),
                "types": {self.kind: self._type()}}

    def _type(self) -> dict[str, Any]:
        if self.kind == QUICK_REPLY:
            return {"body": BODY, "actions": [{"title": title, "id": option_id}
                                              for option_id, title, _ in self.options]}
        items = [{"item": title, "id": option_id, **({"description": more} if more else {})}
                 for option_id, title, more in self.options]
        return {"body": BODY, "button": self.button, "items": items}


def menu_for(choices: tuple[Choice, ...], *, language: str, button: str) -> Menu | None:
    """Buttons when the numbered options fit on them, else a list (which needs its button's
    words); None when they cannot be tapped (too many, or an id WhatsApp cannot carry)."""
    if not 0 < len(choices) <= MAX_ITEMS or not language \
            or any(not c.id or len(c.id) > ID_LIMIT for c in choices):
        return None
    titles = [f"{number}. {c.label}".strip() for number, c in enumerate(choices, start=1)]
    if len(choices) <= MAX_BUTTONS and all(len(t) <= BUTTON_TITLE for t in titles):
        return Menu(QUICK_REPLY, language, tuple((c.id, t, "") for c, t in zip(
            choices, titles, strict=True)))
    if not button.strip():
        return None
    rows = tuple((c.id, *_row(title, c.label)) for c, title in zip(choices, titles, strict=True))
    return Menu(LIST_PICKER, language, rows, button.strip()[:LIST_BUTTON])


def _row(title: str, label: str) -> tuple[str, str]:
    """A list row's title, and the whole label beneath it when the title had to be cut."""
    if len(title) <= ITEM_TITLE:
        return title, ""
    return title[:ITEM_TITLE - 1].rstrip() + "…", _cut(label, ITEM_DESCRIPTION)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def twilio_language(code: str) -> str:
    """The content's language as Twilio records it (two letters): Palabre's own code when it
    has two letters; French, the language of the communes' administration, for the others
    (Fon is `fon`): the layout's words are in the citizen's language whatever it says."""
    return code if len(code) == 2 and code.isalpha() else "fr"

"""Choices on the screen: numbered lines for text-only channels, numbered buttons otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from core.messages.neutral import Choice


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: tuple[Choice, ...] = ()


def numbered_text(text: str, choices: tuple[Choice, ...]) -> Rendered:
    """For SMS-like channels (WhatsApp without approved buttons, the console)."""
    if not choices:
        return Rendered(text)
    lines = "\n".join(f"{number}. {choice.label}" for number, choice in
                      enumerate(choices, start=1))
    return Rendered(f"{text}\n\n{lines}")


def with_buttons(text: str, choices: tuple[Choice, ...]) -> Rendered:
    """For channels with buttons: the numbers stay on the buttons so typing one works too."""
    buttons = tuple(Choice(c.id, f"{number}. {c.label}") for number, c in
                    enumerate(choices, start=1))
    return Rendered(text, buttons)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces within a channel's limit, cut at a paragraph, a line or a space when possible."""
    pieces: list[str] = []
    rest = text or "…"
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest]

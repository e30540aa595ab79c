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

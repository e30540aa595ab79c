"""Small helpers shared by the flows: options from lists, and checking typed text."""

from __future__ import annotations

from collections.abc import Iterable

from dialogs.engine import Lookup, Msg, Option, Say, say

MAX_TEXT = 2000


def options(pairs: Iterable[tuple[object, str]], prefix: str) -> list[Option]:
    """Options whose ids are `prefix:id`, labelled with the given names."""
    return [Option(f"{prefix}:{key}", label) for key, label in pairs]


def picked(msg: Msg, prefix: str) -> str | None:
    """The id picked among options made by `options(…, prefix)`."""
    if msg.choice and msg.choice.startswith(prefix + ":"):
        return msg.choice.split(":", 1)[1]
    return None


def check_text(msg: Msg, *, minimum: int = 3, maximum: int = MAX_TEXT) -> Say | None:
    """Why this message is not usable text, or None when it is."""
    if msg.kind == "sticker":
        return say("error.sticker")
    if msg.kind != "text":
        return say("error.text_expected")
    text = msg.text.strip()
    if not text:
        return say("error.empty")
    if not any(ch.isalnum() for ch in text):
        return say("error.emoji_only")
    if len(text) < minimum:
        return say("error.too_short", minimum=minimum)
    if len(text) > maximum:
        return say("error.too_long", maximum=maximum, length=len(text))
    return None


def voice_of(msg: Msg) -> int | None:
    """The id of the voice note or audio the message carries."""
    found = msg.attachment("voice", "audio", "video")
    return found.id if found else None


def commune_of(ctx: Lookup) -> str:
    """The commune of an onboarded citizen (flows past onboarding always have one)."""
    assert ctx.citizen.commune_id is not None
    return ctx.citizen.commune_id


def skip(label_key: str = "common.skip") -> Option:
    return Option("skip", say(label_key))

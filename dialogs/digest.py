"""The weekly digest's words: what came in, what was resolved, the next council sitting and
how to reach the bot, short enough to paste into a WhatsApp group."""

from __future__ import annotations

from collections.abc import Sequence

from core.digests.service import WeekFacts
from dialogs.engine import say
from dialogs.i18n import Catalogs


def render_digest(catalogs: Catalogs, facts: WeekFacts, ways: Sequence[str],
                  language: str = "fr") -> str:
    """The digest in one language (French for the groups, by default)."""
    received = facts.received
    parts = [say("digest.title", commune=facts.commune, week=facts.week.strftime("%d/%m/%Y")),
             say("digest.received", reports=received.get("report", 0),
                 complaints=received.get("complaint", 0) + received.get("suggestion", 0),
                 ideas=received.get("idea", 0)),
             say("digest.resolved", count=facts.resolved)]
    if facts.next_session is not None:
        title, starts_at, place = facts.next_session
        parts.append(say("digest.next_session", title=title, starts_at=starts_at, place=place))
    else:
        parts.append(say("digest.no_session"))
    if ways:
        parts.append(say("digest.reach", ways=" · ".join(ways)))
    return "\n".join(catalogs.render(language, part) for part in parts)

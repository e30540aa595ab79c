"""The weekly digest's words: what came in, what was resolved, what the mairie did in the
open (the council's decisions, projects' progress, documents and surveys published), the next
council sitting and how to reach the bot, short enough to paste into a WhatsApp group."""

from __future__ import annotations

from collections.abc import Sequence

from core.digests.service import WeekFacts
from dialogs.engine import Say, say
from dialogs.i18n import Catalogs

MOST = 5  # of each kind of news: a digest is pasted into a group, not read as a report
COUNTED = ("reports", "complaints", "ideas", "resolved")  # digest.<name>.<one|many>
PLURALS = ("one", "many")


def plural(language: str, count: int) -> str:
    """"one" or "many": French says 0 and 1 in the singular, English 1 only."""
    return "one" if count == 1 or (language == "fr" and count == 0) else "many"


def render_digest(catalogs: Catalogs, facts: WeekFacts, ways: Sequence[str],
                  language: str = "fr") -> str:
    """The digest in one language (French for the groups, by default)."""
    received = facts.received

    def counted(name: str, count: int) -> Say:
        return say(f"digest.{name}.{plural(language, count)}", count=count)

    parts = [say("digest.title", commune=facts.commune, week=facts.week.strftime("%d/%m/%Y")),
             say("digest.received_items",
                 reports=counted("reports", received.get("report", 0)),
                 complaints=counted("complaints", received.get("complaint", 0) +
                                    received.get("suggestion", 0)),
                 ideas=counted("ideas", received.get("idea", 0))),
             say("digest.resolved_items", resolved=counted("resolved", facts.resolved))]
    for title, decisions in facts.decided:
        parts.append(say("digest.decided", title=title, decisions="\n".join(
            f"• {d}" for d in decisions[:MOST]) or say("council.no_decisions")))
    for title, progress, status in facts.projects[:MOST]:
        parts.append(say("digest.project", title=title, progress=progress,
                         status=say(f"projects.status.{status}")))
    for title, year in facts.documents[:MOST]:
        parts.append(say("digest.document", title=title, year=year))
    for titles in facts.surveys[:MOST]:
        parts.append(say("digest.survey", title=titles.get(language) or titles.get("fr", "")))
    if facts.next_session is not None:
        title, starts_at, place = facts.next_session
        parts.append(say("digest.next_session", title=title, starts_at=starts_at, place=place))
    else:
        parts.append(say("digest.no_session"))
    if ways:
        parts.append(say("digest.reach", ways=" · ".join(ways)))
    return "\n".join(catalogs.render(language, part) for part in parts)

"""What the console's page for group animators needs from the channels and the dialogs, which
the console may not import: the links that open each flow on each bot serving a commune
(t.me's start parameter, wa.me's prefilled words), and last week's digest made on demand."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from core.digests import service as digests
from core.uow import UnitOfWork
from dialogs.digest import render_digest
from dialogs.globals import LINK_PHRASES
from palabre.bootstrap import App

FLOWS = ("report", "complaint", "idea", "council", "projects", "documents", "survey")
# What opens the other flows on WhatsApp, typed as the citizen would (dialogs/globals.py).
WHATSAPP_WORDS = {"council": "conseil", "projects": "projets", "documents": "documents",
                  "survey": "avis"}


@dataclass(frozen=True)
class Link:
    channel: str  # telegram, whatsapp
    account: str  # the bot's name or the number
    flow: str
    url: str


def links(app: App, commune_id: str) -> list[Link]:
    """Each flow's link on each bot and number that serves the commune (bound to it, or
    shared by every commune)."""
    found: list[Link] = []
    bound = app.dialogs.bound_communes
    for bot in app.telegram.config.bots if app.telegram else ():
        username = app.telegram.client.username(bot.account) if app.telegram else None
        if username and bound.get(("telegram", bot.account), commune_id) == commune_id:
            found += [Link("telegram", f"@{username}", flow,
                           f"https://t.me/{username}?start={flow}") for flow in FLOWS]
    for sender in app.whatsapp.config.senders if app.whatsapp else ():
        if sender.is_service or bound.get(("whatsapp", sender.address),
                                          commune_id) != commune_id:
            continue
        number = sender.address.lstrip("+")
        for flow in FLOWS:
            words = LINK_PHRASES[flow][0] if flow in LINK_PHRASES else WHATSAPP_WORDS[flow]
            found.append(Link("whatsapp", sender.address, flow,
                              f"https://wa.me/{number}?text={quote(words)}"))
    return found


def ways(app: App, commune_id: str) -> list[str]:
    """How citizens of the commune reach the bot, for the digest's last line."""
    seen: dict[str, str] = {}
    for link in links(app, commune_id):
        seen.setdefault(link.account, link.url.split("?")[0])
    return list(seen.values())


def make_digest(app: App, uow: UnitOfWork, commune_id: str) -> str:
    """Last week's digest of the commune, made now and kept (made again, it is replaced)."""
    week = digests.last_week(uow.clock.now())
    facts = digests.facts(uow=uow, commune_id=commune_id, week=week)
    text = render_digest(app.catalogs, facts, ways(app, commune_id))
    digests.keep(uow=uow, commune_id=commune_id, week=week, text=text)
    return text

"""Words that work at any step, in French and English (with or without a leading slash)."""

from __future__ import annotations

from dataclasses import dataclass

from core.geo import normalise_name
from core.submissions.references import parse_reference

WORDS = {
    "menu": "menu", "accueil": "menu", "home": "menu",
    "annuler": "cancel", "cancel": "cancel",
    "aide": "help", "help": "help", "?": "help",
    "langue": "language", "language": "language", "lang": "language",
    "statut": "status", "status": "status", "suivi": "status",
    "stop": "stop", "arret": "stop", "desabonner": "stop", "unsubscribe": "stop",
    "start": "start", "reprendre": "start", "demarrer": "start",
    "commune": "commune", "ville": "commune", "town": "commune",
    "lier": "link", "relier": "link", "link": "link",
}
TAKES_ARGUMENT = {"status", "start"}
# What a link can ask the conversation to start with (Telegram: t.me/bot?start=report).
START_FLOWS = ("report", "complaint", "idea", "ideas", "followup", "mydata", "council",
               "projects", "documents", "survey")
# The prefilled texts of the links group animators share (`palabre whatsapp link`): sent as
# they are, they open their flow. Only the whole phrase counts, never a sentence starting so.
LINK_PHRASES = {"report": ("Signaler un problème", "Report a problem"),
                "complaint": ("Faire une plainte", "Make a complaint"),
                "idea": ("Proposer une idée", "Suggest an idea")}
_OPENERS = {normalise_name(phrase): flow for flow, phrases in LINK_PHRASES.items()
            for phrase in phrases} | {"conseil": "council", "council": "council",
                                      "projets": "projects", "projects": "projects",
                                      "documents": "documents",
                                      "avis": "survey", "donner mon avis": "survey",
                                      "sondage": "survey", "survey": "survey",
                                      "feedback": "survey"}


@dataclass(frozen=True)
class Global:
    name: str
    argument: str = ""


def match(text: str) -> Global | None:
    """The global command a whole message spells, if any: 'Statut cot-sig-26-42', '/aide'."""
    stripped = text.strip().lstrip("/").strip()
    if not stripped:
        return None
    opened = _OPENERS.get(normalise_name(stripped.rstrip("!.")))
    if opened is not None:
        return Global("open", opened)
    head, _, rest = stripped.partition(" ")
    head = head.split("@", 1)[0]  # Telegram: /aide@PalabreBot
    name = WORDS.get(normalise_name(head).rstrip("!.") or head)
    if name is None:
        return None
    argument = rest.strip()
    if name == "start" and argument in START_FLOWS:
        return Global(name, argument)
    if name == "link" and (not argument or _looks_like_code(argument)):
        return Global(name, "".join(argument.split()))
    if argument and (name not in TAKES_ARGUMENT or not _looks_like_reference(argument)):
        return None
    return Global(name, argument)


def _looks_like_code(text: str) -> bool:
    """A linking code as people type it: '482913', '482 913'."""
    return text.replace(" ", "").isdigit() and len(text) <= 12


def _looks_like_reference(text: str) -> bool:
    """A reference, or a short mistyped one: 'Suivi du chantier…' is a sentence, not a lookup."""
    if parse_reference(text) is not None:
        return True
    return len(text.split()) <= 2 and any(ch.isdigit() for ch in text)

"""Prompts a citizen can hear: the mairie records the bot's messages in a language its citizens
speak (Fon, Yoruba, Goun…), and citizens who speak it receive each recording as a voice note
beside the text. A page per commune and language, the messages in groups (onboarding, menu,
report…) so that a page stays light; an upload per message, from a file or the phone's
recorder; listen, replace, remove. Through core.prompts, audited.

The composition root gives the bot's messages (`prompt_texts`: key → the French text), the
languages citizens are offered to speak (`spoken_languages`) and the maker of voice notes
(`voice_note`: a recording's bytes → an OGG/Opus note and its seconds): the console imports
neither the dialogs nor the audio code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from admin_api.console.auth import SignedInDep
from admin_api.console.communes import chosen_commune, communes_row
from admin_api.console.item import SentDep
from admin_api.console.pages import redirect, render
from admin_api.deps import UowDep
from core.moderation import once
from core.moderation import service as moderation
from core.ports import TranscriptionError
from core.prompts import service as prompts
from core.prompts.models import PromptRecording

router = APIRouter(prefix="/console/prompts", include_in_schema=False)
MAX_BYTES = 10_000_000  # two minutes of any phone's recording
FIRST_GROUP = "menu"  # what every citizen hears (onboarding's first questions come before
# the bot knows their commune and language, unless the bot serves one commune)


@router.get("", response_class=HTMLResponse)
def page(request: Request, uow: UowDep, moderator: SignedInDep,
         commune: Annotated[str, Query(max_length=16)] = "",
         language: Annotated[str, Query(max_length=8)] = "",
         group: Annotated[str, Query(max_length=40)] = "",
         refused: Annotated[str, Query(max_length=20)] = "",
         key: Annotated[str, Query(max_length=80)] = "") -> HTMLResponse:
    chosen, mine = chosen_commune(uow, moderator, commune)
    texts: Mapping[str, str] = request.app.state.prompt_texts
    spoken = _spoken(request)
    language = language if language in dict(spoken) else _first_local(spoken)
    groups = list(dict.fromkeys(k.split(".", 1)[0] for k in texts)) or [FIRST_GROUP]
    group = group if group in groups else (FIRST_GROUP if FIRST_GROUP in groups
                                           else groups[0])
    recorded = {row.key: row for row in prompts.of_commune(uow=uow, commune_id=chosen.id)
                if row.language == language}
    return render(request, "prompts.html", moderator=moderator, commune=chosen, communes=mine,
                  languages=spoken, language=language, groups=groups, group=group,
                  language_name=dict(spoken).get(language, language),
                  messages=[(k, text) for k, text in texts.items()
                            if k.split(".", 1)[0] == group],
                  recorded=recorded, total=len(texts),
                  counted=sum(1 for k in recorded if k in texts),
                  refused=refused, refused_key=key, most_mb=MAX_BYTES // 1_000_000,
                  notice=request.query_params.get("done"))


@router.post("")
def record(request: Request, uow: UowDep, moderator: SignedInDep, sent: SentDep,
           commune: Annotated[str, Form(max_length=16)],
           language: Annotated[str, Form(max_length=8)],
           key: Annotated[str, Form(max_length=80)],
           file: UploadFile | None = None) -> Response:
    """Keep the uploaded recording as what `language` speakers hear beside message `key`."""
    chosen, _ = chosen_commune(uow, moderator, commune, strict=True)
    if key not in request.app.state.prompt_texts or language not in dict(_spoken(request)):
        return redirect(request, _back(chosen.id, language, key, refused="unknown"))
    data = file.file.read(MAX_BYTES + 1) if file is not None and file.filename else b""
    if len(data) > MAX_BYTES:
        return redirect(request, _back(chosen.id, language, key, refused="too_large"))
    try:
        note = _voice_note(request, data)
    except TranscriptionError as refused:
        return redirect(request, _back(chosen.id, language, key, refused=refused.reason))
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        row = prompts.record(uow=uow, commune_id=chosen.id, language=language, key=key,
                             voice=note[0], seconds=note[1], by=moderator.name)
        moderation.record(uow=uow, moderator=moderator, action="prompt_recorded",
                          target_type="prompt", target_id=str(row.id), commune_id=chosen.id,
                          after={"language": language, "key": key,
                                 "seconds": round(note[1], 1)})
        uow.commit()
    return redirect(request, _back(chosen.id, language, key, done="prompt_recorded") + f"#{key}")


@router.post("/{recording_id}/remove")
def remove(request: Request, recording_id: int, uow: UowDep, moderator: SignedInDep,
           sent: SentDep) -> Response:
    """Citizens read the message again, with no voice."""
    row = communes_row(uow, moderator, PromptRecording, recording_id)
    back = _back(row.commune_id, row.language, row.key, done="prompt_removed")
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        moderation.record(uow=uow, moderator=moderator, action="prompt_removed",
                          target_type="prompt", target_id=str(row.id),
                          commune_id=row.commune_id,
                          before={"language": row.language, "key": row.key})
        prompts.remove(uow=uow, recording=row)
        uow.commit()
    return redirect(request, back)


def _voice_note(request: Request, data: bytes) -> tuple[bytes, float]:
    """The upload as an OGG/Opus voice note, or TranscriptionError saying why it cannot be."""
    if not data:
        raise TranscriptionError("no file", reason="empty")
    made: Any = request.app.state.voice_note(data)
    return made.data, made.seconds


def _spoken(request: Request) -> list[tuple[str, str]]:
    """(code, name) of the languages citizens are offered to speak."""
    return list(request.app.state.spoken_languages)


def _first_local(spoken: list[tuple[str, str]]) -> str:
    """The first language that is not French or English: what a mairie records in."""
    return next((code for code, _ in spoken if code not in ("fr", "en")),
                spoken[0][0] if spoken else "fr")


def _back(commune_id: str, language: str, key: str, **told: str) -> str:
    """The page of the message's group, saying what happened."""
    asked = {"commune": commune_id, "language": language, "group": key.split(".", 1)[0],
             **({"key": key} if "refused" in told else {}), **told}
    return f"/console/prompts?{urlencode(asked)}"

"""The moderators' console: server-rendered pages under /console/, on the same core services
as the API. Every page is whole without JavaScript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from admin_api.console import (
    admin,
    alerts,
    announcements,
    auth,
    bulk,
    council,
    dashboard,
    desk,
    documents,
    export,
    item,
    lists,
    map,
    projects,
    prompts,
    share,
    surveys,
)

STATIC = Path(__file__).parent / "static"


def mount(web: FastAPI, *, escalation_hours: int = 48, map_tiles: str = "",
          public_url: str = "", channels: list[str] | None = None,
          survey_preview: Any = None, share_links: Any = None,
          make_digest: Any = None, free_text: Any = None,
          name_languages: tuple[str, ...] = (), prompt_texts: Any = None,
          spoken_languages: Any = None, voice_note: Any = None) -> None:
    """Add the console's pages, its static files, and `/` leading to it; an item still new
    after `escalation_hours` is marked overdue; the map draws `map_tiles` under its pins;
    `public_url` and `channels` say how a published document reaches citizens;
    `survey_preview` shows a survey's questions as the bot asks them, `share_links` and
    `make_digest` serve the group animators, `free_text` is the channels' rule of who an
    announcement reaches only through a template, `name_languages` the bot's catalogs beside
    French and English, in which categories and services may be named too, `prompt_texts`,
    `spoken_languages` and `voice_note` what the recorded prompts need (the composition
    root gives them: the console imports neither the dialogs nor the channels)."""
    web.state.escalation_hours = escalation_hours
    web.state.map_tiles = map_tiles
    web.state.public_url = public_url
    web.state.channels = channels or ["console"]
    web.state.survey_preview = survey_preview  # (questions, language) → the bot's messages
    web.state.share_links = share_links  # (commune id) → each flow's link on each bot
    web.state.make_digest = make_digest  # (uow, commune id) → last week's digest, kept
    web.state.free_text = free_text  # (identity, when) → whether words reach, not a template
    web.state.name_languages = name_languages  # fon, yo…: more names for categories, services
    web.state.prompt_texts = prompt_texts or {}  # the bot's messages: key → French text
    web.state.spoken_languages = spoken_languages or [("fr", "Français")]  # (code, name)
    web.state.voice_note = voice_note  # (bytes) → an OGG/Opus voice note and its seconds
    web.include_router(auth.router)
    web.include_router(desk.router)
    web.include_router(item.router)
    web.include_router(bulk.router)
    web.include_router(dashboard.router)
    web.include_router(export.router)
    web.include_router(admin.router)
    web.include_router(prompts.router)
    web.include_router(lists.router)
    web.include_router(map.router)
    web.include_router(announcements.router)
    web.include_router(projects.router)
    web.include_router(documents.router)
    web.include_router(council.router)
    web.include_router(surveys.router)
    web.include_router(share.router)
    web.include_router(alerts.router)
    web.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    for prefix, folder in map.VENDOR:
        web.mount(prefix, StaticFiles(directory=folder), name=prefix.rsplit("/", 1)[-1])
    web.add_exception_handler(auth.SignInNeeded, auth.to_sign_in)  # type: ignore[arg-type]

    @web.get("/", include_in_schema=False)
    def front_door() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

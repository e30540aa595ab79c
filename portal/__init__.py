"""Each commune's public page (`/c/{commune}`): what the mairie does with what citizens report,
its investment projects, documents and council, and how to reach it, for anyone, on a cheap
phone, in French or English. Read-only; it imports only core/ (and FastAPI, Jinja2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from core.uow import UnitOfWork
from portal.pages import PageCache, router

STATIC = Path(__file__).parent / "static"


def mount(web: FastAPI, *, uow_factory: Callable[[], UnitOfWork],
          links: Callable[[str], Sequence[Any]], public_url: str = "",
          cache_seconds: float = 60.0) -> None:
    """Add the public pages and their static files. `links(commune_id)` gives the links that
    open the bots (objects with channel, account, flow and url)."""
    web.state.portal_uow = uow_factory
    web.state.portal_links = links
    web.state.portal_public_url = public_url.rstrip("/")
    web.state.portal_cache = PageCache(cache_seconds)
    web.include_router(router)
    web.mount("/portal/static", StaticFiles(directory=STATIC), name="portal-static")

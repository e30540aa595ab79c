"""The routes of the public pages: `/c/{commune}` (`?lang=en`, `?page=2`), its map and the
QR codes of its bots. Every answer is cacheable (by the browser, a proxy, and this process
for a minute: many readers of a link pasted in a WhatsApp group cost one set of queries) and
answers 304 to a browser that has it already."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.communes.models import Commune
from core.documents.service import PUBLIC_PATH
from core.submissions import published
from core.submissions.service import LOCAL_TZ
from core.uow import UnitOfWork
from portal import drawing
from portal.facts import find_commune, gather, slug
from portal.words import Words, language_of

TEMPLATES = Path(__file__).parent / "templates"
MAX_AGE = 300  # seconds a browser or a proxy may keep a page
POLICY = ("default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
          "form-action 'none'; frame-ancestors 'none'")
FLOWS_SHOWN = ("report",)  # the link each bot gets on the page: the one that files a report

router = APIRouter(include_in_schema=False)


class PageCache:
    """Answers made in the last `seconds`, by what they show: (body, its ETag, its media
    type); at most LIMIT (about 20 MB), the oldest forgotten first."""

    LIMIT = 2_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._made: dict[str, tuple[float, bytes, str, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, make: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str, str]:
        now = time.monotonic()
        with self._lock:
            found = self._made.get(key)
        if found is not None and now - found[0] < self.seconds:
            return found[1], found[2], found[3]
        body, media = make()
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        with self._lock:
            self._made.pop(key, None)  # made again: now the newest
            self._made[key] = (now, body, tag, media)
            if len(self._made) > self.LIMIT:  # the oldest go first (a dict keeps its order)
                for old in list(self._made)[:len(self._made) - self.LIMIT]:
                    del self._made[old]
        return body, tag, media


@router.get("/c/{commune}")
def commune_page(request: Request, commune: str,
                 lang: Annotated[str | None, Query(max_length=8)] = None,
                 page: Annotated[int, Query(ge=1, le=published.MAX_PAGES)] = 1) -> Response:
    language = language_of(lang)
    with _uow(request) as uow:
        found = _commune(uow, commune)
        if slug(found.name) != commune:  # one address per page: caches keep one copy
            return RedirectResponse(_address(found, language, page), status_code=301)

    def make() -> tuple[bytes, str]:
        with _uow(request) as uow:
            facts = gather(uow=uow, commune=found, page=page, language=language)
        return _render(request, facts, language).encode(), "text/html; charset=utf-8"
    return _answer(request, f"page:{found.id}:{language}:{page}", make)


@router.get("/c/{commune}/carte.svg")
def commune_map(request: Request, commune: str) -> Response:
    with _uow(request) as uow:
        found = _commune(uow, commune)

    def make() -> tuple[bytes, str]:
        with _uow(request) as uow:
            pins = published.pins(uow=uow, commune_id=found.id)
        return drawing.map_svg(found.id, pins, found.name).encode(), "image/svg+xml"
    return _answer(request, f"map:{found.id}", make)


@router.get("/c/{commune}/qr/{number}.svg")
def bot_qr(request: Request, commune: str, number: int) -> Response:
    with _uow(request) as uow:
        found = _commune(uow, commune)
    links = bot_links(request, found.id)
    if not 0 <= number < len(links):
        raise HTTPException(404)
    return _answer(request, f"qr:{found.id}:{number}",
                   lambda: (drawing.qr_svg(links[number].url).encode(), "image/svg+xml"))


def bot_links(request: Request, commune_id: str) -> list[Any]:
    """One link per bot or number serving the commune: the one that opens a report."""
    every = request.app.state.portal_links(commune_id)
    return [link for link in every if link.flow in FLOWS_SHOWN]


def _answer(request: Request, key: str, make: Callable[[], tuple[bytes, str]]) -> Response:
    body, tag, media = request.app.state.portal_cache.get(key, make)
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={MAX_AGE}",
               "Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


def _uow(request: Request) -> UnitOfWork:
    made: UnitOfWork = request.app.state.portal_uow()
    return made


def _commune(uow: UnitOfWork, wanted: str) -> Commune:
    found = find_commune(uow=uow, wanted=wanted)
    if found is None:
        raise HTTPException(404, "No such commune on Palabre.")
    return found


def _address(commune: Commune, language: str, page: int = 1) -> str:
    query = "&".join(part for part in (f"lang={language}" if language != "fr" else "",
                                       f"page={page}" if page > 1 else "") if part)
    return f"/c/{slug(commune.name)}" + (f"?{query}" if query else "")


def _render(request: Request, facts: Any, language: str) -> str:
    # The page's own address for previews and search engines: only the configured one (a
    # request's Host header is the sender's to choose, and the page is kept for everyone)
    base = request.app.state.portal_public_url
    links = bot_links(request, facts.commune.id)
    return _environment().get_template("commune.html").render(
        t=Words(language), lang=language, facts=facts, links=links, document_path=PUBLIC_PATH,
        here=_address(facts.commune, language, facts.page), base=base,
        other="en" if language == "fr" else "fr", address=_address, slug=slug(
            facts.commune.name),
        day=lambda value: format_date(value.astimezone(LOCAL_TZ).date(), "d MMM y",
                                      locale=language),
        when=lambda value: format_datetime(value, "EEEE d MMMM y, HH:mm", tzinfo=LOCAL_TZ,
                                           locale=language))


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)

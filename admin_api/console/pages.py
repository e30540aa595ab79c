"""Rendering a console page: the template, the moderator's words, the CSRF token, and the
headers every page carries (a Content-Security-Policy that forbids inline scripts, no
framing, no caching of personal data)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from admin_api.console.i18n import Words, words_for
from core.submissions.service import LOCAL_TZ

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "palabre_csrf"
LANGUAGE_COOKIE = "palabre_lang"
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "media-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
          "form-action 'self'")

@cache
def environment() -> Environment:
    """The templates, loaded once per process; everything is escaped. `when|local(format)`
    writes a time as the mairie reads its clocks (Benin's time, not UTC)."""
    made = Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(default=True), trim_blocks=True,
                       lstrip_blocks=True)
    made.filters["local"] = local_time
    return made


def local_time(when: datetime, pattern: str) -> str:
    return when.astimezone(LOCAL_TZ).strftime(pattern)


def words(request: Request) -> Words:
    return words_for(request.cookies.get(LANGUAGE_COOKIE),
                     request.headers.get("accept-language"))


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: the one its cookie holds, or a new one set with the page."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return str(token)


def form_nonce() -> str:
    """A fresh value for one form, so that sending it twice acts once."""
    return secrets.token_urlsafe(24)


def check_csrf(request: Request, sent: str | None) -> None:
    """403 unless the form carries this browser's CSRF token (a page of another site cannot
    read the cookie, so it cannot send the token)."""
    kept = request.cookies.get(CSRF_COOKIE, "")
    if not kept or not sent or not hmac.compare_digest(kept, sent):
        raise HTTPException(403, "csrf")


def render(request: Request, template: str, *, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """The page, with the moderator's words and this browser's CSRF token."""
    page = environment().get_template(template).render(
        t=words(request), csrf=csrf_token(request), once=form_nonce,
        unseen_alerts=getattr(request.state, "unseen_alerts", 0), **context)
    return secured(request, HTMLResponse(page, status_code=status_code))


def redirect(request: Request, to: str) -> RedirectResponse:
    """After a form: see the result at `to` (a reload does not send the form again)."""
    return secured(request, RedirectResponse(to, status_code=303))


def secured(request: Request, response: Any) -> Any:
    """The headers of every console answer, and a new CSRF cookie when one was made."""
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/console")
    return response


def with_pictures_from(page: HTMLResponse, address: str) -> HTMLResponse:
    """Let this page show pictures from the server of `address` (the map's tiles; a {s}
    subdomain becomes *), and from no other; an address that is not http(s) adds nothing."""
    parts = urlsplit(address)
    host = parts.netloc.replace("{s}", "*")
    if parts.scheme in ("http", "https") and host and "{" not in host:
        page.headers["Content-Security-Policy"] = POLICY.replace(
            "img-src 'self' data:", f"img-src 'self' data: {parts.scheme}://{host}")
    return page


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page of this site, never another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/"

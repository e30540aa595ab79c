"""A refusal on a console page is a page in the moderator's language, not JSON."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from admin_api.console.i18n import catalogs
from admin_api.console.pages import render

GENERAL = {403: "error.forbidden", 404: "error.not_found", 422: "error.invalid"}


def is_console(request: Request) -> bool:
    return request.url.path.startswith("/console/")


def refusal_page(request: Request, status_code: int, detail: str) -> HTMLResponse:
    """The page for a refusal: its own words when the catalog has them (`csrf`,
    `reply.empty`…), else the general words for its status with the detail beside them."""
    known = catalogs().get("fr", {})
    key = f"error.{detail}" if f"error.{detail}" in known else detail
    if key in known:
        text, detail = key, ""
    else:
        text = GENERAL.get(status_code, "error.invalid")
    return render(request, "refusal.html", status_code=status_code, text=text,
                  detail=detail if status_code not in (403, 404) else "")

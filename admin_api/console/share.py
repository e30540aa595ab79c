"""For the animators of the commune's WhatsApp groups: the weekly digest ready to copy (one
button; without JavaScript the text is selected by hand), made now on demand; and the links
that open each flow on each bot and number serving the commune, with their QR codes, on one
page that prints for the mairie's notice board."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from admin_api.console.auth import SignedInDep
from admin_api.console.communes import chosen_commune
from admin_api.console.item import SentDep
from admin_api.console.pages import redirect, render
from admin_api.deps import UowDep
from core.digests import service as digests
from core.moderation import once
from core.moderation import service as moderation

router = APIRouter(prefix="/console/share", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def share(request: Request, uow: UowDep, moderator: SignedInDep,
          commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    chosen, mine = chosen_commune(uow, moderator, commune)
    find: Callable[[str], list[Any]] | None = getattr(request.app.state, "share_links", None)
    found = find(chosen.id) if find else []
    return render(request, "share.html", moderator=moderator, commune=chosen, communes=mine,
                  digests=digests.latest(uow=uow, commune_id=chosen.id, limit=4),
                  links=[(link, _qr(link.url)) for link in found],
                  can_make=getattr(request.app.state, "make_digest", None) is not None,
                  notice=request.query_params.get("done"))


@router.post("/digest")
def make_digest(request: Request, uow: UowDep, moderator: SignedInDep, sent: SentDep,
                commune: Annotated[str, Form(max_length=16)]) -> Response:
    """Last week's digest, made now (the scheduler makes it every Monday morning)."""
    chosen, _ = chosen_commune(uow, moderator, commune, strict=True)
    make: Callable[[Any, str], str] | None = getattr(request.app.state, "make_digest", None)
    if make is None:
        raise HTTPException(404, "error.not_found")
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        make(uow, chosen.id)
        moderation.record(uow=uow, moderator=moderator, action="digest_made",
                          target_type="commune", target_id=chosen.id, commune_id=chosen.id)
        uow.commit()
    return redirect(request, f"/console/share?commune={chosen.id}&done=digest")


def _qr(url: str) -> Markup:
    """The link's QR code as SVG drawn in the page. Safe unescaped: segno writes the code as
    path data only (the link itself is not in it), and the link is built by the composition
    root from the operator's bots, numbers and fixed flow words, nothing anyone typed."""
    return Markup(segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=True))

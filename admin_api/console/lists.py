"""A commune's lists: the report categories and municipal services citizens choose from, and
the canned replies moderators reuse, each with its words per language (French required;
categories and services also in each language the bot has a catalog for: Fon, Yoruba…).
Every change is audited; a category or service taken away stays on the submissions that use
it and is no longer offered to citizens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from admin_api.console.auth import SignedInDep
from admin_api.console.item import SentDep
from admin_api.console.pages import redirect, render
from admin_api.deps import UowDep
from core.communes import service as communes
from core.communes.models import Category, MunicipalService
from core.moderation import once
from core.moderation import service as moderation
from core.moderation.models import CannedReply, Moderator
from core.uow import UnitOfWork

router = APIRouter(prefix="/console/lists", include_in_schema=False)
Words = Annotated[str, Form(max_length=300)]
NAMED_IN = "name_"  # the form's field of a name in another language: name_fon, name_yo


async def other_names(request: Request) -> dict[str, str]:
    """The names in the bot's other languages (fields name_<language>); a language the bot
    has no catalog for, or a name over 300 characters, is a bad request."""
    form = await request.form()  # parsed once, for the route's own fields too
    known = set(request.app.state.name_languages)
    given = {field.removeprefix(NAMED_IN): str(value) for field, value in form.multi_items()
             if field.startswith(NAMED_IN)}
    if not set(given) <= known or any(len(name) > 300 for name in given.values()):
        raise HTTPException(400, "error.invalid")
    return given


OtherNames = Annotated[dict[str, str], Depends(other_names)]
TABLES = {"category": Category, "service": MunicipalService}


@router.get("", response_class=HTMLResponse)
def lists(request: Request, uow: UowDep, moderator: SignedInDep,
          commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    mine = [c for c in communes.enabled_communes(uow=uow) if moderation.may_see(moderator, c.id)]
    if not mine:
        raise HTTPException(404, "error.not_found")
    chosen = next((c for c in mine if c.id == commune), mine[0])
    return render(request, "lists.html", moderator=moderator, communes=mine, commune=chosen,
                  categories=communes.categories_of(uow=uow, commune_id=chosen.id,
                                                    include_inactive=True),
                  services=communes.services_of(uow=uow, commune_id=chosen.id,
                                                include_inactive=True),
                  replies=moderation.canned_replies(uow=uow, commune_id=chosen.id),
                  languages=request.app.state.name_languages,
                  notice=request.query_params.get("done"))


# The replies' routes come first: /{commune}/replies/new would match /{commune}/{kind}/{id}
@router.post("/{commune_id}/replies/new")
def add_reply(request: Request, commune_id: str, uow: UowDep, moderator: SignedInDep,
              sent: SentDep, title: Annotated[str, Form(min_length=1, max_length=80)],
              fr: Annotated[str, Form(max_length=2000)],
              en: Annotated[str, Form(max_length=2000)] = "") -> Response:
    _mine(moderator, commune_id)
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        reply = moderation.add_canned_reply(uow=uow, commune_id=commune_id, title=title,
                                            texts=_names(fr, en))
        moderation.record(uow=uow, moderator=moderator, action="canned_reply_added",
                          target_type="canned_reply", target_id=str(reply.id),
                          commune_id=commune_id, after={"title": title})
        uow.commit()
    return redirect(request, f"/console/lists?commune={commune_id}&done=lists")


@router.post("/{commune_id}/replies/{reply_id}/delete")
def delete_reply(request: Request, commune_id: str, reply_id: int, uow: UowDep,
                 moderator: SignedInDep, sent: SentDep) -> Response:
    _mine(moderator, commune_id)
    reply = uow.session.get(CannedReply, reply_id) if reply_id < 2**31 else None
    if reply is None or reply.commune_id != commune_id:
        raise HTTPException(404, "error.not_found")
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        _forget_reply(uow, moderator, reply)
        uow.commit()
    return redirect(request, f"/console/lists?commune={commune_id}&done=lists")


@router.post("/{commune_id}/{kind}")
def add_item(request: Request, commune_id: str, kind: str, uow: UowDep,
             moderator: SignedInDep, sent: SentDep,
             code: Annotated[str, Form(pattern=r"^[a-z0-9_]{2,40}$")],
             others: OtherNames, fr: Words, en: Words = "") -> Response:
    """A new category or service, named in French (and English, and the bot's others)."""
    _mine(moderator, commune_id)
    if kind not in TABLES:
        raise HTTPException(404, "error.not_found")
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        add = communes.add_category if kind == "category" else communes.add_service
        names = _names(fr, en, others)
        item = add(uow=uow, commune_id=commune_id, code=code, names=names)
        moderation.record(uow=uow, moderator=moderator, action=f"{kind}_added",
                          target_type=kind, target_id=str(item.id), commune_id=commune_id,
                          after={"code": code, "names": item.names})
        uow.commit()
    return redirect(request, f"/console/lists?commune={commune_id}&done=lists")


@router.post("/{commune_id}/{kind}/{item_id}")
def change_item(request: Request, commune_id: str, kind: str, item_id: int, uow: UowDep,
                moderator: SignedInDep, sent: SentDep, others: OtherNames, fr: Words,
                en: Words = "", active: Annotated[bool, Form()] = False) -> Response:
    """Rename a category or service, or take it away (or back)."""
    _mine(moderator, commune_id)
    table = TABLES.get(kind)
    item = uow.session.get(table, item_id) if table and item_id < 2**31 else None
    if item is None or item.commune_id != commune_id:
        raise HTTPException(404, "error.not_found")
    if once.first_use(uow=uow, moderator=moderator, nonce=sent):
        before = {"names": dict(item.names), "active": item.active}
        communes.update_listing(uow=uow, item=item, active=active,
                                names=_names(fr, en, others))
        moderation.record(uow=uow, moderator=moderator, action=f"{kind}_changed",
                          target_type=kind, target_id=str(item.id), commune_id=commune_id,
                          before=before, after={"names": item.names, "active": active})
        uow.commit()
    return redirect(request, f"/console/lists?commune={commune_id}&done=lists")


def _forget_reply(uow: UnitOfWork, moderator: Moderator, reply: CannedReply) -> None:
    moderation.record(uow=uow, moderator=moderator, action="canned_reply_deleted",
                      target_type="canned_reply", target_id=str(reply.id),
                      commune_id=reply.commune_id, before={"title": reply.title})
    uow.session.delete(reply)


def _mine(moderator: Moderator, commune_id: str) -> None:
    if not moderation.may_see(moderator, commune_id):
        raise HTTPException(404, "error.not_found")


def _names(fr: str, en: str, others: Mapping[str, str] | None = None) -> dict[str, str]:
    """Words per language; French is required (core says so when it is missing)."""
    given = (("fr", fr), ("en", en), *(others or {}).items())
    return {language: text.strip() for language, text in given if text.strip()}

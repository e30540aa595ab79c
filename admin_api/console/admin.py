"""Accounts, for administrators: who may work the desk, on which communes, with which rights;
one-time links to set a password, API tokens, revocation. Every change is audited and ends
the account's console sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin_api.console.auth import SignedInDep
from admin_api.console.item import SentDep
from admin_api.console.pages import redirect, render
from admin_api.deps import UowDep
from core.communes.service import enabled_communes
from core.moderation import once, signin
from core.moderation import service as moderation
from core.moderation.models import Moderator, Role

router = APIRouter(prefix="/console/admin", include_in_schema=False)


def administrator(moderator: SignedInDep) -> Moderator:
    if moderator.role != Role.ADMIN:
        raise HTTPException(403, "error.forbidden")
    return moderator


AdminDep = Annotated[Moderator, Depends(administrator)]
Name = Annotated[str, Form(min_length=1, max_length=80)]


@router.get("", response_class=HTMLResponse)
def accounts(request: Request, uow: UowDep, admin: AdminDep) -> HTMLResponse:
    return render(request, "accounts.html", moderator=admin, roles=list(Role),
                  accounts=moderation.list_moderators(uow=uow),
                  communes=enabled_communes(uow=uow), notice=request.query_params.get("done"))


@router.post("/accounts", response_class=HTMLResponse)
def add_account(request: Request, uow: UowDep, admin: AdminDep, sent: SentDep, name: Name,
                role: Annotated[Role, Form()],
                communes: Annotated[list[str], Form(max_length=80)] = [],  # noqa: B006
                contacts: Annotated[bool, Form()] = False) -> Response:
    """A new account, and the one-time link to hand its holder (shown once)."""
    if not once.first_use(uow=uow, moderator=admin, nonce=sent):
        return redirect(request, "/console/admin")
    made = moderation.add_moderator(uow=uow, name=name.strip(), role=role, communes=communes,
                                    can_see_contacts=contacts)
    moderation.record(uow=uow, moderator=admin, action="account_added",
                      target_type="moderator", target_id=made.name,
                      after={"role": role, "communes": made.communes,
                             "can_see_contacts": contacts})
    link = _link(request, uow, made)
    uow.commit()
    return render(request, "handed.html", moderator=admin, holder=made, link=link, token=None)


@router.get("/{name}", response_class=HTMLResponse)
def account(request: Request, name: str, uow: UowDep, admin: AdminDep) -> HTMLResponse:
    return render(request, "account.html", moderator=admin, roles=list(Role),
                  holder=moderation.get_moderator(uow=uow, name=name),
                  tokens=moderation.tokens_of(uow=uow, moderator=moderation.get_moderator(
                      uow=uow, name=name)),
                  communes=enabled_communes(uow=uow), notice=request.query_params.get("done"))


@router.post("/{name}")
def change_account(request: Request, name: str, uow: UowDep, admin: AdminDep, sent: SentDep,
                   role: Annotated[Role, Form()],
                   communes: Annotated[list[str], Form(max_length=80)] = [],  # noqa: B006
                   contacts: Annotated[bool, Form()] = False,
                   active: Annotated[bool, Form()] = False) -> Response:
    if once.first_use(uow=uow, moderator=admin, nonce=sent):
        moderation.update_moderator(uow=uow, actor=admin, name=name, role=role,
                                    communes=communes, can_see_contacts=contacts,
                                    active=active)
        uow.commit()
    return redirect(request, f"/console/admin/{name}?done=account")


@router.post("/{name}/link", response_class=HTMLResponse)
def new_link(request: Request, name: str, uow: UowDep, admin: AdminDep,
             sent: SentDep) -> Response:
    """A new one-time link (a forgotten password, a new colleague on the same account)."""
    holder = moderation.get_moderator(uow=uow, name=name)
    if holder.role not in (Role.ADMIN, Role.MODERATOR) or \
            not once.first_use(uow=uow, moderator=admin, nonce=sent):
        return redirect(request, f"/console/admin/{name}")
    link = _link(request, uow, holder)
    moderation.record(uow=uow, moderator=admin, action="signin_link", target_type="moderator",
                      target_id=holder.name)
    uow.commit()
    return render(request, "handed.html", moderator=admin, holder=holder, link=link,
                  token=None)


@router.post("/{name}/token", response_class=HTMLResponse)
def new_token(request: Request, name: str, uow: UowDep, admin: AdminDep, sent: SentDep,
              label: Annotated[str, Form(max_length=80)] = "") -> Response:
    holder = moderation.get_moderator(uow=uow, name=name)
    if not once.first_use(uow=uow, moderator=admin, nonce=sent):
        return redirect(request, f"/console/admin/{name}")
    issued = moderation.issue_token(uow=uow, moderator=holder, label=label.strip())
    moderation.record(uow=uow, moderator=admin, action="token_issued", target_type="moderator",
                      target_id=holder.name, after={"token": issued.token_id})
    uow.commit()
    return render(request, "handed.html", moderator=admin, holder=holder, link=None,
                  token=issued.token)


@router.post("/{name}/revoke/{token_id}")
def revoke(request: Request, name: str, token_id: int, uow: UowDep, admin: AdminDep,
           sent: SentDep) -> Response:
    holder = moderation.get_moderator(uow=uow, name=name)
    if token_id in {t.id for t in moderation.tokens_of(uow=uow, moderator=holder)} and \
            once.first_use(uow=uow, moderator=admin, nonce=sent):
        moderation.revoke_token(uow=uow, token_id=token_id)
        moderation.record(uow=uow, moderator=admin, action="token_revoked",
                          target_type="moderator", target_id=holder.name,
                          after={"token": token_id})
        uow.commit()
    return redirect(request, f"/console/admin/{name}?done=revoked")


def _link(request: Request, uow: UowDep, holder: Moderator) -> str:
    """The address where the holder sets a password, as this browser reaches the server."""
    token = signin.issue_signin_link(uow=uow, moderator=holder)
    return str(request.url_for("password_page", token=token))

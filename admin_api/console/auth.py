"""Signing in and out of the console, setting a password from a one-time link, and the
signed-in moderator every other page needs."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from admin_api.console.pages import check_csrf, redirect, render, safe_next, secured
from admin_api.deps import UowDep, failed_authentication, retry_after
from core import errors
from core.moderation import alerts, signin
from core.moderation.models import Moderator, Role

SESSION_COOKIE = "palabre_session"

router = APIRouter(prefix="/console", include_in_schema=False)


class SignInNeeded(Exception):
    """No live session: the browser goes to the sign-in page, then back to `next`."""

    def __init__(self, asked: str) -> None:
        self.asked = asked


def signed_in_reader(request: Request, uow: UowDep) -> Moderator:
    """Whoever holds this browser's session, analysts included (the figures and surveys'
    results, nothing personal); else to the sign-in page."""
    moderator = signin.session_holder(uow=uow, token=request.cookies.get(SESSION_COOKIE, ""))
    if moderator is None:
        asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(asked if request.method == "GET" else "/console/")
    if moderator.role in (Role.ADMIN, Role.MODERATOR):
        request.state.unseen_alerts = alerts.unseen(uow=uow, moderator=moderator)  # header
    # The session's last use, and the end of this transaction: a page that writes through
    # units of work of its own (bulk actions) must not find SQLite's write lock held here.
    uow.commit()
    return moderator


def signed_in(request: Request, uow: UowDep) -> Moderator:
    """The moderator of this browser's session, one who works the inbox; else to the
    sign-in page (an analyst gets 403: their pages are the figures and surveys' results)."""
    moderator = signed_in_reader(request, uow)
    if moderator.role not in (Role.ADMIN, Role.MODERATOR):
        raise errors.Forbidden("this account does not work the inbox")
    return moderator


SignedInDep = Annotated[Moderator, Depends(signed_in)]
ReaderDep = Annotated[Moderator, Depends(signed_in_reader)]


def to_sign_in(request: Request, exc: SignInNeeded) -> Response:
    return redirect(request, f"/console/sign-in?next={quote(exc.asked, safe='/')}")


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None,
                 done: str | None = None) -> HTMLResponse:
    return render(request, "signin.html", next=safe_next(next),
                  notice="password" if done == "password" else None)


@router.post("/sign-in")
def sign_in(request: Request, uow: UowDep, name: Annotated[str, Form(max_length=80)],
            password: Annotated[str, Form(max_length=200)],
            csrf: Annotated[str | None, Form()] = None,
            next: Annotated[str | None, Form()] = None) -> Response:
    """A session cookie for the right name and password; failures slowed like tokens."""
    check_csrf(request, csrf)
    signed = signin.sign_in(uow=uow, name=name.strip(), password=password)
    if signed is None:
        wait = failed_authentication(request, f"console:{name.strip().lower()}")
        page = render(request, "signin.html", next=safe_next(next), name=name,
                      problem="signin.failed" if not wait else "signin.throttled",
                      status_code=401 if not wait else 429)
        if wait:
            page.headers["Retry-After"] = retry_after(wait)
        return page
    uow.commit()
    response = redirect(request, safe_next(next))
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/console")
    return response


@router.post("/sign-out")
def sign_out(request: Request, uow: UowDep,
             csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    signin.sign_out(uow=uow, token=request.cookies.get(SESSION_COOKIE, ""))
    uow.commit()
    response = redirect(request, "/console/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.get("/password/{token}", response_class=HTMLResponse)
def password_page(request: Request, token: str, uow: UowDep) -> HTMLResponse:
    holder = signin.link_holder(uow=uow, token=token)
    if holder is None:
        return render(request, "message.html", status_code=404, title="password.title",
                      text="password.expired")
    return render(request, "password.html", token=token, name=holder.name)


@router.post("/password/{token}")
def set_password(request: Request, token: str, uow: UowDep,
                 password: Annotated[str, Form(max_length=400)],
                 again: Annotated[str, Form(max_length=400)],
                 csrf: Annotated[str | None, Form()] = None) -> Response:
    """Set the password, sign out everywhere, and go to sign in with it."""
    check_csrf(request, csrf)
    holder = signin.link_holder(uow=uow, token=token)
    if holder is None:
        return render(request, "message.html", status_code=404, title="password.title",
                      text="password.expired")
    problem = ("password.different" if password != again
               else "password.short" if signin.password_problem(password) else None)
    if problem:
        return render(request, "password.html", token=token, name=holder.name,
                      problem=problem, status_code=422)
    signin.set_password(uow=uow, token=token, password=password)
    uow.commit()
    return secured(request, redirect(request, "/console/sign-in?done=password"))

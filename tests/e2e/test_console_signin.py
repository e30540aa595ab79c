"""Signing in to the console in a browser's way: forms, cookies, CSRF, the way back to the
page asked for, slowed failures, sessions that end with a new password."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.moderation import service as moderation
from core.moderation import signin
from core.moderation.models import Role
from palabre.web import create_web_app
from tests.e2e.console_client import PASSWORD, account, csrf_of, post_form, signed_in


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(create_web_app(app))


def test_the_front_door_leads_to_the_console_and_its_sign_in(client) -> None:
    first = client.get("/", follow_redirects=False)
    assert first.status_code == 307 and first.headers["location"] == "/console/"
    inbox = client.get("/console/", follow_redirects=False)
    assert inbox.status_code == 303
    assert inbox.headers["location"] == "/console/sign-in?next=/console/"
    page = client.get("/console/sign-in")
    assert page.status_code == 200 and "Connexion" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_signing_in_sets_a_safe_cookie_and_goes_back_to_the_page_asked_for(app, client) -> None:
    account(app, "awa")
    asked = client.get("/console/?folder=new", follow_redirects=False)
    assert asked.headers["location"] == "/console/sign-in?next=/console/%3Ffolder%3Dnew"

    answer = post_form(client, "/console/sign-in?next=/console/%3Ffolder%3Dnew",
                       "/console/sign-in", {"name": "awa", "password": PASSWORD,
                                            "next": "/console/?folder=new"})

    assert answer.status_code == 303 and answer.headers["location"] == "/console/?folder=new"
    cookie = answer.headers["set-cookie"]
    assert "palabre_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/console/").status_code == 200


def test_a_sign_in_never_sends_the_browser_to_another_site(app, client) -> None:
    account(app, "awa")
    answer = post_form(client, "/console/sign-in", "/console/sign-in",
                       {"name": "awa", "password": PASSWORD, "next": "//evil.example/console/"})
    assert answer.headers["location"] == "/console/"


def test_a_wrong_password_is_refused_and_failures_are_slowed(app, client) -> None:
    account(app, "awa")
    for _ in range(5):
        wrong = signed_in(client, "awa", "pas-le-bon-mot")
        assert wrong.status_code == 401 and "incorrect" in wrong.text
    slowed = signed_in(client, "awa", "pas-le-bon-mot")
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) >= 1
    assert signed_in(client, "awa").status_code == 303  # the right password still works


def test_a_form_without_its_csrf_token_is_refused(app, client) -> None:
    account(app, "awa")
    client.get("/console/sign-in")
    forged = client.post("/console/sign-in", data={"name": "awa", "password": PASSWORD},
                         follow_redirects=False)
    assert forged.status_code == 403 and "expiré" in forged.text
    other = client.post("/console/sign-in", follow_redirects=False,
                        data={"name": "awa", "password": PASSWORD, "csrf": "x" * 32})
    assert other.status_code == 403 and "palabre_session" not in other.headers.get(
        "set-cookie", "")


def test_a_one_time_link_sets_the_password_and_ends_every_session(app, client) -> None:
    account(app, "awa")
    assert signed_in(client, "awa").status_code == 303
    with app.uow_factory() as uow:
        token = signin.issue_signin_link(uow=uow,
                                         moderator=moderation.get_moderator(uow=uow, name="awa"))
        uow.commit()
    browser = TestClient(create_web_app(app))

    mismatch = post_form(browser, f"/console/password/{token}", f"/console/password/{token}",
                         {"password": "un-nouveau-mot", "again": "un-autre-mot!"})
    assert mismatch.status_code == 422 and "pas identiques" in mismatch.text
    done = post_form(browser, f"/console/password/{token}", f"/console/password/{token}",
                     {"password": "un-nouveau-mot", "again": "un-nouveau-mot"})

    assert done.status_code == 303 and done.headers["location"].startswith("/console/sign-in")
    assert client.get("/console/", follow_redirects=False).status_code == 303  # signed out
    assert browser.get(f"/console/password/{token}").status_code == 404  # used up
    assert signed_in(browser, "awa", "un-nouveau-mot").status_code == 303


def test_signing_out_ends_the_session(app, client) -> None:
    account(app, "awa")
    signed_in(client, "awa")
    page = client.get("/console/")
    out = client.post("/console/sign-out", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_an_analyst_is_told_the_desk_is_not_theirs(app, client) -> None:
    account(app, "stat", Role.ANALYST)
    signed_in(client, "stat")
    landed = client.get("/console/", follow_redirects=False)
    assert landed.headers["location"] == "/console/dashboard"  # the figures are theirs
    for desk in ("/console/map", "/console/announcements", "/console/council"):
        page = client.get(desk)
        assert page.status_code == 403 and "ne peut pas" in page.text


def test_bearer_tokens_still_work_for_the_api(app, client) -> None:
    with app.uow_factory() as uow:
        made = moderation.add_moderator(uow=uow, name="awa", role=Role.MODERATOR,
                                        communes=["BJ-LI-COT"])
        token = moderation.issue_token(uow=uow, moderator=made).token
        uow.commit()
    answer = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["data"] == []

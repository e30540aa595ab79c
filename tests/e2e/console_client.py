"""A moderator's browser on the console, through HTTP: forms with their CSRF token, cookies."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from httpx import Response

from core.moderation import service as moderation
from core.moderation import signin
from core.moderation.models import Role
from palabre.web import create_web_app

PASSWORD = "manguier-de-gbegamey"


def account(app, name: str, role: Role = Role.MODERATOR, communes=("BJ-LI-COT",)) -> None:
    """An account whose password is set, as after its one-time link."""
    with app.uow_factory() as uow:
        made = moderation.add_moderator(uow=uow, name=name, role=role,
                                        communes=list(communes) if role != Role.ADMIN else [])
        link = signin.issue_signin_link(uow=uow, moderator=made)
        signin.set_password(uow=uow, token=link, password=PASSWORD)
        uow.commit()


def csrf_of(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def hidden_fields(page: Response, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to `action` (its CSRF token, its
    nonce), or only the page's CSRF token when it has no such form."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page.text,
                     flags=re.DOTALL)
    if form is None:
        return {"csrf": csrf_of(page)}
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(1))
    return {name: html.unescape(value) for name, value in found}  # as a browser reads them


def post_form(client: TestClient, page_path: str, action: str, fields: dict[str, str]) -> Response:
    """Open the page, then send one of its forms as a browser would (with its hidden
    fields)."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text
    return client.post(action, data={**hidden_fields(page, action), **fields},
                        follow_redirects=False)


def signed_in(client: TestClient, name: str, password: str = PASSWORD) -> Response:
    answer = post_form(client, "/console/sign-in", "/console/sign-in",
                       {"name": name, "password": password})
    return answer


def signed_in_browser(app, name: str = "awa") -> TestClient:
    """A moderator of Cotonou (made when missing) signed in to the console."""
    with app.uow_factory() as uow:
        known = {m.name for m in moderation.list_moderators(uow=uow)}
    if name not in known:
        account(app, name)
    browser = TestClient(create_web_app(app))
    assert signed_in(browser, name).status_code == 303
    return browser

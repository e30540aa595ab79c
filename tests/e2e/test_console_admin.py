"""Accounts and a commune's lists in the console: made, changed and audited; a change ends
the account's sessions; only administrators manage accounts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.communes.models import Category
from core.moderation.models import AuditEntry, Role
from palabre.web import create_web_app
from tests.e2e.console_client import PASSWORD, account, post_form, signed_in


def _browser(app, name: str) -> TestClient:
    browser = TestClient(create_web_app(app))
    assert signed_in(browser, name).status_code == 303
    return browser


@pytest.fixture
def root(app) -> TestClient:
    account(app, "root", Role.ADMIN)
    return _browser(app, "root")


def test_an_admin_makes_an_account_and_hands_its_link(app, root) -> None:
    page = post_form(root, "/console/admin", "/console/admin/accounts",
                     {"name": "sena", "role": "moderator", "communes": ["BJ-LI-COT"]})
    assert page.status_code == 200
    link = re.search(r"http://testserver(/console/password/[\w-]+)", page.text).group(1)

    newcomer = TestClient(create_web_app(app))
    set_it = post_form(newcomer, link, link, {"password": "mot-de-passe-de-sena",
                                              "again": "mot-de-passe-de-sena"})
    assert set_it.status_code == 303
    assert signed_in(newcomer, "sena", "mot-de-passe-de-sena").status_code == 303
    assert newcomer.get("/console/").status_code == 200
    with app.uow_factory() as uow:
        assert uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "account_added")).one().target_id == "sena"


def test_changing_an_account_ends_its_sessions(app, root) -> None:
    account(app, "sena")
    sena = _browser(app, "sena")
    changed = post_form(root, "/console/admin/sena", "/console/admin/sena",
                        {"role": "moderator", "communes": ["BJ-AQ-ABO"], "active": "true"})
    assert changed.status_code == 303
    assert sena.get("/console/", follow_redirects=False).status_code == 303  # signed out
    again = _browser(app, "sena")
    assert "Abomey-Calavi" in again.get("/console/lists").text


def test_a_deactivated_account_cannot_sign_in(app, root) -> None:
    account(app, "sena")
    post_form(root, "/console/admin/sena", "/console/admin/sena",
              {"role": "moderator", "communes": ["BJ-LI-COT"]})  # "active" unticked
    assert signed_in(TestClient(create_web_app(app)), "sena", PASSWORD).status_code == 401


def test_an_admin_cannot_lock_themselves_out(root) -> None:
    refused = post_form(root, "/console/admin/root", "/console/admin/root",
                        {"role": "moderator", "communes": ["BJ-LI-COT"], "active": "true"})
    assert refused.status_code == 422


def test_a_token_is_shown_once_and_revoked(app, root) -> None:
    account(app, "sena")
    shown = post_form(root, "/console/admin/sena", "/console/admin/sena/token",
                      {"label": "tableur"})
    token = re.search(r"plb_[\w-]+", shown.text).group(0)
    assert root.get("/api/v1/submissions", headers={
        "Authorization": f"Bearer {token}"}).status_code == 200
    page = root.get("/console/admin/sena").text
    action = re.search(r'action="(/console/admin/sena/revoke/\d+)"', page).group(1)
    post_form(root, "/console/admin/sena", action, {})
    assert root.get("/api/v1/submissions", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401


def test_a_moderator_is_refused_the_accounts(app) -> None:
    account(app, "sena")
    sena = _browser(app, "sena")
    assert sena.get("/console/admin").status_code == 403


def test_a_moderator_keeps_the_communes_lists(app) -> None:
    account(app, "sena")
    sena = _browser(app, "sena")
    added = post_form(sena, "/console/lists", "/console/lists/BJ-LI-COT/category",
                      {"code": "arbres", "fr": "Arbre tombé", "en": "Fallen tree"})
    assert added.status_code == 303
    page = sena.get("/console/lists").text
    assert 'value="Arbre tombé"' in page
    reply = post_form(sena, "/console/lists", "/console/lists/BJ-LI-COT/replies/new",
                      {"title": "Merci", "fr": "Merci pour votre signalement."})
    assert reply.status_code == 303
    assert "Merci pour votre signalement." in sena.get("/console/lists").text
    assert sena.get("/console/lists?commune=BJ-AQ-ABO").text.count("Cotonou") >= 1
    refused = post_form(sena, "/console/lists", "/console/lists/BJ-AQ-ABO/category",
                        {"code": "arbres", "fr": "Arbre tombé", "once": "x" * 24})
    assert refused.status_code == 404


def test_categories_are_named_in_the_bots_other_languages_too(app) -> None:
    account(app, "sena")
    sena = _browser(app, "sena")
    page = sena.get("/console/lists").text
    assert 'aria-label="nom en yo"' in page and 'aria-label="nom en fon"' in page

    added = post_form(sena, "/console/lists", "/console/lists/BJ-LI-COT/category",
                      {"code": "arbres", "fr": "Arbre tombé", "en": "", "name_fon": "",
                       "name_yo": "Igi wó lulẹ̀"})
    stranger = post_form(sena, "/console/lists", "/console/lists/BJ-LI-COT/category",
                         {"code": "pont", "fr": "Pont", "name_xx": "?"})

    assert added.status_code == 303 and stranger.status_code == 400
    with app.uow_factory() as uow:
        tree = uow.session.exec(select(Category).where(Category.code == "arbres")).one()
        assert uow.session.exec(select(Category).where(Category.code == "pont")).first() is None
    assert tree.names == {"fr": "Arbre tombé", "yo": "Igi wó lulẹ̀"}
    assert 'value="Igi wó lulẹ̀"' in sena.get("/console/lists").text

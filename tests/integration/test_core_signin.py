"""Signing in to the console, on a real database: a password set through a one-time link,
sessions that end when the password changes or after a long idle time."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import errors
from core.moderation import service as moderation
from core.moderation import signin
from core.moderation.models import ConsoleSession, Moderator, Role

PASSWORD = "manguier-de-gbegamey"


def _awa(app) -> str:
    """Awa's account, and her first one-time link."""
    with app.uow_factory() as uow:
        awa = moderation.add_moderator(uow=uow, name="awa", role=Role.MODERATOR,
                                       communes=["BJ-LI-COT"])
        token = signin.issue_signin_link(uow=uow, moderator=awa)
        uow.commit()
    return token


def _set(app, token: str, password: str = PASSWORD) -> Moderator:
    with app.uow_factory() as uow:
        moderator = signin.set_password(uow=uow, token=token, password=password)
        uow.commit()
    return moderator


def _sign_in(app, name: str = "awa", password: str = PASSWORD) -> str | None:
    with app.uow_factory() as uow:
        signed = signin.sign_in(uow=uow, name=name, password=password)
        uow.commit()
    return signed.token if signed else None


def _holder(app, session: str) -> str | None:
    with app.uow_factory() as uow:
        moderator = signin.session_holder(uow=uow, token=session)
        uow.commit()
    return moderator.name if moderator else None


def test_a_link_sets_the_password_once_and_only_its_hash_is_kept(app) -> None:
    token = _awa(app)
    with app.uow_factory() as uow:
        assert signin.link_holder(uow=uow, token=token).name == "awa"

    awa = _set(app, token)

    assert awa.password_hash and PASSWORD not in awa.password_hash
    assert awa.password_hash.startswith("$argon2id$")
    with pytest.raises(errors.NotFound), app.uow_factory() as uow:
        signin.set_password(uow=uow, token=token, password="un-autre-mot-de-passe")


def test_a_link_expires_after_three_days(app, clock) -> None:
    token = _awa(app)
    clock.advance(days=3, seconds=1)
    with pytest.raises(errors.NotFound), app.uow_factory() as uow:
        signin.set_password(uow=uow, token=token, password=PASSWORD)


def test_a_short_password_is_refused_and_the_link_still_works(app) -> None:
    token = _awa(app)
    with pytest.raises(errors.DomainError, match="at least 10"), app.uow_factory() as uow:
        signin.set_password(uow=uow, token=token, password="court")
    assert _set(app, token).password_hash


def test_a_new_link_cancels_the_unused_one(app) -> None:
    first = _awa(app)
    with app.uow_factory() as uow:
        second = signin.issue_signin_link(
            uow=uow, moderator=moderation.get_moderator(uow=uow, name="awa"))
        uow.commit()
    with app.uow_factory() as uow:
        assert signin.link_holder(uow=uow, token=first) is None
        assert signin.link_holder(uow=uow, token=second) is not None


def test_only_the_right_name_and_password_of_an_active_account_sign_in(app) -> None:
    _set(app, _awa(app))

    assert _sign_in(app, password="manguier-de-gbegamex") is None
    assert _sign_in(app, name="kofi") is None
    session = _sign_in(app)
    assert session is not None and _holder(app, session) == "awa"
    with app.uow_factory() as uow:
        kept = uow.session.exec(select(ConsoleSession)).one()
        assert session not in kept.token_hash

    with app.uow_factory() as uow:
        moderation.get_moderator(uow=uow, name="awa").active = False
        uow.commit()
    assert _holder(app, session) is None and _sign_in(app) is None


def test_an_account_without_a_password_cannot_sign_in(app) -> None:
    _awa(app)
    assert _sign_in(app, password="") is None


def test_a_new_password_ends_every_session(app) -> None:
    _set(app, _awa(app))
    laptop, phone = _sign_in(app), _sign_in(app)
    with app.uow_factory() as uow:
        token = signin.issue_signin_link(
            uow=uow, moderator=moderation.get_moderator(uow=uow, name="awa"))
        uow.commit()

    _set(app, token, "un-nouveau-mot-de-passe")

    assert _holder(app, laptop) is None and _holder(app, phone) is None
    assert _sign_in(app) is None and _sign_in(app, password="un-nouveau-mot-de-passe")


def test_a_session_idle_for_twelve_hours_has_ended(app, clock) -> None:
    _set(app, _awa(app))
    session = _sign_in(app)
    clock.advance(hours=11)
    assert _holder(app, session) == "awa"  # its use keeps it alive
    clock.advance(hours=11)
    assert _holder(app, session) == "awa"
    clock.advance(hours=12, seconds=1)
    assert _holder(app, session) is None


def test_signing_out_ends_that_session_only(app) -> None:
    _set(app, _awa(app))
    laptop, phone = _sign_in(app), _sign_in(app)
    with app.uow_factory() as uow:
        signin.sign_out(uow=uow, token=laptop)
        uow.commit()
    assert _holder(app, laptop) is None and _holder(app, phone) == "awa"

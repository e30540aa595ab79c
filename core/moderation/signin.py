"""Signing in to the moderators' console: a password set through a one-time link, and browser
sessions that end when the account or its password changes.

Only hashes are kept: Argon2 for passwords, SHA-256 for the random link and session tokens
(long random values need no slow hash). A name that does not exist costs the same Argon2
verification as a wrong password, so the time of an answer does not tell which names exist."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, delete, select

from core import errors
from core.moderation.models import ConsoleSession, Moderator, SignInLink
from core.uow import UnitOfWork

LINK_LIFETIME = timedelta(days=3)
SESSION_IDLE = timedelta(hours=12)  # a session unused this long has ended
SESSION_SEEN_EVERY = timedelta(minutes=5)  # how often a session's last use is written
PASSWORD_MIN = 10
PASSWORD_MAX = 200

_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's value is handed out once and never stored."""

    token: str
    moderator: Moderator


def issue_signin_link(*, uow: UnitOfWork, moderator: Moderator) -> str:
    """A new one-time token to set the moderator's password; earlier unused ones stop
    working."""
    assert moderator.id is not None
    now = uow.clock.now()
    uow.session.exec(delete(SignInLink).where(  # type: ignore[call-overload]
        col(SignInLink.moderator_id) == moderator.id, col(SignInLink.used_at).is_(None)))
    token = secrets.token_urlsafe(32)
    uow.session.add(SignInLink(moderator_id=moderator.id, token_hash=_sha(token),
                               created_at=now, expires_at=now + LINK_LIFETIME))
    return token


def link_holder(*, uow: UnitOfWork, token: str) -> Moderator | None:
    """The active moderator a usable link belongs to, or None."""
    found = _usable_link(uow, token)
    return uow.session.get(Moderator, found.moderator_id) if found else None


def set_password(*, uow: UnitOfWork, token: str, password: str) -> Moderator:
    """Set the password of the link's moderator, use the link up, and end every session."""
    link = _usable_link(uow, token)
    if link is None:
        raise errors.NotFound("this link has expired or was already used")
    problem = password_problem(password)
    if problem:
        raise errors.DomainError(problem)
    moderator = uow.session.get(Moderator, link.moderator_id)
    assert moderator is not None
    moderator.password_hash = _hasher.hash(password)
    link.used_at = uow.clock.now()
    uow.session.add_all([moderator, link])
    end_sessions(uow=uow, moderator=moderator)
    return moderator


def password_problem(password: str) -> str | None:
    """Why a password cannot be used, or None."""
    if len(password) < PASSWORD_MIN:
        return f"a password needs at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"a password has at most {PASSWORD_MAX} characters"
    return None


def sign_in(*, uow: UnitOfWork, name: str, password: str) -> SignedIn | None:
    """A new session for the active moderator with this name and password, or None."""
    found = uow.session.exec(select(Moderator).where(Moderator.name == name[:80])).first()
    moderator = found if found and found.active and found.password_hash else None
    hashed = moderator.password_hash if moderator else None
    if not _verified(hashed or _nobody(), password[:PASSWORD_MAX]) or moderator is None:
        return None
    assert moderator.id is not None
    now = uow.clock.now()
    token = secrets.token_urlsafe(32)
    uow.session.add(ConsoleSession(moderator_id=moderator.id, token_hash=_sha(token),
                                   created_at=now, last_seen_at=now))
    return SignedIn(token=token, moderator=moderator)


def session_holder(*, uow: UnitOfWork, token: str) -> Moderator | None:
    """The active moderator of a live session, or None (an idle session has ended)."""
    if not token or len(token) > 100:
        return None
    query = select(ConsoleSession, Moderator).join(Moderator).where(
        ConsoleSession.token_hash == _sha(token), col(Moderator.active))
    found = uow.session.exec(query).first()
    if found is None:
        return None
    session, moderator = found
    now = uow.clock.now()
    if now - session.last_seen_at > SESSION_IDLE:
        uow.session.delete(session)
        return None
    if now - session.last_seen_at > SESSION_SEEN_EVERY:
        session.last_seen_at = now
        uow.session.add(session)
    return moderator


def sign_out(*, uow: UnitOfWork, token: str) -> None:
    uow.session.exec(delete(ConsoleSession).where(  # type: ignore[call-overload]
        col(ConsoleSession.token_hash) == _sha(token)))


def end_sessions(*, uow: UnitOfWork, moderator: Moderator) -> None:
    """Sign the moderator out everywhere (the account or its password changed)."""
    uow.session.exec(delete(ConsoleSession).where(  # type: ignore[call-overload]
        col(ConsoleSession.moderator_id) == moderator.id))


def _usable_link(uow: UnitOfWork, token: str) -> SignInLink | None:
    if not token or len(token) > 100:
        return None
    query = select(SignInLink, Moderator).join(Moderator).where(
        SignInLink.token_hash == _sha(token), col(SignInLink.used_at).is_(None),
        col(Moderator.active))
    found = uow.session.exec(query).first()
    if found is None or found[0].expires_at <= uow.clock.now():
        return None
    return found[0]


@cache
def _nobody() -> str:
    """A hash to verify against when the name is unknown: as slow as a real one."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verified(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

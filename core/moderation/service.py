"""Moderator accounts, bearer tokens (kept hashed), what each may see, and the audit trail."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from core import errors
from core.communes.models import Commune
from core.moderation.models import ApiToken, AuditEntry, CannedReply, Moderator, Role
from core.moderation.signin import end_sessions
from core.uow import UnitOfWork

TOKEN_PREFIX = "plb_"


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the plain value is shown once and never stored."""

    token: str
    token_id: int
    moderator: str


def add_moderator(*, uow: UnitOfWork, name: str, role: Role, communes: Iterable[str] = (),
                  can_see_contacts: bool = False) -> Moderator:
    """Create an account; moderators, analysts and integrations need at least one commune."""
    chosen = _checked_communes(uow, role, communes)
    if not name.strip() or len(name) > 80:
        raise errors.Invalid("a name of 1 to 80 characters is needed")
    if uow.session.exec(select(Moderator).where(Moderator.name == name)).first():
        raise errors.DomainError(f"a moderator named {name!r} already exists")
    moderator = Moderator(name=name, role=role, communes=chosen,
                          can_see_contacts=can_see_contacts, created_at=uow.clock.now())
    uow.session.add(moderator)
    uow.session.flush()
    return moderator


def update_moderator(*, uow: UnitOfWork, actor: Moderator, name: str, role: Role,
                     communes: Iterable[str], can_see_contacts: bool,
                     active: bool) -> Moderator:
    """Change what an account is and may see; its console sessions end (its pages showed what
    it may no longer see), and the change is audited. An admin cannot lock themselves out."""
    found = get_moderator(uow=uow, name=name)
    chosen = _checked_communes(uow, role, communes)
    if found.id == actor.id and (role != Role.ADMIN or not active):
        raise errors.Invalid("an administrator cannot take their own rights away")
    before = {"role": found.role, "communes": list(found.communes),
              "can_see_contacts": found.can_see_contacts, "active": found.active}
    found.role, found.communes = role, chosen
    found.can_see_contacts, found.active = can_see_contacts, active
    uow.session.add(found)
    end_sessions(uow=uow, moderator=found)
    record(uow=uow, moderator=actor, action="account", target_type="moderator",
           target_id=found.name, before=before,
           after={"role": role, "communes": chosen, "can_see_contacts": can_see_contacts,
                  "active": active})
    return found


def _checked_communes(uow: UnitOfWork, role: Role, communes: Iterable[str]) -> list[str]:
    """The communes of an account, all known; at least one for anyone but an admin."""
    chosen = sorted(set(communes))
    unknown = [c for c in chosen if uow.session.get(Commune, c) is None]
    if unknown:
        raise errors.NotFound(f"unknown communes: {', '.join(unknown)}")
    if role != Role.ADMIN and not chosen:
        raise errors.DomainError(f"a {role} needs at least one commune")
    return [] if role == Role.ADMIN else chosen


def get_moderator(*, uow: UnitOfWork, name: str) -> Moderator:
    found = uow.session.exec(select(Moderator).where(Moderator.name == name)).first()
    if found is None:
        raise errors.NotFound(f"no moderator named {name!r}")
    return found


def list_moderators(*, uow: UnitOfWork) -> list[Moderator]:
    return list(uow.session.exec(select(Moderator).order_by(col(Moderator.name))).all())


def issue_token(*, uow: UnitOfWork, moderator: Moderator, label: str = "") -> IssuedToken:
    """A new bearer token for the moderator."""
    assert moderator.id is not None
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(moderator_id=moderator.id, token_hash=_hash(plain), prefix=plain[:10],
                     label=label, created_at=uow.clock.now())
    uow.session.add(token)
    uow.session.flush()
    assert token.id is not None
    return IssuedToken(token=plain, token_id=token.id, moderator=moderator.name)


def revoke_token(*, uow: UnitOfWork, token_id: int) -> ApiToken:
    token = uow.session.get(ApiToken, token_id)
    if token is None:
        raise errors.NotFound(f"no token {token_id}")
    token.revoked_at = token.revoked_at or uow.clock.now()
    uow.session.add(token)
    return token


def tokens_of(*, uow: UnitOfWork, moderator: Moderator) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.moderator_id == moderator.id)
    return list(uow.session.exec(query.order_by(col(ApiToken.id))).all())


def authenticate(*, uow: UnitOfWork, token: str) -> Moderator | None:
    """The active moderator holding this unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    query = select(ApiToken, Moderator).join(Moderator).where(
        ApiToken.token_hash == _hash(token), col(ApiToken.revoked_at).is_(None),
        col(Moderator.active))
    found = uow.session.exec(query).first()
    if found is None:
        return None
    api_token, moderator = found
    api_token.last_used_at = uow.clock.now()
    uow.session.add(api_token)
    return moderator


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def communes_visible_to(moderator: Moderator) -> frozenset[str] | None:
    """The communes whose items the moderator may see; None means every commune."""
    return None if moderator.role == Role.ADMIN else frozenset(moderator.communes)


def may_see(moderator: Moderator, commune_id: str) -> bool:
    visible = communes_visible_to(moderator)
    return visible is None or commune_id in visible


def record(*, uow: UnitOfWork, moderator: Moderator, action: str, target_type: str,
           target_id: str, commune_id: str | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    """Write one line of the audit trail, in the same transaction as the action."""
    uow.session.add(AuditEntry(moderator_id=moderator.id, actor=moderator.name, action=action,
                               target_type=target_type, target_id=target_id,
                               commune_id=commune_id, before=_plain(before or {}),
                               after=_plain(after or {}), at=uow.clock.now()))


MIN_REASON = 10  # "vérif" is no reason; "rappeler pour l'adresse exacte" is


def may_see_contacts(moderator: Moderator) -> bool:
    """Accounts made with --contacts, of staff: never analysts nor integrations."""
    return moderator.can_see_contacts and moderator.role in (Role.ADMIN, Role.MODERATOR)


def record_contacts_seen(*, uow: UnitOfWork, moderator: Moderator, reason: str | None,
                         target_type: str, target_id: str,
                         communes: Iterable[str | None]) -> None:
    """Contacts are seen only by an account allowed them, with a reason kept in the audit
    trail of each commune concerned; Forbidden or Invalid otherwise."""
    if not may_see_contacts(moderator):
        raise errors.Forbidden("this account may not see citizens' contacts")
    said = " ".join((reason or "").split())
    if len(said) < MIN_REASON:
        raise errors.Invalid(f"say why the contacts are needed: a reason of {MIN_REASON} "
                             "characters or more (it goes to the audit log)")
    action = "export_contacts" if target_type == "export" else "reveal_contact"
    for commune_id in communes:
        record(uow=uow, moderator=moderator, action=action, target_type=target_type,
               target_id=target_id, commune_id=commune_id, after={"reason": said})


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def canned_replies(*, uow: UnitOfWork, commune_id: str) -> list[CannedReply]:
    query = select(CannedReply).where(CannedReply.commune_id == commune_id)
    return list(uow.session.exec(query.order_by(col(CannedReply.title))).all())


def add_canned_reply(*, uow: UnitOfWork, commune_id: str, title: str,
                     texts: dict[str, str]) -> CannedReply:
    """A reply moderators reuse; French first, other languages as translated."""
    if not texts.get("fr", "").strip():
        raise errors.Invalid("a French text is required (texts.fr)")
    reply = CannedReply(commune_id=commune_id, title=title, texts=dict(texts),
                        created_at=uow.clock.now())
    uow.session.add(reply)
    uow.session.flush()
    return reply


def audit_trail(*, uow: UnitOfWork, communes: frozenset[str] | None, actor: str | None = None,
                action: str | None = None, target_id: str | None = None,
                before_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
    """Newest entries first; `before_id` pages backwards."""
    query = select(AuditEntry)
    if communes is not None:
        query = query.where(col(AuditEntry.commune_id).in_(sorted(communes)))
    for column, value in ((AuditEntry.actor, actor), (AuditEntry.action, action),
                          (AuditEntry.target_id, target_id)):
        if value:
            query = query.where(column == value)
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    return list(uow.session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all())

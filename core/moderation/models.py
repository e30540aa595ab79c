"""Moderators, their API tokens, the audit trail of what they do, and canned replies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class Role(StrEnum):
    ADMIN = "admin"  # every commune
    MODERATOR = "moderator"  # the communes given
    ANALYST = "analyst"  # statistics and exports, no personal data
    INTEGRATION = "integration"  # an external system using Open311


class Moderator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    role: str = Field(max_length=16)
    communes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    can_see_contacts: bool = False
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    alerts_seen_up_to: int = 0  # the last alert this moderator marked as seen
    # For the console's sign-in: an Argon2 hash, None until a one-time link set it
    password_hash: str | None = Field(default=None, max_length=200)


class FormUse(SQLModel, table=True):
    """A console form already acted on: sent again (a double click, the back button), it
    shows the result instead of acting twice. Kept a day."""

    __tablename__ = "console_form_use"

    nonce: str = Field(primary_key=True, max_length=64)
    moderator_id: int = Field(foreign_key="moderator.id", index=True, ondelete="CASCADE")
    used_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SignInLink(SQLModel, table=True):
    """A one-time link to set a password (the first one, or a new one); only its SHA-256 is
    kept."""

    __tablename__ = "signin_link"

    id: int | None = Field(default=None, primary_key=True)
    moderator_id: int = Field(foreign_key="moderator.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds a random token, only its SHA-256 is kept."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    moderator_id: int = Field(foreign_key="moderator.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is kept, its first characters help to tell them apart."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    moderator_id: int = Field(foreign_key="moderator.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=12)
    label: str = Field(default="", max_length=80)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class AuditEntry(SQLModel, table=True):
    """One moderator action: who, what, on what, when, and the values before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    moderator_id: int | None = Field(default=None, foreign_key="moderator.id",
                                     ondelete="SET NULL")
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40, index=True)
    target_type: str = Field(max_length=24)
    target_id: str = Field(max_length=40)
    commune_id: str | None = Field(default=None, max_length=16, index=True)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class CannedReply(SQLModel, table=True):
    """A reply moderators of a commune reuse, per language."""

    __tablename__ = "canned_reply"

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", index=True, max_length=16)
    title: str = Field(max_length=80)
    texts: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AlertKind(StrEnum):
    OVERDUE = "overdue"  # submissions nobody triaged within the configured delay
    REOPENED = "reopened"  # a citizen says a resolved problem is not solved


class Alert(SQLModel, table=True):
    """Something the moderators of a commune must hear about: in the admin API's alert feed,
    and posted to the commune's staff Telegram chats when configured."""

    __table_args__ = (Index("ix_alert_commune", "commune_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16)
    kind: str = Field(max_length=16)
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

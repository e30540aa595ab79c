"""Citizens and the channel identities through which they reach us."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    CONSOLE = "console"


class Citizen(SQLModel, table=True):
    """A person, whatever channels they use; inclusion fields are self-declared and optional."""

    id: int | None = Field(default=None, primary_key=True)
    language: str | None = Field(default=None, max_length=8)  # what they read: a catalog's
    # What they speak (fr, fon, yo, guw…): their voice notes are heard in it; None: `language`
    spoken_language: str | None = Field(default=None, max_length=8)
    commune_id: str | None = Field(default=None, foreign_key="commune.id", max_length=16)
    display_name: str | None = Field(default=None, max_length=120)
    consent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    gender: str | None = Field(default=None, max_length=16)
    age_band: str | None = Field(default=None, max_length=16)
    disability: str | None = Field(default=None, max_length=16)
    # When they agreed that their voice notes, with the mairie's corrected transcripts, may
    # train speech models for their language (None: never, or withdrawn)
    voice_data_consent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    broadcast_opt_out: bool = False
    blocked: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # When the retention job forgot their identities (silent past PALABRE_RETENTION_MONTHS)
    forgotten_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class ChannelIdentity(SQLModel, table=True):
    """A citizen's address on one channel: a Telegram chat id, a WhatsApp number, a console name."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    account: str = Field(default="", max_length=64)  # the bot or sender that last heard them
    display_name: str | None = Field(default=None, max_length=120)
    unreachable: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_inbound_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class LinkCode(SQLModel, table=True):
    """A short code a citizen asked for on one channel, to send from another within minutes:
    both identities then become one citizen (core/citizens/linking.py)."""

    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, unique=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True, ondelete="CASCADE")
    identity_id: int = Field(foreign_key="channel_identity.id", ondelete="CASCADE")
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class LinkTry(SQLModel, table=True):
    """A wrong code sent from an identity: a few an hour at most (a code is six digits)."""

    __tablename__ = "link_try"

    id: int | None = Field(default=None, primary_key=True)
    identity_id: int = Field(foreign_key="channel_identity.id", index=True, ondelete="CASCADE")
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

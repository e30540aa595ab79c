"""A bot message (by its catalog key) recorded by a commune's mairie in one language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class PromptRecording(SQLModel, table=True):
    """What citizens of `commune_id` who speak `language` hear beside the message `key`: an
    OGG/Opus voice note in the media store."""

    __tablename__ = "prompt_recording"
    __table_args__ = (UniqueConstraint("commune_id", "language", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16)
    language: str = Field(max_length=8)
    key: str = Field(max_length=80)
    media_path: str = Field(max_length=300)
    seconds: float
    recorded_by: str = Field(max_length=120)  # a moderator's name, or "telegram:<staff chat>"
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class PromptUpload(SQLModel, table=True):
    """A voice note a moderator sent in the commune's staff chat to record a message
    (« /vocal fon menu.title »), waiting to be fetched and kept, then answered in the chat."""

    __tablename__ = "prompt_upload"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    account: str = Field(max_length=64)
    chat: str = Field(max_length=64)  # the staff chat, where the answer goes
    external_id: str = Field(max_length=128)  # the provider's id: a retried update is one upload
    remote: str = Field(max_length=300)  # the provider's reference of the voice note
    commune_id: str = Field(foreign_key="commune.id", max_length=16)
    language: str = Field(max_length=8)
    key: str = Field(max_length=80)
    sent_by: str = Field(max_length=120)
    status: str = Field(default="pending", max_length=8)  # pending, done, failed
    attempts: int = 0
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

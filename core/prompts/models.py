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

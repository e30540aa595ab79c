"""A commune's weekly digest, ready to paste into a WhatsApp group."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class Digest(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("commune_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16, index=True)
    week: date  # its Monday
    language: str = Field(default="fr", max_length=8)
    text: str = Field(sa_column=Column(Text, nullable=False))
    made_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

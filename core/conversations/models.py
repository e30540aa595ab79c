"""Where each citizen is in a conversation, kept in the database so any process can resume it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class Conversation(SQLModel, table=True):
    citizen_id: int = Field(primary_key=True, foreign_key="citizen.id", ondelete="CASCADE")
    flow: str = Field(max_length=32)
    state: str = Field(max_length=48)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    offered: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

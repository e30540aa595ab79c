"""A broadcast (an announcement to an audience) and the topics citizens follow."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class Audience(StrEnum):
    COMMUNE = "commune"  # every citizen of the commune
    ARRONDISSEMENT = "arrondissement"  # citizens who reported from that arrondissement
    TOPIC = "topic"  # the followers of a topic: "council", "project:12"…


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for its time
    QUEUED = "queued"  # its messages are in the outbox (progress: their statuses)
    CANCELLED = "cancelled"
    FAILED = "failed"  # could not be queued (logged); nothing was sent


class Broadcast(SQLModel, table=True):
    """An announcement from the mairie to an audience; its messages go through the outbox."""

    __table_args__ = (Index("ix_broadcast_due", "status", "send_at"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16, index=True)
    audience: str = Field(max_length=16)
    arrondissement_id: str | None = Field(default=None, foreign_key="arrondissement.id",
                                          max_length=20)
    topic: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # A message Palabre writes (a council reminder…): its catalog key and parameters, rendered
    # in each citizen's language; None for the mairie's own words (`text`).
    key: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    commune_chats: bool = False  # also posted to the commune's Telegram groups and channels
    # What kind of message it is for the channels (WhatsApp's template for it outside 24 h).
    purpose: str = Field(default="announcement", max_length=32)
    # A photo sent with it (a live council update's): stored file, and the public address
    # channels that fetch media by URL (WhatsApp through Twilio) take it from.
    media_path: str | None = Field(default=None, max_length=300)
    media_url: str | None = Field(default=None, max_length=300)
    send_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    urgent: bool = False  # sent even in quiet hours (21:00-07:00 local)
    status: str = Field(default=BroadcastStatus.SCHEDULED, max_length=16)
    recipients: int = 0
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    queued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class Subscription(SQLModel, table=True):
    """A citizen follows a topic (the council of their commune, a project…)."""

    __table_args__ = (UniqueConstraint("citizen_id", "topic"),
                      Index("ix_subscription_topic", "topic"))

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", ondelete="CASCADE")
    topic: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

"""A council session (with its live updates and citizens' questions)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class SessionKind(StrEnum):
    ORDINARY = "ordinary"
    EXTRAORDINARY = "extraordinary"
    ACCOUNTABILITY = "accountability"  # reddition des comptes


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class CouncilSession(SQLModel, table=True):
    """One sitting of a commune's council: when and where, its agenda, then its decisions."""

    __tablename__ = "council_session"
    __table_args__ = (Index("ix_council_session_commune_start", "commune_id", "starts_at"),
                      Index("ix_council_session_due", "status", "starts_at"))

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    place: str = Field(default="", max_length=200)
    agenda: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stream_url: str | None = Field(default=None, max_length=500)
    status: str = Field(default=SessionStatus.SCHEDULED, max_length=16)
    decisions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Reminders already sent for the current start time (moving the session clears them).
    day_reminder_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    hour_reminder_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    live_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CouncilUpdate(SQLModel, table=True):
    """What the mairie posted while the session was live."""

    __tablename__ = "council_update"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="council_session.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))
    photo_path: str | None = Field(default=None, max_length=300)  # in the media store
    photo_type: str | None = Field(default=None, max_length=40)
    posted_by: str = Field(max_length=80)
    posted_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # The announcement that carried it to the followers (None: nobody to tell), for progress.
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id",
                                     ondelete="SET NULL")


class CouncilQuestion(SQLModel, table=True):
    """A citizen's question to a live session, in the order it came; answered or not."""

    __tablename__ = "council_question"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="council_session.id", index=True, ondelete="CASCADE")
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", ondelete="SET NULL")
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id",
                                      ondelete="SET NULL")  # a voice question
    asked_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    answered_by: str | None = Field(default=None, max_length=80)

"""A voice note's transcription: queued, claimed by a worker, done or failed, never lost."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class TranscriptionStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # claimed by a worker until `claimed_until`
    DONE = "done"
    FAILED = "failed"


class Transcription(SQLModel, table=True):
    """What a worker heard in one voice note, and how it went (one row per attachment); and
    what a moderator wrote instead, kept beside the machine's text (core/transcripts/
    corrections.py).

    A worker claims a row for a lease; a worker that dies mid-note leaves the lease to expire
    and another takes the row again, until MAX_ATTEMPTS claims have been used up."""

    __table_args__ = (Index("ix_transcription_waiting", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    attachment_id: int = Field(foreign_key="attachment.id", unique=True, ondelete="CASCADE")
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", index=True,
                                   ondelete="SET NULL")
    language_hint: str | None = Field(default=None, max_length=8)
    # Whether the citizen's conversation hears about the result (a flow waits for it).
    notify: bool = True
    status: str = Field(default=TranscriptionStatus.PENDING, max_length=8)
    text: str | None = Field(default=None, sa_column=Column(Text))
    language: str | None = Field(default=None, max_length=8)
    confidence: float | None = None
    duration_s: float | None = None
    backend: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=200)
    processing_ms: int | None = None
    attempts: int = 0
    reason: str | None = Field(default=None, max_length=16)  # why it failed, for the citizen
    last_error: str | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # A moderator's transcript: what is read and searched once written (None: none yet)
    corrected_text: str | None = Field(default=None, sa_column=Column(Text))
    corrected_language: str | None = Field(default=None, max_length=8)
    corrected_by: str | None = Field(default=None, max_length=80)  # the moderator's name
    corrected_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

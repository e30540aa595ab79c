"""Submissions (report, complaint, suggestion, idea), their history, followers and supports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime
from core.folding import fold


class Kind(StrEnum):
    REPORT = "report"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    IDEA = "idea"


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    CLOSED = "closed"
    REOPENED = "reopened"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


OPEN_STATUSES = frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED})


class Submission(SQLModel, table=True):
    # The inbox walks one commune's items newest first; these let it stop after a page.
    __table_args__ = (
        Index("ix_submission_commune_created", "commune_id", "created_at", "id"),
        Index("ix_submission_commune_updated", "commune_id", "updated_at", "id"),
        Index("ix_submission_category_created", "category_id", "created_at", "id"),
        Index("ix_submission_arrondissement_created", "arrondissement_id", "created_at", "id"),
        Index("ix_submission_assignee_created", "assignee_id", "created_at", "id"),
        Index("ix_submission_status_created", "status", "created_at", "id"),
        # The console's folders are counted from this index alone (migration 0027).
        Index("ix_submission_triage", "commune_id", "hidden", "status", "assignee_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=24)
    kind: str = Field(max_length=16, index=True)
    status: str = Field(default=Status.NEW, max_length=16)  # indexed with created_at
    commune_id: str = Field(foreign_key="commune.id", max_length=16)  # see __table_args__
    arrondissement_id: str | None = Field(default=None, foreign_key="arrondissement.id",
                                          max_length=20)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    service_id: int | None = Field(default=None, foreign_key="municipal_service.id")
    title: str | None = Field(default=None, max_length=200)
    description: str = ""
    latitude: float | None = None
    longitude: float | None = None
    place_text: str | None = Field(default=None, max_length=300)
    anonymous: bool = False
    # The citizen agreed to publish its words and pin (Open311, the commune's page); a private
    # report is published with its category, arrondissement and status only.
    public: bool = False
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", index=True,
                                   ondelete="SET NULL")
    identity_id: int | None = Field(default=None, foreign_key="channel_identity.id", index=True,
                                    ondelete="SET NULL")
    channel: str = Field(max_length=16)
    # The messages of the flow that filed it and those about it since carry this thread; they
    # are all that moderators read beside it (never the citizen's other conversations).
    thread: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    first_response_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # Triage
    assignee_id: int | None = Field(default=None, foreign_key="moderator.id",
                                    ondelete="SET NULL")  # indexed with created_at
    priority: str = Field(default="normal", max_length=8)
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    hidden: bool = False  # abuse: kept, out of the inbox and of public lists
    duplicate_of_id: int | None = Field(default=None, foreign_key="submission.id")
    claimed_by_id: int | None = Field(default=None, foreign_key="moderator.id",
                                      ondelete="SET NULL")
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # Title, description, reference and transcripts folded for search
    # (core/submissions/search.py); kept up to date on every insert and update through the ORM.
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                          server_default=""))
    # What its voice notes said (core/transcripts), searched with the rest.
    voice_text: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                         server_default=""))

    def searchable(self) -> str:
        return searchable(self.title, self.description, self.reference, self.voice_text)


def searchable(*parts: str | None) -> str:
    """The `search_text` of a submission made of these texts."""
    return fold(" ".join(p for p in parts if p))


class FollowUp(SQLModel, table=True):
    """"Was it really fixed?": asked of a submission's author some days after it was
    resolved (once per resolution); "no" reopens it with their comment."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("submission_id", "resolved_at"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", index=True)
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", ondelete="SET NULL")
    resolved_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    invites: int = 0  # how many times the question was put in the citizen's conversation
    invited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    fixed: bool | None = None
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id",
                                      ondelete="SET NULL")  # a spoken comment


@event.listens_for(Submission, "before_insert")
@event.listens_for(Submission, "before_update")
def _keep_search_text(_mapper: Any, _connection: Any, submission: Submission) -> None:
    submission.search_text = submission.searchable()


class StatusChange(SQLModel, table=True):
    """One step of a submission's life: who moved it, when, and what they said."""

    __tablename__ = "status_change"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor: str = Field(max_length=80)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    public_note: str | None = None
    internal_note: str | None = None


class Follower(SQLModel, table=True):
    """A citizen told about a submission's changes without being its author."""

    __table_args__ = (UniqueConstraint("submission_id", "citizen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    citizen_id: int = Field(foreign_key="citizen.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Support(SQLModel, table=True):
    """A citizen's support for an idea; one per citizen and idea."""

    __table_args__ = (UniqueConstraint("submission_id", "citizen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    citizen_id: int = Field(foreign_key="citizen.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ReferenceCounter(SQLModel, table=True):
    """The last number given per commune, kind and year."""

    __tablename__ = "reference_counter"

    commune_id: str = Field(primary_key=True, foreign_key="commune.id", max_length=16)
    kind: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last: int = 0

"""An investment-plan project (PAI or PDC) and the progress reported on it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SUSPENDED = "suspended"


class Project(SQLModel, table=True):
    """A project of the commune's annual investment plan (PAI) or development plan (PDC)."""

    __table_args__ = (UniqueConstraint("commune_id", "code"),
                      Index("ix_project_commune_sector", "commune_id", "sector"),
                      Index("ix_project_commune_arrondissement", "commune_id",
                            "arrondissement_id"))

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16)
    code: str = Field(max_length=40)  # the plan's own number, e.g. PAI-2026-014
    title: str = Field(max_length=200)
    plan: str = Field(default="PAI", max_length=8)  # PAI or PDC
    sector: str = Field(max_length=60)  # education, health, water, roads, markets…
    arrondissement_id: str | None = Field(default=None, foreign_key="arrondissement.id",
                                          max_length=20)
    latitude: float | None = None
    longitude: float | None = None
    budget_fcfa: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    funding_source: str = Field(default="", max_length=120)
    starts_on: date | None = None
    ends_on: date | None = None
    status: str = Field(default=ProjectStatus.PLANNED, max_length=16)
    progress: int = 0  # percent
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ProjectUpdate(SQLModel, table=True):
    """One report of progress: the new figure and status, and what the mairie says."""

    __tablename__ = "project_update"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    progress: int
    status: str = Field(max_length=16)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=80)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

"""A public document of a commune: a stored file or a link, with short summaries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class DocumentKind(StrEnum):
    BUDGET = "budget"
    ADMINISTRATIVE_ACCOUNT = "administrative_account"  # compte administratif
    PAI = "pai"  # plan annuel d'investissement
    PDC = "pdc"  # plan de développement communal
    PROCUREMENT = "procurement"  # avis d'appel d'offres, plan de passation des marchés
    MAYOR_AGENDA = "mayor_agenda"


class Document(SQLModel, table=True):
    """A document citizens may ask the bot for; `media_path` (a stored file) or `url`."""

    __table_args__ = (Index("ix_document_commune_kind_year", "commune_id", "kind", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16)
    kind: str = Field(max_length=32)
    year: int
    title: str = Field(max_length=200)
    media_path: str | None = Field(default=None, max_length=300)
    filename: str | None = Field(default=None, max_length=200)
    content_type: str | None = Field(default=None, max_length=120)
    size: int = 0
    url: str | None = Field(default=None, max_length=1000)
    summaries: dict[str, str] = Field(default_factory=dict,
                                      sa_column=Column(JSON, nullable=False))  # language → text
    published_by: str = Field(max_length=80)
    published_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

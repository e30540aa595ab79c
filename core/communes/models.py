"""Communes, arrondissements, and the per-commune reference lists (categories, services)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class Commune(SQLModel, table=True):
    """One of Benin's 77 communes; only enabled ones take citizens."""

    id: str = Field(primary_key=True, max_length=16)  # benin-geo id, e.g. BJ-LI-COT
    code: str = Field(unique=True, max_length=4)  # in references: COT-SIG-26-0042
    name: str = Field(max_length=80)
    department_id: str = Field(max_length=8)
    department_name: str = Field(max_length=40)
    enabled: bool = Field(default=False, index=True)


class Arrondissement(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=20)  # e.g. BJ-LI-COT-01
    commune_id: str = Field(foreign_key="commune.id", index=True, max_length=16)
    name: str = Field(max_length=80)
    search_name: str = Field(max_length=80)  # normalised, for matching what citizens type


class Category(SQLModel, table=True):
    """What a report is about (drain, road, street light…), per commune."""

    __table_args__ = (UniqueConstraint("commune_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", index=True, max_length=16)
    code: str = Field(max_length=40)
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    position: int = 0
    active: bool = True


class MunicipalService(SQLModel, table=True):
    """A service of the mairie that complaints and suggestions are about (état civil…)."""

    __tablename__ = "municipal_service"
    __table_args__ = (UniqueConstraint("commune_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", index=True, max_length=16)
    code: str = Field(max_length=40)
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    position: int = 0
    active: bool = True


def label(names: dict[str, str], language: str) -> str:
    """The name in the language, falling back to French, then to any."""
    return names.get(language) or names.get("fr") or next(iter(names.values()), "")

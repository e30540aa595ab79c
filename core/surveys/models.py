"""A survey (its questions), and the citizens' answer sets with one answer per question."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class QuestionKind(StrEnum):
    RATING = "rating"  # 1 (very bad) to 5 (very good)
    CHOICE = "choice"  # one of the question's choices
    YES_NO = "yes_no"
    FREE = "free"  # words, typed or spoken


class SurveyStatus(StrEnum):
    DRAFT = "draft"  # being written: questions may change
    OPEN = "open"  # launched: answered from opens_at until closes_at
    CLOSED = "closed"  # closed early by a moderator


class Survey(SQLModel, table=True):
    """What a commune asks its citizens about one of its services. Texts are per language
    ({"fr": …, "en": …}); French is required, the citizen's language is used when given."""

    __table_args__ = (Index("ix_survey_commune_status", "commune_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: str = Field(foreign_key="commune.id", max_length=16)
    service_id: int | None = Field(default=None, foreign_key="municipal_service.id")
    title: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    intro: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=SurveyStatus.DRAFT, max_length=16)
    opens_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closes_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    invited: int = 0  # citizens the launch's invitations were sent to
    invitation_id: int | None = Field(default=None, foreign_key="broadcast.id")
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")
    position: int  # 1, 2, … in the order asked
    kind: str = Field(max_length=16)
    text: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # A choice question's options, each per language: [{"fr": "Oui, vite"}, …]
    choices: list[dict[str, str]] = Field(default_factory=list,
                                          sa_column=Column(JSON, nullable=False))


class SurveyResponse(SQLModel, table=True):
    """One citizen's answer set: begun, perhaps left and resumed, then complete. Who they
    are stays here only for 'one answer set per citizen'; results use the profile copied
    when it was completed (arrondissement, gender, age band), never the citizen."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "citizen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE", index=True)
    citizen_id: int = Field(foreign_key="citizen.id", ondelete="CASCADE")
    channel: str = Field(max_length=16)
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    arrondissement_id: str | None = Field(default=None, max_length=20)
    gender: str | None = Field(default=None, max_length=16)
    age_band: str | None = Field(default=None, max_length=16)


class SurveyAnswer(SQLModel, table=True):
    """The answer to one question: a number (rating 1-5, choice 1-n, yes 1 / no 0) or words,
    or a voice note (its transcript is found by the attachment)."""

    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_response.id", ondelete="CASCADE")
    question_id: int = Field(foreign_key="survey_question.id", ondelete="CASCADE", index=True)
    value: int | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id",
                                      ondelete="SET NULL")
    answered_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

"""Commands: what the dialogs (and operators) ask the domain to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Command:
    """Base of every command."""


@dataclass(frozen=True)
class UpdateProfile(Command):
    citizen_id: int
    changes: dict[str, Any]


@dataclass(frozen=True)
class TranscribeVoice(Command):
    """Have a worker transcribe a voice note; the flow waiting for it hears the result."""

    attachment_id: int
    citizen_id: int
    language_hint: str | None


@dataclass(frozen=True)
class FollowTopic(Command):
    """Receive a topic's announcements (the council of one's commune, a project…)."""

    citizen_id: int
    topic: str
    follow: bool = True  # False: stop following


@dataclass(frozen=True)
class AskCouncil(Command):
    """A question to the council sitting live: typed, or a voice note."""

    session_id: int
    citizen_id: int
    text: str = ""
    attachment_id: int | None = None


@dataclass(frozen=True)
class SendDocument(Command):
    """Send a public document to the citizen who asked for it, on their channel."""

    document_id: int
    citizen_id: int
    identity_id: int


@dataclass(frozen=True)
class StartSurvey(Command):
    """Begin (or resume) the citizen's answer set, with the arrondissement they gave."""

    survey_id: int
    citizen_id: int
    channel: str
    arrondissement_id: str | None = None


@dataclass(frozen=True)
class AnswerSurvey(Command):
    """One answer: a number (rating, choice, yes 1 / no 0), or words, or a voice note."""

    survey_id: int
    citizen_id: int
    question_id: int
    value: int | None = None
    text: str = ""
    attachment_id: int | None = None


@dataclass(frozen=True)
class CompleteSurvey(Command):
    survey_id: int
    citizen_id: int


@dataclass(frozen=True)
class AnswerFollowUp(Command):
    """"Was it fixed?" answered; "no" reopens the submission with the comment."""

    followup_id: int
    citizen_id: int
    fixed: bool
    comment: str = ""
    attachment_id: int | None = None


@dataclass(frozen=True)
class SubmitReport(Command):
    citizen_id: int
    identity_id: int
    channel: str
    commune_id: str
    category_id: int
    description: str
    arrondissement_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place_text: str | None = None
    attachment_ids: tuple[int, ...] = ()
    public: bool = True  # its words and pin published (Open311); private: the mairie's only
    thread: str | None = None  # the flow run that filed it (set by the dialogs' runner)


@dataclass(frozen=True)
class SubmitComplaint(Command):
    """A complaint or a suggestion about a municipal service."""

    citizen_id: int
    identity_id: int
    channel: str
    commune_id: str
    kind: str  # complaint or suggestion
    service_id: int
    description: str
    anonymous: bool = False
    attachment_ids: tuple[int, ...] = field(default=())
    thread: str | None = None  # the flow run that filed it (set by the dialogs' runner)


@dataclass(frozen=True)
class SubmitIdea(Command):
    citizen_id: int
    identity_id: int
    channel: str
    commune_id: str
    title: str
    description: str
    attachment_ids: tuple[int, ...] = ()
    thread: str | None = None  # the flow run that filed it (set by the dialogs' runner)


@dataclass(frozen=True)
class SupportIdea(Command):
    citizen_id: int
    reference: str


@dataclass(frozen=True)
class FollowSubmission(Command):
    citizen_id: int
    reference: str


@dataclass(frozen=True)
class EraseCitizen(Command):
    citizen_id: int


@dataclass(frozen=True)
class IssueLinkCode(Command):
    """A code for the citizen to send from their other channel (WhatsApp or Telegram)."""

    identity_id: int


@dataclass(frozen=True)
class UseLinkCode(Command):
    """A code sent from this identity: its citizen and the code's become one."""

    identity_id: int
    code: str

"""The conversation engine's vocabulary: what a step sees, what it returns, and state tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from core.commands import Command
from core.geo import Point

Data = Mapping[str, Any]


@dataclass(frozen=True)
class Say:
    """A message to the citizen by catalog key; rendered in their language at the edge."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def say(key: str, **params: Any) -> Say:
    return Say(key, params)


@dataclass(frozen=True)
class Option:
    """A choice offered: a stable id and its label (a catalog message or literal words)."""

    id: str
    label: Say | str
    # The same words for everyone (a catalog message, reference data); False: one citizen's
    # own (their submissions' titles), never laid out at a provider (WhatsApp's lists)
    fixed: bool = True


@dataclass(frozen=True)
class Prompt:
    """What a state asks: its words and, when it offers choices, the options."""

    says: tuple[Say, ...]
    options: tuple[Option, ...] = ()
    expects: str | None = None  # "location": channels may offer a button that sends it


def prompt(*says: Say, options: tuple[Option, ...] | list[Option] = (),
           expects: str | None = None) -> Prompt:
    return Prompt(says, tuple(options), expects)


@dataclass(frozen=True)
class AttachmentRef:
    id: int
    kind: str
    content_type: str


@dataclass(frozen=True)
class Heard:
    """What a worker heard in a voice note the flow is waiting for (a "transcript" message):
    the words, whether they are worth showing back, or why there are none (a catalog key
    suffix: too_long, undecodable, empty, silent, no_model, failed)."""

    attachment_id: int
    text: str
    confident: bool
    reason: str | None = None


@dataclass(frozen=True)
class Msg:
    """One inbound message as a step sees it, with a typed number already turned into a choice."""

    kind: str
    text: str = ""
    choice: str | None = None
    location: Point | None = None
    place_text: str | None = None
    attachments: tuple[AttachmentRef, ...] = ()
    heard: Heard | None = None  # only on a "transcript" message
    # Only on an "invite" message: a question Palabre puts (the flow to open, with its data)
    invite: tuple[str, Mapping[str, Any]] | None = None

    @property
    def is_text(self) -> bool:
        return self.kind == "text" and bool(self.text)

    def attachment(self, *kinds: str) -> AttachmentRef | None:
        return next((a for a in self.attachments if a.kind in kinds), None)


@dataclass(frozen=True)
class Step:
    """What a step decided: stay (and re-ask), go to a state or another flow, or finish."""

    action: str  # "stay", "to", "flow", "finish"
    target: str | None = None  # state name for "to", flow name for "flow"
    data: Data | None = None
    says: tuple[Say, ...] = ()
    commands: tuple[Command, ...] = ()
    then_menu: bool = True

    @staticmethod
    def stay(*says: Say, commands: tuple[Command, ...] = ()) -> Step:
        """Stay in this state: say why, then ask again."""
        return Step("stay", says=says, commands=commands)

    @staticmethod
    def to(state: Enum, data: Data, *says: Say, commands: tuple[Command, ...] = ()) -> Step:
        return Step("to", target=str(state.value), data=data, says=says, commands=commands)

    @staticmethod
    def flow(name: str, *says: Say, data: Data | None = None,
             commands: tuple[Command, ...] = ()) -> Step:
        return Step("flow", target=name, data=data or {}, says=says, commands=commands)

    @staticmethod
    def finish(*says: Say, commands: tuple[Command, ...] = (), then_menu: bool = True) -> Step:
        """End the flow; the menu follows unless told otherwise."""
        return Step("finish", says=says, commands=commands, then_menu=then_menu)


@dataclass(frozen=True)
class SubmissionView:
    """What a citizen may see of a submission."""

    reference: str
    kind: str
    status: str
    title: str
    created_at: Any
    updated_at: Any
    history: tuple[tuple[Any, str, str | None], ...] = ()  # (when, status, public note)
    supports: int = 0


@dataclass(frozen=True)
class SessionView:
    """A council session as citizens see it."""

    id: int
    title: str
    kind: str
    starts_at: Any
    place: str
    live: bool
    stream_url: str | None = None
    decisions: tuple[str, ...] = ()
    latest: tuple[tuple[Any, str], ...] = ()  # a live one's last updates: (when, text), in order


@dataclass(frozen=True)
class CouncilView:
    """What the council flow shows: the sitting live now, the next ones, the last decisions."""

    upcoming: tuple[SessionView, ...] = ()
    last_ended: SessionView | None = None
    following: bool = False

    @property
    def live(self) -> SessionView | None:
        return next((s for s in self.upcoming if s.live), None)


@dataclass(frozen=True)
class ProjectView:
    """An investment-plan project as citizens see it."""

    id: int
    title: str
    sector: str
    arrondissement: str
    progress: int
    status: str
    budget_fcfa: int
    funding_source: str
    starts_on: Any
    ends_on: Any
    description: str = ""
    following: bool = False


@dataclass(frozen=True)
class DocumentView:
    id: int
    kind: str
    year: int
    title: str


@dataclass(frozen=True)
class QuestionView:
    id: int
    position: int
    kind: str  # rating, choice, yes_no, free
    text: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SurveyView:
    """An open survey as one citizen sees it, with how far they got."""

    id: int
    title: str
    intro: str
    questions: tuple[QuestionView, ...]
    answered: frozenset[int] = frozenset()  # question ids this citizen answered
    started: bool = False
    completed: bool = False
    open: bool = True

    @property
    def next_question(self) -> QuestionView | None:
        return next((q for q in self.questions if q.id not in self.answered), None)


@dataclass(frozen=True)
class FollowUpView:
    """"Was it fixed?" about one of the citizen's submissions."""

    id: int
    reference: str
    title: str
    resolved_at: Any
    answered: bool


@dataclass(frozen=True)
class Citizen:
    id: int
    identity_id: int
    channel: str
    language: str
    language_chosen: bool
    commune_id: str | None
    commune_name: str | None
    consented: bool
    bound_commune_id: str | None = None
    opted_out: bool = False
    spoken_language: str | None = None  # None: they speak what they read
    voice_data_consent: bool = False  # their voice notes may train speech models

    @property
    def speaks(self) -> str:
        """The language their voice notes are heard in."""
        return self.spoken_language or self.language


class Lookup(Protocol):
    """The read-only facts a step may consult; the runner gives one per turn."""

    citizen: Citizen
    now: Any
    transcribes: bool  # whether voice notes are transcribed here (a worker is configured)

    def languages(self) -> list[tuple[str, str]]: ...
    def spoken_languages(self) -> list[tuple[str, str]]: ...
    def communes(self) -> list[tuple[str, str]]: ...
    def find_commune(self, text: str) -> tuple[str, str] | None: ...
    def categories(self, commune_id: str) -> list[tuple[int, str]]: ...
    def services(self, commune_id: str) -> list[tuple[int, str]]: ...
    def arrondissements(self, commune_id: str) -> list[tuple[str, str]]: ...
    def match_arrondissement(self, commune_id: str, text: str) -> tuple[str, str] | None: ...
    def similar_reports(self, commune_id: str, category_id: int, location: Point | None,
                        arrondissement_id: str | None) -> list[SubmissionView]: ...
    def submission(self, reference: str) -> SubmissionView | None: ...
    def my_submissions(self) -> list[SubmissionView]: ...
    def top_ideas(self, commune_id: str) -> list[SubmissionView]: ...
    def my_data(self) -> dict[str, Any]: ...
    def link_target(self, code: str) -> str | None: ...
    def council(self, commune_id: str) -> CouncilView: ...
    def projects(self, commune_id: str, *, arrondissement_id: str | None = None,
                 sector: str | None = None) -> list[ProjectView]: ...
    def project(self, project_id: int) -> ProjectView | None: ...
    def project_sectors(self, commune_id: str) -> list[str]: ...
    def document_kinds(self, commune_id: str) -> list[str]: ...
    def documents(self, commune_id: str, kind: str) -> list[DocumentView]: ...
    def surveys(self, commune_id: str) -> list[SurveyView]: ...
    def survey(self, survey_id: int) -> SurveyView | None: ...
    def follow_up(self, followup_id: int) -> FollowUpView | None: ...


Asker = Callable[[Data, Lookup], Prompt]
Handler = Callable[[Data, Msg, Lookup], Step]


@dataclass(frozen=True)
class StateSpec:
    ask: Asker
    handle: Handler


@dataclass(frozen=True)
class Flow:
    """A state table: each Enum state with the question it asks and the step that answers."""

    name: str
    start: Enum
    states: Mapping[Enum, StateSpec]
    first_state: Callable[[Data, Lookup], Enum] | None = None

    def spec(self, state: str) -> StateSpec:
        for member, spec in self.states.items():
            if member.value == state:
                return spec
        raise KeyError(f"{self.name} has no state {state}")

    def entry(self, data: Data, ctx: Lookup) -> str:
        chosen = self.first_state(data, ctx) if self.first_state else self.start
        return str(chosen.value)

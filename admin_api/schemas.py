"""What leaves the admin API: *Public models only, personal data masked by role."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainSerializer, StrictBool, StrictFloat, StrictInt

from core.moderation.service import MIN_REASON
from core.submissions.models import Priority, Status
from core.submissions.service import LOCAL_TZ

# A time a mairie's secretary reads: written in Benin's time (2026-12-07T09:00:00+01:00), the
# same instant as UTC, for the council's sittings, updates and questions.
BeninTime = Annotated[datetime, PlainSerializer(lambda when: when.astimezone(LOCAL_TZ).isoformat(),
                                                return_type=str, when_used="json")]

class CitizenPublic(BaseModel):
    channel: str = Field(description="the channel this submission came from")
    channels: list[str] = Field(description="every channel the citizen linked (one person "
                                            "across WhatsApp and Telegram)")
    address: str = Field(description="masked: an account allowed to see contacts reveals it "
                                     "with a reason (POST …/citizen/contact)")
    display_name: str | None = Field(description="never shown here (revealed with the contact)")
    language: str | None
    blocked: bool
    may_reveal: bool = Field(description="whether this account may reveal the contact")


class ContactRevealIn(BaseModel):
    reason: str = Field(min_length=MIN_REASON, max_length=300,
                        description="why the number is needed; it goes to the audit log")


class ContactPublic(BaseModel):
    """A citizen's full contact, revealed with a reason (audited)."""

    channel: str
    address: str
    display_name: str | None


class TranscriptPublic(BaseModel):
    """What a worker heard in a voice note (status pending, running, done or failed)."""

    status: str
    text: str | None
    language: str | None
    confidence: float | None
    duration_s: float | None
    backend: str | None
    model: str | None
    processing_ms: int | None
    attempts: int
    reason: str | None  # why there is no text: too_long, undecodable, silent, no_model…;
    # "unclear" beside a text: kept but doubted (a loop, a low confidence), never searched
    language_hint: str | None = None  # the language the citizen said they speak
    # A moderator's transcript, kept beside the machine's: what is read and searched once
    # written ("untranscribed" above: a note no machine was given, written by a moderator)
    corrected_text: str | None = None
    corrected_language: str | None = None
    corrected_by: str | None = None
    corrected_at: datetime | None = None


class AttachmentPublic(BaseModel):
    id: int
    kind: str
    content_type: str
    size: int
    sha256: str
    url: str | None = Field(description="where to download it; null once erased")
    erased_at: datetime | None = Field(
        default=None, description="when the retention period erased the recording (its "
                                  "transcript stays)")
    transcript: TranscriptPublic | None = None  # voice notes and audio


class HistoryPublic(BaseModel):
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    public_note: str | None
    internal_note: str | None


class MessagePublic(BaseModel):
    direction: str  # "in" from the citizen, "out" to them
    at: datetime
    kind: str
    text: str | None


class SubmissionPublic(BaseModel):
    reference: str
    kind: str
    status: str
    commune_id: str
    arrondissement_id: str | None
    category_id: int | None
    service_id: int | None
    title: str | None
    description: str
    latitude: float | None
    longitude: float | None
    place_text: str | None
    anonymous: bool
    public: bool = Field(description="the citizen agreed to publish its words and pin (Open311);"
                                     " a private report is published without them")
    channel: str
    priority: str
    labels: list[str]
    hidden: bool
    assignee: str | None
    claimed_by: str | None
    claimed_until: datetime | None
    duplicate_of: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None


class SubmissionsPublic(BaseModel):
    data: list[SubmissionPublic]
    next_cursor: str | None


class FarPinPublic(BaseModel):
    """A pin far from its commune's seat and nearer another's: the citizen was asked and
    kept it (or it came through Open311); worth a look before sending a team."""

    km: int = Field(description="from the seat of the submission's commune")
    near: str = Field(description="the commune whose seat is nearest the pin")


class SubmissionDetailPublic(SubmissionPublic):
    citizen: CitizenPublic | None
    far_pin: FarPinPublic | None
    attachments: list[AttachmentPublic]
    history: list[HistoryPublic]
    messages: list[MessagePublic]
    supporters: int
    followers: int
    duplicates: list[str]


class StatusChange(BaseModel):
    status: Status
    public_note: str | None = Field(default=None, max_length=1000)
    internal_note: str | None = Field(default=None, max_length=4000)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class TranscriptIn(BaseModel):
    """A moderator's transcript of a voice note, and the language spoken in it."""

    text: str = Field(min_length=1, max_length=4000)
    language: str | None = Field(default=None, pattern="^[a-z]{2,3}$",
                                 description="ISO 639 code (fr, yo, fon…); missing: the "
                                             "one the machine heard or the citizen speaks")


class AssignIn(BaseModel):
    assignee: str | None = Field(default=None, max_length=80)


class PriorityIn(BaseModel):
    priority: Priority


class CategoryIn(BaseModel):
    category_id: StrictInt = Field(ge=1, le=2_147_483_647)


class LabelsIn(BaseModel):
    labels: list[str] = Field(max_length=10)


class MergeIn(BaseModel):
    into: str = Field(min_length=3, max_length=40)


class FlagIn(BaseModel):
    value: StrictBool = True


class CommunePublic(BaseModel):
    id: str
    code: str
    name: str
    department_name: str
    enabled: bool


class ListingPublic(BaseModel):
    """A report category or a municipal service of a commune."""

    id: int
    commune_id: str
    code: str
    names: dict[str, str]
    position: int
    active: bool


class ListingIn(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{2,40}$")
    names: dict[str, str]
    position: StrictInt | None = Field(default=None, ge=0, le=10_000)


class ListingChange(BaseModel):
    names: dict[str, str] | None = None
    position: StrictInt | None = Field(default=None, ge=0, le=10_000)
    active: StrictBool | None = None


class CannedReplyPublic(BaseModel):
    id: int
    commune_id: str
    title: str
    texts: dict[str, str]


class CannedReplyIn(BaseModel):
    title: str = Field(min_length=1, max_length=80)
    texts: dict[str, str]


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    commune_id: str | None
    before: dict[str, object]
    after: dict[str, object]


class AuditPagePublic(BaseModel):
    data: list[AuditPublic]
    next_cursor: int | None


class StatsPublic(BaseModel):
    total: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_commune: dict[str, int]
    by_arrondissement: dict[str, int]
    by_period: dict[str, int]
    median_hours_to_first_response: float | None
    median_hours_to_resolution: float | None
    share_resolved: float | None
    people: int
    by_gender: dict[str, int | None]  # null: fewer than 5 people, not shown
    by_age_band: dict[str, int | None]


class BroadcastIn(BaseModel):
    """An announcement: to a commune, one of its arrondissements, or a topic's followers."""

    commune_id: str = Field(max_length=16)
    text: str = Field(min_length=1, max_length=3000)
    audience: Literal["commune", "arrondissement", "topic"] = "commune"
    arrondissement_id: str | None = Field(default=None, max_length=20)
    topic: str | None = Field(default=None, max_length=64)
    send_at: datetime | None = Field(default=None, description=(
        "when to send, with its time zone (e.g. 2026-12-01T08:00:00+01:00); empty: now"))
    urgent: StrictBool = Field(default=False, description="sent even in quiet hours (21:00-07:00)")


class BroadcastProgressPublic(BaseModel):
    waiting: int  # queued, rate-limited, or held for quiet hours / WhatsApp's window
    sent: int
    delivered: int  # the provider says the phone got it (or read it)
    failed: int


class BroadcastPublic(BaseModel):
    id: int
    commune_id: str
    audience: str
    arrondissement_id: str | None
    topic: str | None
    text: str
    send_at: datetime
    urgent: bool
    status: str  # scheduled, queued, cancelled, failed (could not be queued: nothing sent)
    recipients: int
    created_by: str
    created_at: datetime
    queued_at: datetime | None
    progress: BroadcastProgressPublic


class CouncilSessionIn(BaseModel):
    """A council sitting to plan (times with their zone, e.g. 2026-12-07T09:00:00+01:00)."""

    commune_id: str = Field(max_length=16)
    kind: Literal["ordinary", "extraordinary", "accountability"] = "ordinary"
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    place: str = Field(default="", max_length=200)
    agenda: list[str] = Field(default_factory=list, max_length=50)
    stream_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")


class CouncilSessionChange(BaseModel):
    """What to change in a planned sitting; moving it moves its reminders."""

    kind: Literal["ordinary", "extraordinary", "accountability"] | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    starts_at: datetime | None = None
    place: str | None = Field(default=None, max_length=200)
    agenda: list[str] | None = Field(default=None, max_length=50)
    stream_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")


class CouncilUpdateIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class CouncilEndIn(BaseModel):
    decisions: list[str] = Field(default_factory=list, max_length=50)


class CouncilSessionPublic(BaseModel):
    id: int
    commune_id: str
    kind: str
    title: str
    starts_at: BeninTime
    place: str
    agenda: list[str]
    stream_url: str | None
    status: str  # scheduled, live, ended, cancelled
    decisions: list[str]
    day_reminder_at: BeninTime | None
    hour_reminder_at: BeninTime | None
    live_at: BeninTime | None
    ended_at: BeninTime | None
    created_by: str


class CouncilUpdatePublic(BaseModel):
    id: int
    text: str
    photo_url: str | None  # public: it went out to the citizens
    posted_by: str
    posted_at: BeninTime


class CouncilQuestionPublic(BaseModel):
    """A citizen's question, in the order it came (who asked is not shown)."""

    id: int
    number: int
    text: str
    voice_url: str | None
    transcript: str | None
    asked_at: BeninTime
    answered_at: BeninTime | None
    answered_by: str | None


class ProjectIn(BaseModel):
    """A project of the investment plan; `code` identifies it (saving it again updates it)."""

    commune_id: str = Field(max_length=16)
    code: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    plan: Literal["PAI", "PDC"] = "PAI"
    sector: str = Field(min_length=1, max_length=60)
    arrondissement: str | None = Field(default=None, max_length=80)
    latitude: StrictFloat | None = Field(default=None, ge=-90, le=90)
    longitude: StrictFloat | None = Field(default=None, ge=-180, le=180)
    budget_fcfa: StrictInt = Field(default=0, ge=0, le=10**13)
    funding_source: str = Field(default="", max_length=120)
    starts_on: date | None = None
    ends_on: date | None = None
    status: Literal["planned", "in_progress", "completed", "suspended"] = "planned"
    progress: StrictInt = Field(default=0, ge=0, le=100)
    description: str = Field(default="", max_length=4000)


class ProgressIn(BaseModel):
    progress: StrictInt = Field(ge=0, le=100)
    status: Literal["planned", "in_progress", "completed", "suspended"] | None = None
    note: str = Field(default="", max_length=2000)


class ProjectPublic(BaseModel):
    id: int
    commune_id: str
    code: str
    title: str
    plan: str
    sector: str
    arrondissement_id: str | None
    latitude: float | None
    longitude: float | None
    budget_fcfa: int
    funding_source: str
    starts_on: date | None
    ends_on: date | None
    status: str
    progress: int
    description: str
    updated_at: datetime


class ImportReportPublic(BaseModel):
    created: int
    updated: int
    unchanged: int = 0  # known codes whose row changes nothing
    rejected: list[dict[str, int | str]]  # {"line": 7, "reason": "budget_fcfa must be a number"}


class DocumentLinkIn(BaseModel):
    """A document published as a link (a file goes as multipart to /documents/upload)."""

    commune_id: str = Field(max_length=16)
    kind: Literal["budget", "administrative_account", "pai", "pdc", "procurement",
                  "mayor_agenda"]
    year: StrictInt = Field(ge=1990, le=2100)
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(max_length=1000, pattern=r"^https?://\S+$")
    summaries: dict[str, str] = Field(default_factory=dict, description=(
        "a short summary per language: {\"fr\": \"…\", \"en\": \"…\"}"))


class DocumentPublic(BaseModel):
    id: int
    commune_id: str
    kind: str
    year: int
    title: str
    filename: str | None
    content_type: str | None
    size: int
    url: str | None
    file_url: str | None  # the public address of the stored file
    summaries: dict[str, str]
    published_by: str
    published_at: datetime


class DigestPublic(BaseModel):
    """A week's digest, ready to paste into the mairie's WhatsApp groups."""

    commune_id: str
    week: date
    language: str
    text: str
    made_at: datetime


class AlertPublic(BaseModel):
    """Something the moderators must hear about: `overdue` (submissions untriaged past the
    delay: `hours`), `reopened` (a citizen says it is not solved: `comment`)."""

    id: int
    commune_id: str
    kind: str
    references: list[str]  # the submissions concerned (at most 50; `count` says how many)
    count: int
    details: dict[str, Any]
    created_at: datetime
    seen: bool  # by the moderator asking


class AlertFeed(BaseModel):
    alerts: list[AlertPublic]
    unseen: int
    next_cursor: int | None  # pass as `after` for older alerts


class AlertsSeenIn(BaseModel):
    up_to: StrictInt = Field(ge=1, le=2_147_483_647)


Texts = dict[str, str]  # per language: {"fr": "…", "en": "…"}; French required


class SurveyQuestionIn(BaseModel):
    kind: Literal["rating", "choice", "yes_no", "free"]
    text: Texts
    choices: list[Texts] = Field(default_factory=list, max_length=9)


class SurveyIn(BaseModel):
    """A survey about a service: its title and short introduction per language, and its
    questions in order (rating 1-5, one choice, yes/no, free words or voice)."""

    commune_id: str = Field(max_length=16)
    service_id: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)
    title: Texts
    intro: Texts = Field(default_factory=dict)
    questions: list[SurveyQuestionIn] = Field(default_factory=list, max_length=20)


class SurveyChange(BaseModel):
    """A draft's new definition (everything but its commune)."""

    service_id: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)
    title: Texts
    intro: Texts = Field(default_factory=dict)
    questions: list[SurveyQuestionIn] = Field(default_factory=list, max_length=20)


class SurveyInvite(BaseModel):
    audience: Literal["commune", "arrondissement", "topic"] = "commune"
    arrondissement_id: str | None = Field(default=None, max_length=20)
    topic: str | None = Field(default=None, max_length=64)


class SurveyLaunch(BaseModel):
    closes_at: datetime = Field(description="when it closes, with its time zone")
    opens_at: datetime | None = Field(default=None, description="empty: now")
    invite: SurveyInvite | None = Field(default=None, description=(
        "who is told when it opens (an announcement); empty: citizens find it in the menu"))


class SurveyQuestionPublic(BaseModel):
    id: int
    position: int
    kind: str
    text: Texts
    choices: list[Texts]


class SurveyPublic(BaseModel):
    id: int
    commune_id: str
    service_id: int | None
    title: Texts
    intro: Texts
    status: str  # draft, open (between opens_at and closes_at), closed
    opens_at: datetime | None
    closes_at: datetime | None
    invited: int
    created_by: str
    created_at: datetime
    questions: list[SurveyQuestionPublic]


class SurveyQuestionResult(BaseModel):
    position: int
    kind: str
    text: str
    answered: int
    distribution: dict[str, int]
    average: float | None  # ratings: 1 to 5; yes/no: the share of yes
    free_answers: list[dict[str, Any]]  # text, voice_url, transcript, answered_at


class SurveyGroupResult(BaseModel):
    completed: int
    averages: dict[int, float | None]  # per rating or yes/no question (by position)


class SurveyResultsPublic(BaseModel):
    survey_id: int
    started: int
    completed: int
    invited: int
    response_rate: float | None  # completed / invited, when invitations were sent
    questions: list[SurveyQuestionResult]
    # Per arrondissement, gender and age band: the groups of five people or more; groups
    # too small to show are left out (with the next smallest when needed, so that none can
    # be worked out from the totals): `hidden` says how many people they hold together.
    breakdowns: dict[str, dict[str, SurveyGroupResult]]
    hidden: dict[str, int]
    withheld: bool  # fewer than 5 completed sets: no distributions, averages nor breakdowns

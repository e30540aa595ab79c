"""The rows of one load: citizens, then submissions in creation order with their attachments.

Ids follow dates, as in a live database; density grows over the three years (the platform gets
known); a submission's status depends on its age, its reference numbers per commune, kind and
local year. The same seed gives the same rows on every backend, so that SQLite and PostgreSQL
are measured on the same data. A tally of what was generated lets the report show how often
each search hits, and the checks compare it with what the database counts.
"""

from __future__ import annotations

import bisect
import json
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.common.measures import Picker
from bench.inbox.data import (
    ASIDES,
    ASKS,
    CATEGORIES,
    CENTRES,
    CHANNELS,
    CHUNK,
    COMPLAINTS,
    COTONOU,
    EFFECTS,
    IDEAS,
    KINDS,
    LABELS,
    LANGUAGES,
    P_PHOTO,
    P_VOICE,
    PLACES,
    PRIORITIES,
    SEARCHED,
    SINCE,
    SPAN,
    STATUS_MIX,
    SUBJECTS,
    SUGGESTIONS,
)
from core.submissions.models import searchable
from core.submissions.references import format_reference
from core.submissions.search import query_words
from core.submissions.service import LOCAL_TZ

Row = tuple[Any, ...]
Stamp = Callable[[datetime], Any]  # a moment as the backend's bulk load takes it


@dataclass
class Place:
    """A pilot commune and the ids its rows may point to."""

    id: str
    code: str
    name: str
    weight: float
    categories: dict[str, int]
    services: list[int]
    arrondissements: list[str]
    moderators: list[int] = field(default_factory=list)
    first_citizen: int = 0
    citizens: int = 0
    submitted: list[int] = field(default_factory=list)  # ids so far, for duplicates


@dataclass
class World:
    """The reference data read back from the migrated database, plus the bench's moderators."""

    places: dict[str, Place]
    admin_id: int = 0


@dataclass
class Tally:
    """What was generated, to check the data and show how often the searches hit."""

    submissions: int = 0
    attachments: int = 0
    citizens: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    communes: dict[str, int] = field(default_factory=dict)
    photos: int = 0
    voices: int = 0
    hidden: int = 0
    assigned: int = 0
    labelled: int = 0
    hits: dict[str, int] = field(default_factory=dict)  # search text -> matching submissions
    references: list[str] = field(default_factory=list)  # some Cotonou references


def citizens(world: World, count: int, start: datetime, now: datetime, stamp: Stamp,
             rng: random.Random) -> list[Row]:
    """Citizens spread over the communes like the submissions; contiguous ids per commune."""
    total = sum(p.weight for p in world.places.values())
    rows: list[Row] = []
    genders = Picker((("female", 45), ("male", 45), (None, 10)))
    ages = Picker((("18-24", 25), ("25-34", 30), ("35-49", 25), ("50+", 10), (None, 10)))
    language = Picker(LANGUAGES)
    for place in world.places.values():
        place.first_citizen = len(rows) + 1
        place.citizens = max(1, round(count * place.weight / total))
        for _ in range(place.citizens):
            rows.append((len(rows) + 1, language(rng), place.id, None, stamp(start),
                         genders(rng), ages(rng), None, False, False, stamp(start), stamp(now)))
    return rows


def describe(subjects: Sequence[str], rng: random.Random, *, asides: bool) -> str:
    """One citizen's description: what, where, since when, what it does, an ask, an aside."""
    parts = [f"{rng.choice(subjects)} {rng.choice(PLACES)} {rng.choice(SINCE)}.",
             rng.choice(EFFECTS), rng.choice(ASKS)]
    if asides:
        parts += [aside for aside, share in ASIDES if rng.random() < share]
    return " ".join(p for p in parts if p)


@dataclass
class Draft:
    """One submission's drawn fields, before the rest of its row is drawn."""

    id: int
    created: datetime
    place: Place
    kind: str
    status: str
    photo: bool
    voice: bool
    category_id: int | None
    service_id: int | None
    title: str | None
    description: str
    reference: str
    assignee: int | None
    responded: datetime | None
    resolved: datetime | None
    duplicate_of: int | None
    labels: list[str]
    hidden: bool
    pinned: bool


class Submissions:
    """The submissions and their attachments; every random draw in a fixed order, so that a
    seed always gives the same rows."""

    def __init__(self, world: World, now: datetime, stamp: Stamp, tally: Tally,
                 seed: int) -> None:
        self.now, self.stamp, self.tally = now, stamp, tally
        self.rng, self.start = random.Random(seed), now - SPAN
        self.place_of = Picker([(p, p.weight) for p in world.places.values()])
        self.kind_of, self.category_of = Picker([(k.value, w) for k, w in KINDS]), \
            Picker(CATEGORIES)
        self.kinds = {k.value: k for k, _ in KINDS}
        self.priority_of, self.channel_of = Picker(PRIORITIES), Picker(CHANNELS)
        self.status_of = [(days, Picker(mix)) for days, mix in STATUS_MIX]
        self.arrondissement_of = {p.id: Picker([(a, 1 + (i * 7) % 5) for i, a in enumerate(
            p.arrondissements)]) for p in world.places.values()}
        self.moderator_of = {p.id: Picker([(m, max(1, 3 - i)) for i, m in enumerate(
            p.moderators)]) for p in world.places.values()}
        self.searches = [(s, query_words(s)) for s in SEARCHED]
        # the local new years inside the span, as offsets: references number per local year
        self.first_year = self.start.astimezone(LOCAL_TZ).year
        self.new_years = [(datetime(y, 1, 1, tzinfo=LOCAL_TZ) - self.start).total_seconds()
                          for y in range(self.first_year + 1, now.astimezone(LOCAL_TZ).year + 1)]
        self.counters: dict[tuple[str, str, int], int] = {}
        self.attachment_id = 0

    def chunks(self, rows: int) -> Iterator[tuple[list[Row], list[Row]]]:
        """The submissions in creation order with their attachments, CHUNK at a time."""
        span = SPAN.total_seconds()
        # density grows linearly over the three years: the platform gets known
        offsets = sorted(span * math.sqrt(self.rng.random()) for _ in range(rows))
        sample_every = max(1, rows // 12)
        chunk: list[Row] = []
        files: list[Row] = []
        for index, offset in enumerate(offsets):
            draft = self.draft(index + 1, offset)
            chunk.append(self.row(draft))
            draft.place.submitted.append(draft.id)
            files += self.attachments(draft)
            self.count(draft, chunk[-1][-1], index // sample_every + 1)
            if len(chunk) >= CHUNK:
                yield chunk, files
                chunk, files = [], []
        self.tally.attachments = self.attachment_id
        if chunk:
            yield chunk, files

    def draft(self, sid: int, offset: float) -> Draft:
        """Where, what kind, which status for its age, its words, who handles it and how."""
        rng = self.rng
        age_days = (SPAN.total_seconds() - offset) / 86400
        created = self.start + timedelta(seconds=offset)
        place, kind = self.place_of(rng), self.kind_of(rng)
        status = next(pick for days, pick in self.status_of if age_days < days)(rng)
        photo = rng.random() < P_PHOTO.get(kind, 0.0)
        voice = rng.random() < P_VOICE.get(kind, 0.0)
        words = self.words(place, kind, voice)
        reference = self.reference(place, kind, offset)
        assignee = self.assignee(place, status)
        responded, resolved = self.handled(status, created)
        return Draft(sid, created, place, kind, status, photo, voice, *words, reference,
                     assignee, responded, resolved, self.duplicate_of(place, status),
                     self.labels(), rng.random() < 0.003,
                     kind == "report" and rng.random() < 0.8)

    def words(self, place: Place, kind: str,
              voice: bool) -> tuple[int | None, int | None, str | None, str]:
        """Category, service, title and description; a voice note leaves the text empty."""
        rng = self.rng
        if kind == "report":
            code = self.category_of(rng)
            return (place.categories[code], None, None,
                    "" if voice else describe(SUBJECTS[code], rng, asides=True))
        if kind == "complaint":
            service = rng.choice(place.services)
            return None, service, None, "" if voice else describe(COMPLAINTS, rng, asides=False)
        if kind == "suggestion":
            service_id = rng.choice(place.services) if rng.random() < 0.5 else None
            return None, service_id, None, f"{rng.choice(SUGGESTIONS)}. {rng.choice(ASKS)}".strip()
        title, description = rng.choice(IDEAS)
        return None, None, title, description

    def reference(self, place: Place, kind: str, offset: float) -> str:
        """The next reference of the commune, kind and local year, in the real format."""
        year = self.first_year + bisect.bisect_right(self.new_years, offset)
        key = (place.code, kind, year)
        self.counters[key] = number = self.counters.get(key, 0) + 1
        return format_reference(commune_code=place.code, kind=self.kinds[kind], year=year,
                                number=number)

    def assignee(self, place: Place, status: str) -> int | None:
        """A moderator of the commune: seldom for new items, mostly once handled."""
        assigned = bool(place.moderators) and self.rng.random() < (0.05 if status == "new"
                                                                   else 0.75)
        return self.moderator_of[place.id](self.rng) if assigned else None

    def handled(self, status: str,
                created: datetime) -> tuple[datetime | None, datetime | None]:
        """When it was first answered and when resolved, as its status says."""
        responded = resolved = None
        if status != "new":
            responded = min(self.now, created + timedelta(hours=self.rng.uniform(0.5, 120)))
        if status in ("resolved", "closed"):
            resolved = min(self.now, created + timedelta(days=self.rng.uniform(1, 45)))
        return responded, resolved

    def duplicate_of(self, place: Place, status: str) -> int | None:
        """A duplicate points to one of the commune's recent submissions."""
        if status != "duplicate" or not place.submitted:
            return None
        back = self.rng.randrange(min(2000, len(place.submitted)))
        return place.submitted[len(place.submitted) - 1 - back]

    def labels(self) -> list[str]:
        """One label in twelve, two in fifty."""
        draw = self.rng.random()
        return ([] if draw >= 0.10 else [self.rng.choice(LABELS)] if draw < 0.08
                else sorted(self.rng.sample(LABELS, 2)))

    def row(self, d: Draft) -> Row:
        """The submission's row in SUBMISSION_COLUMNS' order, its search text last."""
        rng, stamp = self.rng, self.stamp
        latitude, longitude = CENTRES[d.place.id]
        return (
            d.id, d.reference, d.kind, d.status, d.place.id,
            self.arrondissement_of[d.place.id](rng) if rng.random() < 0.9 else None,
            d.category_id, d.service_id, d.title, d.description,
            latitude + rng.gauss(0, 0.02) if d.pinned else None,
            longitude + rng.gauss(0, 0.02) if d.pinned else None,
            rng.choice(PLACES) if rng.random() < 0.35 else None,
            rng.random() < 0.07,
            d.place.first_citizen + int(d.place.citizens * rng.random() ** 2),
            None, self.channel_of(rng), stamp(d.created),
            stamp(max(d.created, d.responded or d.created, d.resolved or d.created)),
            stamp(d.resolved) if d.resolved else None,
            stamp(d.responded) if d.responded else None,
            d.assignee, self.priority_of(rng), json.dumps(d.labels), d.hidden, d.duplicate_of,
            None, None,
            searchable(d.title, d.description, d.reference))  # what the model event stores

    def attachments(self, d: Draft) -> list[Row]:
        """A photo and a voice note when drawn: rows in `attachment` with a fake path."""
        files = []
        for present, what, content_type, suffix, size in (
                (d.photo, "photo", "image/jpeg", "jpg", 180_000),
                (d.voice, "voice", "audio/ogg", "ogg", 40_000)):
            if present:
                self.attachment_id += 1
                files.append((self.attachment_id, None, d.id, what, content_type,
                              size + self.rng.randrange(size), f"{self.attachment_id:064x}",
                              f"bench/{d.id}-{what}.{suffix}", None, self.stamp(d.created)))
        return files

    def count(self, d: Draft, haystack: str, sampled: int) -> None:
        """The tally: what a check or a search should find."""
        t = self.tally
        t.submissions += 1
        t.kinds[d.kind] = t.kinds.get(d.kind, 0) + 1
        t.statuses[d.status] = t.statuses.get(d.status, 0) + 1
        t.communes[d.place.id] = t.communes.get(d.place.id, 0) + 1
        t.photos, t.voices, t.hidden = t.photos + d.photo, t.voices + d.voice, t.hidden + d.hidden
        t.assigned += d.assignee is not None
        t.labelled += bool(d.labels)
        for wanted, words in self.searches:
            if all(word in haystack for word in words):
                t.hits[wanted] = t.hits.get(wanted, 0) + 1
        if d.place.id == COTONOU and len(t.references) < sampled:
            t.references.append(d.reference)

"""Inbox latency on a million submissions: filters, free-text search and deep pagination.

What a moderator waits for when the inbox query (`core.submissions.inbox.inbox`, behind
`GET /api/v1/submissions`) runs on a large database. Each backend gets a fresh database built
by the real migrations and reference data (`palabre.bootstrap.prepare`), then `--rows`
submissions (default 1,000,000) are bulk-loaded: `COPY` on PostgreSQL, `executemany` in large
transactions on SQLite, never the ORM row by row. The data imitates the pilot: the 7 pilot
communes (Cotonou heaviest), mostly reports, statuses that depend on age, each commune's own
categories and services, arrondissements, three years of dates growing over time, priorities,
labels, assignees among the commune's moderators, citizens, about 10% with a photo and 5% with
a voice note (rows in `attachment` with a fake path; a voice note leaves the description
empty, as the report flow does), descriptions written from a French vocabulary so that
searching "caniveau" or "lampadaire" hits a realistic share, and references in the real format
(COT-SIG-24-0123, see core/submissions/references.py).

Then every typical query runs through the real `inbox()`, one unit of work per call like one
HTTP request: a few calls to warm up, then `--repeat` timed calls (fewer when a query has used
up `--budget` seconds, never fewer than 20), cycling through a few variants of its parameters.
Deep pagination follows `next_cursor` page after page and times each page. The table gives
p50/p95/p99 per query and backend and marks every p95 above the 50 ms target.

The default run measures the schema exactly as the migrations create it, search included
(core/submissions/search.py: a pg_trgm GIN index on PostgreSQL; on SQLite an FTS5 trigram
table for rare words and the newest-first walk for common ones, chosen by a bounded count).
PostgreSQL gets a VACUUM ANALYZE after the load (autovacuum does the same in production);
SQLite gets no ANALYZE, because the application never runs one. With `--experiments`, once the
default measurement is done, the same throw-away databases receive the changes still under
study, one step after the other (cumulative; `--steps` picks them): for now ANALYZE on SQLite
(the migrations already make the status index and PostgreSQL's label statistics). Every query is
measured again after each step, and the first two pages of every query variant are compared
with what the application returns. Those steps are marked EXPERIMENT: they are not in the
application; a step whose indexes the migrations already make is skipped.

Run it from the repository root (a million rows take several minutes per backend):

    .venv/bin/python -m bench.inbox                          # SQLite, and PostgreSQL if set
    .venv/bin/python bench/inbox.py --rows 100000 --sqlite-only --explain
    .venv/bin/python -m bench.inbox --pg-url postgresql://postgres@127.0.0.1:5432/test \\
        --experiments

PostgreSQL is measured when `--pg-url`, TEST_DATABASE_URL or BENCH_DATABASE_URL names a
server on this machine; the database in the URL is only used to create and drop the temporary
one. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import itertools
import json
import logging
import math
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import (
    Engine,
    event,
    inspect,
    text,
)
from sqlmodel import col, select

if __package__ in (None, ""):  # run as `python bench/inbox.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import core.submissions.inbox as inbox_module  # noqa: E402
from bench.pipeline import (  # noqa: E402
    Latencies,
    on_each_backend,
    postgres_problem,
    progress,
    server_version,
)
from core.communes.models import Arrondissement, Category, Commune, MunicipalService  # noqa: E402
from core.communes.seed import PILOT_COMMUNES  # noqa: E402
from core.moderation.models import Role  # noqa: E402
from core.moderation.service import (  # noqa: E402
    add_moderator,
    communes_visible_to,
    get_moderator,
)
from core.submissions.inbox import InboxFilter, Page  # noqa: E402
from core.submissions.models import (  # noqa: E402
    OPEN_STATUSES,
    Kind,
    Status,
    Submission,
    searchable,
)
from core.submissions.references import format_reference  # noqa: E402
from core.submissions.search import query_words  # noqa: E402
from core.submissions.service import LOCAL_TZ  # noqa: E402
from palabre.bootstrap import App, bootstrap, prepare  # noqa: E402
from palabre.settings import Settings  # noqa: E402

DEFAULT_ROWS = 1_000_000
DEFAULT_REPEAT = 200
DEFAULT_BUDGET = 30.0  # seconds of timed calls per query before stopping early
MIN_REPEAT = 20
WARMUP = 5
PAGE = 50
DEEP_PAGES = 200
DEEP_START = 1000  # the second deep run starts after this many pages
TARGET_MS = 50.0
CHUNK = 50_000
SPAN = timedelta(days=3 * 365)
SEED = 2024

T = TypeVar("T")
Row = tuple[Any, ...]
Stamp = Callable[[datetime], Any]

COTONOU = "BJ-LI-COT"

# --- what the data looks like -----------------------------------------------------------------

COMMUNE_WEIGHTS = {"BJ-LI-COT": 40, "BJ-AQ-ABO": 20, "BJ-ZO-BOH": 10, "BJ-OU-AKP": 8,
                   "BJ-AL-BAN": 8, "BJ-AQ-TOF": 7, "BJ-OU-AVR": 7}
CENTRES = {"BJ-LI-COT": (6.37, 2.42), "BJ-AQ-ABO": (6.45, 2.35), "BJ-ZO-BOH": (7.18, 2.07),
           "BJ-OU-AKP": (6.58, 2.56), "BJ-AL-BAN": (11.30, 2.44), "BJ-AQ-TOF": (6.85, 2.08),
           "BJ-OU-AVR": (6.55, 2.66)}
MODERATORS = {"BJ-LI-COT": 6, "BJ-AQ-ABO": 4}  # other communes: 2
KINDS = ((Kind.REPORT, 72), (Kind.COMPLAINT, 14), (Kind.SUGGESTION, 9), (Kind.IDEA, 5))
CATEGORIES = (("road", 20), ("drain", 18), ("street_light", 12), ("waste", 20), ("market", 6),
              ("water", 10), ("school", 5), ("other", 9))
PRIORITIES = (("normal", 80), ("low", 7), ("high", 11), ("urgent", 2))
CHANNELS = (("whatsapp", 63), ("telegram", 37))
LANGUAGES = (("fr", 85), ("en", 15))
LABELS = ("saison-des-pluies", "presse", "rappel", "visite-terrain", "budget-2025",
          "chef-quartier", "sbee", "soneb")
# (younger than so many days, status mix): recent items wait, old ones are mostly done
STATUS_MIX: tuple[tuple[float, tuple[tuple[str, float], ...]], ...] = (
    (7, (("new", 55), ("acknowledged", 25), ("in_progress", 12), ("rejected", 3),
         ("duplicate", 5))),
    (60, (("new", 12), ("acknowledged", 18), ("in_progress", 25), ("resolved", 27),
          ("rejected", 6), ("duplicate", 6), ("reopened", 6))),
    (math.inf, (("new", 2), ("acknowledged", 3), ("in_progress", 7), ("resolved", 46),
                ("closed", 31), ("rejected", 6), ("duplicate", 4), ("reopened", 1))),
)
P_PHOTO = {"report": 0.13, "complaint": 0.03}  # about 10% of all submissions
P_VOICE = {"report": 0.058, "complaint": 0.058}  # about 5%

SUBJECTS = {
    "road": ("Nid de poule énorme sur la voie", "La route est complètement dégradée",
             "Le pont est fissuré", "Les pavés sont arrachés", "Un gros trou sur la chaussée",
             "La voie est impraticable"),
    "drain": ("Le caniveau est bouché", "Le caniveau déborde", "Les caniveaux ne sont pas curés",
              "La rue est inondée, le caniveau est plein de sable", "L'eau stagne dans la rue",
              "Le caniveau à ciel ouvert est dangereux"),
    "street_light": ("Le lampadaire ne s'allume plus", "Les lampadaires sont éteints",
                     "Un lampadaire est tombé", "Pas d'éclairage public dans la rue",
                     "Le lampadaire clignote toute la nuit"),
    "waste": ("Tas d'ordures qui déborde sur la voie", "Dépotoir sauvage en pleine rue",
              "Les ordures ne sont pas ramassées", "On brûle les déchets",
              "Les poubelles sont pleines"),
    "market": ("Le hangar du marché est effondré", "Les étals bloquent le passage",
               "Le marché est très sale", "Les toilettes du marché sont fermées"),
    "water": ("La pompe du forage est cassée", "Plus d'eau à la borne fontaine",
              "Le forage est en panne", "L'eau du point d'eau est sale"),
    "school": ("Le toit de l'école est percé", "La salle de classe n'a plus de porte",
               "Les latrines de l'école sont bouchées", "Le mur du centre de santé s'effondre"),
    "other": ("Des animaux errants partout", "Du bruit toute la nuit", "Un arbre est tombé",
              "Une construction bloque la rue"),
}
PLACES = ("devant l'école primaire", "près du marché", "au carrefour", "derrière la mosquée",
          "à côté de l'église", "vers la gare routière", "en face de la pharmacie",
          "au bord de la voie pavée", "près du terrain de foot", "à l'entrée du quartier",
          "derrière le collège", "près de la maison du chef quartier")
SINCE = ("depuis une semaine", "depuis deux mois", "depuis la dernière pluie",
         "chaque fois qu'il pleut", "depuis hier", "depuis longtemps",
         "depuis le début de l'année")
EFFECTS = ("Les enfants ne peuvent plus passer.", "Les motos tombent souvent.",
           "Il y a des moustiques partout.", "La nuit c'est dangereux.",
           "Les commerçants se plaignent.", "Ça sent très mauvais.",
           "Les voitures font un détour.", "Nous avons déjà prévenu le chef quartier.", "")
ASKS = ("Merci de venir voir.", "Aidez-nous s'il vous plaît.", "Il faut agir vite.",
        "Que la mairie intervienne.", "Merci d'avance.", "")
ASIDES = (("Le caniveau à côté est aussi bouché.", 0.04),  # words seen outside their category
          ("Le lampadaire du coin est éteint aussi.", 0.02),
          ("Un serpent est sorti du caniveau.", 0.001),
          ("Le transformateur de la SBEE fait des étincelles.", 0.0005))
COMPLAINTS = ("J'attends mon acte de naissance depuis trois mois",
              "On m'a demandé de l'argent pour un certificat de résidence",
              "Le dossier de ma parcelle n'avance pas", "Mon permis de construire est bloqué",
              "L'agent au guichet était absent toute la matinée",
              "La taxe du marché a doublé sans explication",
              "Personne ne répond au téléphone de la mairie")
SUGGESTIONS = ("Il faudrait un guichet unique pour les actes",
               "Afficher les horaires de la mairie à l'entrée",
               "Envoyer un SMS quand le document est prêt",
               "Organiser la collecte des ordures le samedi")
IDEAS = (("Planter des arbres au marché", "Planter des arbres autour du marché pour l'ombre"),
         ("Bancs à la gare routière", "Installer des bancs et un abri à la gare routière"),
         ("Terrain de jeu pour les enfants", "Aménager l'espace vide derrière le collège"),
         ("Lampadaires solaires", "Des lampadaires solaires dans les ruelles du quartier"))

# What the search queries look for, from common to absent (a typo).
COMMON_WORDS = ("caniveau", "lampadaire", "ordures", "forage", "marché")
TWO_WORDS = ("caniveau bouché", "lampadaire nuit", "ordures marché", "forage pompe")
RARE_WORDS = ("transformateur", "serpent", "étincelles")
TYPOS = ("lampadère", "canivau", "foraje")

SUBMISSION_COLUMNS = ("id", "reference", "kind", "status", "commune_id", "arrondissement_id",
                      "category_id", "service_id", "title", "description", "latitude",
                      "longitude", "place_text", "anonymous", "citizen_id", "identity_id",
                      "channel", "created_at", "updated_at", "resolved_at", "first_response_at",
                      "assignee_id", "priority", "labels", "hidden", "duplicate_of_id",
                      "claimed_by_id", "claimed_until", "search_text")
ATTACHMENT_COLUMNS = ("id", "inbound_id", "submission_id", "kind", "content_type", "size",
                      "sha256", "path", "original_name", "created_at")
CITIZEN_COLUMNS = ("id", "language", "commune_id", "display_name", "consent_at", "gender",
                   "age_band", "disability", "broadcast_opt_out", "blocked", "created_at",
                   "last_seen_at")


class Picker(Generic[T]):
    """A weighted choice, precomputed: one random number and a bisection per pick."""

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in weighted]
        self.bounds = list(itertools.accumulate(weight for _, weight in weighted))

    def __call__(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.bounds, rng.random() * self.bounds[-1])]


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


def read_world(app: App) -> World:
    """The pilot communes with their categories, services and arrondissements."""
    with app.uow_factory() as uow:
        session = uow.session
        places: dict[str, Place] = {}
        for commune in session.exec(select(Commune).where(col(Commune.id).in_(PILOT_COMMUNES))):
            categories = {c.code: c.id for c in session.exec(
                select(Category).where(Category.commune_id == commune.id)) if c.id is not None}
            services = [s.id for s in session.exec(select(MunicipalService).where(
                MunicipalService.commune_id == commune.id)) if s.id is not None]
            arrondissements = sorted(a.id for a in session.exec(
                select(Arrondissement).where(Arrondissement.commune_id == commune.id)))
            places[commune.id] = Place(commune.id, commune.code, commune.name,
                                       COMMUNE_WEIGHTS[commune.id], categories, services,
                                       arrondissements)
    missing = set(PILOT_COMMUNES) - set(places)
    if missing or any(not p.categories for p in places.values()):
        raise SystemExit(f"the reference data lacks pilot communes or categories: {missing}")
    return World(places)


def add_moderators(app: App, world: World) -> None:
    """Moderators of each pilot commune (Cotonou has the most) and one admin, via the service."""
    with app.uow_factory() as uow:
        for place in world.places.values():
            for number in range(MODERATORS.get(place.id, 2)):
                moderator = add_moderator(uow=uow, name=f"bench-{place.code.lower()}-{number}",
                                          role=Role.MODERATOR, communes=[place.id])
                assert moderator.id is not None
                place.moderators.append(moderator.id)
        admin = add_moderator(uow=uow, name="bench-admin", role=Role.ADMIN)
        assert admin.id is not None
        world.admin_id = admin.id
        uow.commit()


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


def submissions(world: World, rows: int, now: datetime, stamp: Stamp, tally: Tally,
                seed: int) -> Iterator[tuple[list[Row], list[Row]]]:
    """The submissions in creation order (ids follow dates), with their attachments, in
    chunks. The same seed gives the same rows on every backend."""
    rng = random.Random(seed)
    span = SPAN.total_seconds()
    start = now - SPAN
    # density grows linearly over the three years: the platform gets known
    offsets = sorted(span * math.sqrt(rng.random()) for _ in range(rows))
    place_of = Picker([(p, p.weight) for p in world.places.values()])
    kind_of, category_of = Picker([(k.value, w) for k, w in KINDS]), Picker(CATEGORIES)
    kinds = {k.value: k for k, _ in KINDS}
    # the local new years inside the span, as offsets: references number per local year
    first_year = start.astimezone(LOCAL_TZ).year
    new_years = [(datetime(y, 1, 1, tzinfo=LOCAL_TZ) - start).total_seconds()
                 for y in range(first_year + 1, now.astimezone(LOCAL_TZ).year + 1)]
    priority_of, channel_of = Picker(PRIORITIES), Picker(CHANNELS)
    status_of = [(days, Picker(mix)) for days, mix in STATUS_MIX]
    arrondissement_of = {p.id: Picker([(a, 1 + (i * 7) % 5) for i, a in
                                       enumerate(p.arrondissements)]) for p in
                         world.places.values()}
    moderator_of = {p.id: Picker([(m, max(1, 3 - i)) for i, m in enumerate(p.moderators)])
                    for p in world.places.values()}
    searches = [(s, query_words(s)) for s in (*COMMON_WORDS, *TWO_WORDS, *RARE_WORDS, *TYPOS)]
    counters: dict[tuple[str, str, int], int] = {}
    sample_every = max(1, rows // 12)
    attachment_id = 0
    chunk: list[Row] = []
    files: list[Row] = []
    for index, offset in enumerate(offsets):
        sid = index + 1
        created = start + timedelta(seconds=offset)
        age_days = (span - offset) / 86400
        place = place_of(rng)
        kind = kind_of(rng)
        status = next(pick for days, pick in status_of if age_days < days)(rng)
        category_id = service_id = title = None
        photo = rng.random() < P_PHOTO.get(kind, 0.0)
        voice = rng.random() < P_VOICE.get(kind, 0.0)
        if kind == "report":
            code = category_of(rng)
            category_id = place.categories[code]
            description = "" if voice else describe(SUBJECTS[code], rng, asides=True)
        elif kind == "complaint":
            service_id = rng.choice(place.services)
            description = "" if voice else describe(COMPLAINTS, rng, asides=False)
        elif kind == "suggestion":
            service_id = rng.choice(place.services) if rng.random() < 0.5 else None
            description = f"{rng.choice(SUGGESTIONS)}. {rng.choice(ASKS)}".strip()
        else:
            title, description = rng.choice(IDEAS)
        year = first_year + bisect.bisect_right(new_years, offset)
        key = (place.code, kind, year)
        counters[key] = number = counters.get(key, 0) + 1
        reference = format_reference(commune_code=place.code, kind=kinds[kind], year=year,
                                     number=number)
        assigned = bool(place.moderators) and rng.random() < (0.05 if status == "new"
                                                              else 0.75)
        assignee = moderator_of[place.id](rng) if assigned else None
        responded = resolved = None
        if status != "new":
            responded = min(now, created + timedelta(hours=rng.uniform(0.5, 120)))
        if status in ("resolved", "closed"):
            resolved = min(now, created + timedelta(days=rng.uniform(1, 45)))
        duplicate_of = None
        if status == "duplicate" and place.submitted:
            back = rng.randrange(min(2000, len(place.submitted)))
            duplicate_of = place.submitted[len(place.submitted) - 1 - back]
        draw = rng.random()
        labels = ([] if draw >= 0.10 else [rng.choice(LABELS)] if draw < 0.08
                  else sorted(rng.sample(LABELS, 2)))
        hidden = rng.random() < 0.003
        pinned = kind == "report" and rng.random() < 0.8
        latitude, longitude = CENTRES[place.id]
        haystack = searchable(title, description, reference)  # what the model event stores
        chunk.append((
            sid, reference, kind, status, place.id,
            arrondissement_of[place.id](rng) if rng.random() < 0.9 else None,
            category_id, service_id, title, description,
            latitude + rng.gauss(0, 0.02) if pinned else None,
            longitude + rng.gauss(0, 0.02) if pinned else None,
            rng.choice(PLACES) if rng.random() < 0.35 else None,
            rng.random() < 0.07,
            place.first_citizen + int(place.citizens * rng.random() ** 2),
            None, channel_of(rng), stamp(created),
            stamp(max(created, responded or created, resolved or created)),
            stamp(resolved) if resolved else None, stamp(responded) if responded else None,
            assignee, priority_of(rng), json.dumps(labels), hidden, duplicate_of, None, None,
            haystack))
        place.submitted.append(sid)
        for present, what, content_type, suffix, size in (
                (photo, "photo", "image/jpeg", "jpg", 180_000),
                (voice, "voice", "audio/ogg", "ogg", 40_000)):
            if present:
                attachment_id += 1
                files.append((attachment_id, None, sid, what, content_type,
                              size + rng.randrange(size), f"{attachment_id:064x}",
                              f"bench/{sid}-{what}.{suffix}", None, stamp(created)))
        # the tally: what a check or a search should find
        tally.submissions += 1
        tally.kinds[kind] = tally.kinds.get(kind, 0) + 1
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        tally.communes[place.id] = tally.communes.get(place.id, 0) + 1
        tally.photos += photo
        tally.voices += voice
        tally.hidden += hidden
        tally.assigned += assignee is not None
        tally.labelled += bool(labels)
        for wanted, words in searches:
            if all(word in haystack for word in words):
                tally.hits[wanted] = tally.hits.get(wanted, 0) + 1
        if place.id == COTONOU and len(tally.references) < (index // sample_every) + 1:
            tally.references.append(reference)
        if len(chunk) >= CHUNK:
            yield chunk, files
            chunk, files = [], []
    tally.attachments = attachment_id
    if chunk:
        yield chunk, files


def describe(subjects: Sequence[str], rng: random.Random, *, asides: bool) -> str:
    """One citizen's description: what, where, since when, what it does, an ask, an aside."""
    parts = [f"{rng.choice(subjects)} {rng.choice(PLACES)} {rng.choice(SINCE)}.",
             rng.choice(EFFECTS), rng.choice(ASKS)]
    if asides:
        parts += [aside for aside, share in ASIDES if rng.random() < share]
    return " ".join(p for p in parts if p)


# --- loading ----------------------------------------------------------------------------------


class Loader(Protocol):
    def write(self, name: str, columns: Sequence[str], rows: Sequence[Row]) -> None: ...

    def commit(self) -> None: ...


class SqliteLoader:
    """executemany in large transactions on the application's own SQLite connection."""

    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        self.cursor = self.raw.cursor()
        self.open = False

    def write(self, name: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not self.open:
            self.cursor.execute("BEGIN")
            self.open = True
        marks = ", ".join("?" for _ in columns)
        self.cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                                rows)

    def commit(self) -> None:
        if self.open:
            self.cursor.execute("COMMIT")
            self.open = False

    def close(self) -> None:
        self.cursor.close()
        self.raw.close()


class PostgresLoader:
    """COPY … FROM STDIN through psycopg 3, on a connection of the application's engine."""

    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        self.connection: Any = self.raw.driver_connection

    def write(self, name: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        with self.connection.cursor() as cursor, cursor.copy(
                f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.raw.close()


@dataclass
class Seeded:
    """How long the load took and what it left."""

    load_seconds: float
    after_seconds: float  # VACUUM ANALYZE on PostgreSQL, a WAL checkpoint on SQLite
    after_what: str
    counts: dict[str, int]
    size_mb: float


def seed(app: App, world: World, rows: int, now: datetime, tally: Tally, seed_value: int,
         path: Path | None) -> Seeded:
    """Bulk-load citizens, submissions and attachments; then settle the database."""
    engine = app.engine
    sqlite = engine.dialect.name == "sqlite"
    # naive UTC, as core.db.UTCDateTime stores it (SQLite: the text SQLAlchemy writes)
    stamp: Stamp = ((lambda d: d.replace(tzinfo=None).isoformat(" ", "microseconds")) if sqlite
                    else (lambda d: d.replace(tzinfo=None)))
    started = time.perf_counter()
    loader: SqliteLoader | PostgresLoader = SqliteLoader(engine) if sqlite else \
        PostgresLoader(engine)
    try:
        people = citizens(world, max(1, rows // 4), now - SPAN, now, stamp,
                          random.Random(seed_value + 1))
        tally.citizens = len(people)
        for first in range(0, len(people), CHUNK):
            loader.write("citizen", CITIZEN_COLUMNS, people[first:first + CHUNK])
        loader.commit()
        for chunk, files in submissions(world, rows, now, stamp, tally, seed_value):
            loader.write("submission", SUBMISSION_COLUMNS, chunk)
            loader.write("attachment", ATTACHMENT_COLUMNS, files)
            loader.commit()
            progress(f"{engine.dialect.name}: {tally.submissions:,} submissions loaded "
                     f"({time.perf_counter() - started:.0f} s)")
    finally:
        loader.close()
    loaded = time.perf_counter()
    if sqlite:
        outside_transaction(engine, ["PRAGMA wal_checkpoint(TRUNCATE)"])
        after_what = "WAL checkpoint"
    else:
        outside_transaction(engine, [
            *(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM "
              f"{name}))" for name in ("citizen", "submission", "attachment")),
            "VACUUM ANALYZE"])
        after_what = "VACUUM ANALYZE"
    settled = time.perf_counter()
    return Seeded(loaded - started, settled - loaded, after_what, counts(engine),
                  database_mb(engine, path))


def counts(engine: Engine) -> dict[str, int]:
    """Rows in the tables the inbox reads, counted by the database."""
    counted = (("submissions", "submission", ""),
               ("photos", "attachment", " WHERE kind = 'photo'"),
               ("voice notes", "attachment", " WHERE kind = 'voice'"),
               ("citizens", "citizen", ""), ("moderators", "moderator", ""),
               ("categories", "category", ""), ("arrondissements", "arrondissement", ""))
    with engine.connect() as connection:
        return {label: connection.execute(text(f"SELECT count(*) FROM {name}{where}"))
                .scalar_one() for label, name, where in counted}


def database_mb(engine: Engine, path: Path | None) -> float:
    if engine.dialect.name == "sqlite":
        return path.stat().st_size / 1e6 if path and path.exists() else 0.0
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())"))
        return float(size.scalar_one()) / 1e6


# --- the queries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One inbox call: what a moderator asked for."""

    wanted: InboxFilter
    descending: bool = True
    sort: str = "created"


@dataclass(frozen=True)
class Query:
    """A typical inbox query and the variants it cycles through."""

    name: str
    calls: tuple[Call, ...]


def typical_queries(app: App, world: World, tally: Tally, now: datetime) -> list[Query]:
    """What moderators do all day, mostly as a Cotonou moderator (newest first, 50 a page);
    the communes each may see come from communes_visible_to, as in the API."""
    cotonou = world.places[COTONOU]
    with app.uow_factory() as uow:
        seen = communes_visible_to(get_moderator(uow=uow, name="bench-cot-0"))
        everything = communes_visible_to(get_moderator(uow=uow, name="bench-admin"))
        toffo = communes_visible_to(get_moderator(uow=uow, name="bench-tof-0"))

    def cot(**given: Any) -> InboxFilter:
        return InboxFilter(communes=seen, **given)

    pairs = [(cotonou.categories[code], cotonou.arrondissements[(3 * i) % len(
        cotonou.arrondissements)]) for i, (code, _) in enumerate(CATEGORIES)]
    months = [now - timedelta(days=30 * back) for back in (3, 6, 12, 18, 24, 30)]
    references = tally.references or ["COT-SIG-24-0001"]
    return [
        Query("inbox Cotonou, newest first", (Call(cot()),)),
        Query("inbox Cotonou, recently updated", (Call(cot(), sort="updated"),)),
        Query("inbox all communes (admin)", (Call(InboxFilter(communes=everything)),)),
        Query("inbox Toffo (small commune)", (Call(InboxFilter(communes=toffo)),)),
        Query("status new + acknowledged",
              (Call(cot(statuses=(Status.NEW, Status.ACKNOWLEDGED))),)),
        Query("admin: status new", (Call(InboxFilter(communes=everything,
                                                     statuses=(Status.NEW,))),)),
        Query("kind", tuple(Call(cot(kinds=(k,))) for k in (Kind.COMPLAINT, Kind.IDEA,
                                                           Kind.SUGGESTION))),
        Query("open + unassigned, oldest first",
              (Call(cot(statuses=tuple(sorted(OPEN_STATUSES)), unassigned=True),
                    descending=False),)),
        Query("category + arrondissement",
              tuple(Call(cot(category_id=c, arrondissement_id=a)) for c, a in pairs)),
        Query("assignee", tuple(Call(cot(assignee_id=m)) for m in cotonou.moderators)),
        Query("unassigned", (Call(cot(unassigned=True)),)),
        Query("has photo", (Call(cot(has_photo=True)),)),
        Query("has voice", (Call(cot(has_voice=True)),)),
        Query("date range (30 days)",
              tuple(Call(cot(created_from=m, created_to=m + timedelta(days=30)))
                    for m in months)),
        Query("label", tuple(Call(cot(label=label)) for label in LABELS[:4])),
        Query("search 1 common word", tuple(Call(cot(text=w)) for w in COMMON_WORDS)),
        Query("search 2 words", tuple(Call(cot(text=w)) for w in TWO_WORDS)),
        Query("search rare word", tuple(Call(cot(text=w)) for w in RARE_WORDS)),
        Query("search typo (no match)", tuple(Call(cot(text=w)) for w in TYPOS)),
        Query("search a reference", tuple(Call(cot(text=r)) for r in references)),
    ]


@dataclass
class Measured:
    """The timings of one query on one backend."""

    name: str
    latencies: Latencies = field(default_factory=Latencies)
    rows: int = 0
    note: str = ""
    searched: dict[str, Latencies] = field(default_factory=dict)  # by searched text

    def rows_per_call(self) -> float:
        return self.rows / len(self.latencies.seconds) if self.latencies.seconds else 0.0

    def p95(self) -> float:
        return self.latencies.ms(95) if self.latencies.seconds else math.nan


def timed_page(app: App, call: Call, cursor: str | None = None) -> tuple[float, Page]:
    """One inbox page in its own unit of work, like one request; the seconds it took."""
    started = time.perf_counter()
    with app.uow_factory() as uow:
        page = inbox_module.inbox(uow=uow, wanted=call.wanted, sort=call.sort,
                                  descending=call.descending, limit=PAGE, cursor=cursor)
    return time.perf_counter() - started, page


def measure(app: App, query: Query, repeat: int, budget: float) -> Measured:
    """Warm up, then time up to `repeat` calls cycling through the variants."""
    result = Measured(query.name)
    calls = itertools.cycle(query.calls)
    warming = 0.0
    for _ in range(WARMUP):  # fewer when the query is slow: a tenth of the budget at most
        warming += timed_page(app, next(calls))[0]
        if warming > budget / 10:
            break
    spent = 0.0
    for done in range(1, repeat + 1):
        call = next(calls)
        seconds, page = timed_page(app, call)
        result.latencies.seconds.append(seconds)
        if call.wanted.text:
            result.searched.setdefault(call.wanted.text, Latencies()).seconds.append(seconds)
        result.rows += len(page.items)
        spent += seconds
        if done >= MIN_REPEAT and spent > budget and done < repeat:
            result.note = f"stopped after {budget:.0f} s"
            break
    return result


BASELINE = "baseline: one submission by id"


def measure_baseline(app: App, queries: Sequence[Query], repeat: int) -> Measured:
    """What the machine gives right now for the cheapest request: one unit of work reading one
    submission by primary key (ids from the search query's first page). The report divides
    every p95 by this one, which shared machines change less than the absolute figures."""
    _, page = timed_page(app, queries[0].calls[0])
    ids = itertools.cycle([s.id for s in page.items] or [1])
    result = Measured(BASELINE)

    def one() -> float:
        started = time.perf_counter()
        with app.uow_factory() as uow:
            found = uow.session.get(Submission, next(ids))
        result.rows += found is not None
        return time.perf_counter() - started

    for _ in range(WARMUP):
        one()
    result.rows = 0
    result.latencies.seconds = [one() for _ in range(max(repeat, 500))]  # cheap: many
    return result


def measure_pages(app: App, name: str, call: Call, cursor: str | None, pages: int,
                  budget: float) -> Measured:
    """Follow next_cursor for `pages` pages from `cursor`, timing every page."""
    result = Measured(name)
    spent = 0.0
    for done in range(1, pages + 1):
        seconds, page = timed_page(app, call, cursor)
        result.latencies.seconds.append(seconds)
        result.rows += len(page.items)
        spent += seconds
        cursor = page.next_cursor
        if cursor is None:
            result.note = f"last page after {done}"
            break
        if done >= MIN_REPEAT and spent > budget and done < pages:
            result.note = f"stopped after {budget:.0f} s"
            break
    return result


def cursor_after(app: App, wanted: InboxFilter, position: int) -> str | None:
    """The cursor the inbox gives after `position` rows of the Cotonou list (newest first),
    computed with one OFFSET query instead of walking a thousand pages."""
    with app.uow_factory() as uow:
        found = uow.session.exec(
            select(Submission.created_at, Submission.id)
            .where(col(Submission.commune_id).in_(sorted(wanted.communes or ())),
                   col(Submission.hidden).is_(False))
            .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
            .offset(position - 1).limit(1)).first()
    if found is None:
        return None
    created_at, submission_id = found
    # the same encoding as core.submissions.inbox._cursor
    raw = json.dumps([created_at.isoformat(), submission_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def measure_all(app: App, queries: Sequence[Query], repeat: int, budget: float,
                label: str) -> list[Measured]:
    """The baseline, every typical query, then deep pagination of the Cotonou inbox."""
    progress(f"{label}: {BASELINE}")
    results = [measure_baseline(app, queries, repeat)]
    for query in queries:
        progress(f"{label}: {query.name}")
        results.append(measure(app, query, repeat, budget))
    default = queries[0].calls[0]
    progress(f"{label}: deep pagination")
    results.append(measure_pages(app, f"deep: pages 1–{DEEP_PAGES}", default, None,
                                 DEEP_PAGES, budget))
    far = cursor_after(app, default.wanted, DEEP_START * PAGE)
    name = f"deep: pages {DEEP_START + 1}–{DEEP_START + DEEP_PAGES}"
    if far is None:
        results.append(Measured(name, note="not enough rows"))
    else:
        results.append(measure_pages(app, name, default, far, DEEP_PAGES, budget))
    status = next(q for q in queries if q.name == "status new + acknowledged").calls[0]
    results.append(measure_pages(app, f"deep: new + ack., pages 1–{DEEP_PAGES}", status, None,
                                 DEEP_PAGES, budget))
    return results


# --- query plans ------------------------------------------------------------------------------


class Capture:
    """Keeps the last SELECT on submission the engine ran, to explain it afterwards."""

    def __init__(self, engine: Engine) -> None:
        self.statement: str | None = None
        self.parameters: Any = None
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, _connection: Any, _cursor: Any, statement: str, parameters: Any,
             _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM submission" in statement:
            self.statement, self.parameters = statement, parameters


def plans(app: App, queries: Sequence[Query], capture: Capture) -> list[str]:
    """The plan of the first variant of every query, as each database explains it."""
    lines: list[str] = []
    sqlite = app.engine.dialect.name == "sqlite"
    for query in queries:
        timed_page(app, query.calls[0])
        if capture.statement is None:
            continue
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
        with app.engine.connect() as connection:
            found = connection.exec_driver_sql(prefix + capture.statement,
                                               capture.parameters).all()
        lines.append(f"  {query.name}:")
        lines += [f"      {r[3]}" if sqlite else f"      {r[0]}" for r in found]
    return lines


# --- experiments (never in the default run) ---------------------------------------------------




Wrapper = Callable[[Any], Any]  # the function of core.submissions.inbox -> its replacement


@dataclass(frozen=True)
class Step:
    """One experiment: DDL per backend and replacements of functions of
    core.submissions.inbox (each wraps what the previous steps left)."""

    name: str
    what: str
    ddl: Mapping[str, Sequence[str]]
    patches: Mapping[str, Mapping[str, Wrapper]] = field(default_factory=dict)
    default: bool = True  # in the steps run unless --steps names others


STEPS = (
    Step("analyze", "SQLite: ANALYZE (what PRAGMA optimize does when needed)",
         {"sqlite": ("ANALYZE",)}),
)


@contextmanager
def patched(wrappers: Sequence[tuple[str, Wrapper]]) -> Iterator[None]:
    """Replace functions of core.submissions.inbox for the duration (experiments only)."""
    saved = {name: getattr(inbox_module, name) for name, _ in wrappers}
    for name, wrap in wrappers:
        setattr(inbox_module, name, wrap(getattr(inbox_module, name)))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(inbox_module, name, value)


def outside_transaction(engine: Engine, statements: Sequence[str]) -> None:
    """Run each statement on its own: on SQLite through the DBAPI connection, which the engine
    would wrap in BEGIN IMMEDIATE; on PostgreSQL in autocommit (VACUUM needs it)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement in statements:
                cursor.execute(statement)
            cursor.close()
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def fingerprint(app: App, queries: Sequence[Query]) -> list[list[int | None]]:
    """The ids on the first two pages of every query variant, to check that an experiment
    returns what the application returns."""
    found = []
    for call in (c for q in queries for c in q.calls):
        _, first = timed_page(app, call)
        ids = [r.id for r in first.items]
        if first.next_cursor:
            ids += [r.id for r in timed_page(app, call, first.next_cursor)[1].items]
        found.append(ids)
    return found


@dataclass
class StepResult:
    step: Step
    ddl_seconds: float
    size_mb: float
    measured: list[Measured]
    differ: int  # query variants whose first two pages differ from the application's
    plans: list[str] = field(default_factory=list)


def created_index(statement: str) -> str | None:
    """The name of the index a CREATE INDEX statement makes."""
    found = re.match(r"CREATE INDEX (\w+)", statement)
    return found.group(1) if found else None


def indexes(engine: Engine) -> set[str]:
    """The indexes of the tables the inbox reads, as the database has them now."""
    found = inspect(engine)
    return {i["name"] for t in ("submission", "attachment") for i in found.get_indexes(t)
            if i["name"]}


def run_experiments(app: App, queries: Sequence[Query], args: argparse.Namespace,
                    path: Path | None, capture: Capture | None,
                    skipped: list[str]) -> list[StepResult]:
    """Apply each step on top of the previous ones and measure everything again; a step whose
    indexes the migrations already make is skipped (and said so)."""
    dialect = app.engine.dialect.name
    results = []
    active: list[tuple[str, Wrapper]] = []
    progress(f"{dialect}: the rows the application returns, to compare")
    expected = fingerprint(app, queries)
    for step in [s for name in args.steps for s in STEPS if s.name == name]:
        statements = step.ddl.get(dialect, ())
        changes = step.patches.get(dialect, {})
        present = indexes(app.engine)
        made = [name for name in map(created_index, statements) if name]
        if made and all(name in present for name in made):
            skipped.append(f"{dialect} +{step.name}: skipped, {', '.join(made)} already made "
                           "by the migrations")
            continue
        statements = [d for d in statements if created_index(d) not in present]
        if not statements and not changes:
            continue
        progress(f"{dialect}: EXPERIMENT {step.name}")
        started = time.perf_counter()
        outside_transaction(app.engine, statements)
        spent = time.perf_counter() - started
        active += changes.items()
        with patched(active):
            measured = measure_all(app, queries, args.repeat, args.budget,
                                   f"{dialect} +{step.name}")
            shown = plans(app, queries, capture) if capture else []
            differ = sum(a != b for a, b in zip(expected, fingerprint(app, queries), strict=True))
        results.append(StepResult(step, spent, database_mb(app.engine, path), measured, differ,
                                  shown))
    return results


# --- one backend ------------------------------------------------------------------------------


@dataclass
class Result:
    """What one backend measured."""

    backend: str
    version: str
    seeded: Seeded
    tally: Tally
    measured: list[Measured]
    load: tuple[float, float]  # 1-minute load average before and after the timed calls
    plans: list[str] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)


def run_backend(backend: str, url: str, media: Path, args: argparse.Namespace) -> Result:
    """Migrate a fresh database, load the rows, measure, then experiment if asked."""
    settings = Settings(database_url=url, media_dir=media, enabled_communes=",".join(
        PILOT_COMMUNES), console_commune="", _env_file=None)  # type: ignore[call-arg]
    app = bootstrap(settings)
    path = Path(url.removeprefix("sqlite:///")) if backend == "sqlite" else None
    try:
        progress(f"{backend}: migrating and loading the communes")
        prepare(app)
        world = read_world(app)
        add_moderators(app, world)
        now = datetime.now(UTC).replace(microsecond=0)
        tally = Tally()
        seeded = seed(app, world, args.rows, now, tally, args.seed, path)
        queries = typical_queries(app, world, tally, now)
        version = describe_server(app.engine)
        before = os.getloadavg()[0]
        measured = measure_all(app, queries, args.repeat, args.budget, backend)
        load = (before, os.getloadavg()[0])
        capture = Capture(app.engine) if args.explain else None
        shown = plans(app, queries, capture) if capture else []
        skipped: list[str] = []
        steps = (run_experiments(app, queries, args, path, capture, skipped)
                 if args.experiments else [])
        return Result(backend, version, seeded, tally, measured, load, shown, steps, skipped)
    finally:
        app.engine.dispose()


def describe_server(engine: Engine) -> str:
    version = server_version(engine)
    if engine.dialect.name == "sqlite":
        return version
    with engine.connect() as connection:
        settings = {name: connection.exec_driver_sql(f"SHOW {name}").scalar_one()
                    for name in ("shared_buffers", "work_mem")}
    return f"{version} ({', '.join(f'{k} {v}' for k, v in settings.items())})"


# --- report -----------------------------------------------------------------------------------


def row(cells: Sequence[str]) -> str:
    """One line of the table: the first two columns left-aligned, the others right-aligned."""
    widths = (10, 34, 5, 5, 8, 8, 8, 8, 7, 6)
    return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                     for i, (cell, w) in enumerate(zip(cells, widths, strict=True))).rstrip()


def verdict(measured: Measured) -> str:
    return "ok" if measured.p95() <= TARGET_MS else "OVER"


def measured_line(backend: str, m: Measured, baseline: Measured) -> str:
    if not m.latencies.seconds:
        return row((backend, m.name, "0", "", "", "", "", "", "", "")) + f"  ({m.note})"
    lat = m.latencies
    line = row((backend, m.name, str(len(lat.seconds)), f"{m.rows_per_call():.0f}",
                f"{lat.ms(50):.2f}", f"{lat.ms(95):.2f}", f"{lat.ms(99):.2f}",
                f"{max(lat.seconds) * 1000:.2f}", f"{m.p95() / baseline.p95():.1f}",
                verdict(m)))
    return line + (f"  ({m.note})" if m.note else "")


def data_lines(result: Result) -> list[str]:
    """What was loaded, how long it took, and how often the searches hit."""
    s, t = result.seeded, result.tally
    share = (lambda n: f"{100 * n / t.submissions:.2f}%") if t.submissions else str
    lines = [f"{result.backend}: {result.version}",
             f"  load {s.load_seconds:.1f} s ({t.submissions / s.load_seconds:,.0f} "
             f"submissions/s with their citizens and attachments), {s.after_what} "
             f"{s.after_seconds:.1f} s, database {s.size_mb:,.0f} MB",
             "  rows: " + ", ".join(f"{k} {v:,}" for k, v in s.counts.items()),
             f"  1-minute load average before / after the timed calls: {result.load[0]:.2f} / "
             f"{result.load[1]:.2f} on {os.cpu_count()} CPUs (other work on the machine "
             "shows here)"]
    if t.submissions:
        lines += [
            "  communes: " + ", ".join(f"{k} {share(v)}" for k, v in t.communes.items()),
            "  kinds: " + ", ".join(f"{k} {share(v)}" for k, v in t.kinds.items()),
            "  statuses: " + ", ".join(f"{k} {share(v)}" for k, v in sorted(t.statuses.items())),
            f"  photo {share(t.photos)}, voice {share(t.voices)}, assigned {share(t.assigned)}, "
            f"labelled {share(t.labelled)}, hidden {share(t.hidden)}",
            "  search hits (all communes): " + ", ".join(
                f"'{w}' {share(t.hits.get(w, 0))}" for w in
                (*COMMON_WORDS, *TWO_WORDS, *RARE_WORDS, *TYPOS)),
        ]
    return lines


def step_table(result: Result) -> list[str]:
    """p50/p95 in ms per query: the default schema, then after each cumulative step."""
    names = ["default"] + [f"+{s.step.name}" for s in result.steps]
    columns = [result.measured] + [s.measured for s in result.steps]
    width = 13
    lines = [f"EXPERIMENT {result.backend}: p50 / p95 ms after each cumulative step "
             "(* = p95 over target)",
             "  " + "query".ljust(34) + "".join(n.rjust(width) for n in names)]
    for index, first in enumerate(result.measured):
        cells = []
        for measured in columns:
            m = measured[index]
            if not m.latencies.seconds:
                cells.append("-".rjust(width))
                continue
            mark = "*" if m.p95() > TARGET_MS else " "
            cells.append(f"{m.latencies.ms(50):.1f}/{m.p95():.1f}{mark}".rjust(width))
        lines.append("  " + first.name.ljust(34) + "".join(cells))
    lines += ["  each searched text, p50 / p95 ms:"]
    for index, first in enumerate(result.measured):
        for searched in first.searched:
            cells = []
            for measured in columns:
                lat = measured[index].searched.get(searched)
                cells.append((f"{lat.ms(50):.1f}/{lat.ms(95):.1f}" if lat and lat.seconds
                              else "-").rjust(width))
            lines.append("    " + f"'{searched}'"[:32].ljust(32) + "".join(cells))
    lines += [f"  {note}" for note in result.skipped_steps]
    for s in result.steps:
        lines.append(f"  +{s.step.name}: {s.step.what}; DDL {s.ddl_seconds:.1f} s, "
                     f"database {s.size_mb:,.0f} MB; first two pages differ from the "
                     f"application's for {s.differ} query variants")
        lines += [f"      {statement};" for statement in s.step.ddl.get(result.backend, ())]
        for name in s.step.patches.get(result.backend, {}):
            lines.append(f"      (replaces core.submissions.inbox.{name} for this run)")
    return lines


def report(results: Sequence[Result], args: argparse.Namespace, skipped: str | None) -> str:
    """The whole printed report."""
    lines = [
        f"Palabre inbox benchmark: {args.rows:,} submissions per backend, inbox() through a "
        f"unit of work per call, {PAGE} per page, target p95 <= {TARGET_MS:.0f} ms",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"up to {args.repeat} timed calls per query after {WARMUP} warm-up calls "
        f"(at least {MIN_REPEAT}, stopping after {args.budget:.0f} s)",
        "",
    ]
    for result in results:
        lines += data_lines(result)
    lines += ["", row(("backend", "query", "n", "rows", "p50 ms", "p95 ms", "p99 ms", "max ms",
                       "÷ base", "p95")),
              row(("-" * 10, "-" * 34, "-" * 5, "-" * 5, "-" * 8, "-" * 8, "-" * 8, "-" * 8,
                   "-" * 7, "-" * 6))]
    for result in results:
        lines += [measured_line(result.backend, m, result.measured[0])
                  for m in result.measured] + [""]
    over = [f"{r.backend}: {m.name}" for r in results for m in r.measured
            if m.latencies.seconds and m.p95() > TARGET_MS]
    lines.append(f"p95 over {TARGET_MS:.0f} ms: " + ("; ".join(over) if over else "none"))
    lines.append("÷ base: p95 divided by the baseline's p95, measured in the same run (one "
                 "unit of work reading one submission by id); compare these across runs")
    lines.append("rows: mean rows per page returned; queries run as a Cotonou moderator "
                 "(communes {BJ-LI-COT}) unless named otherwise; deep pages follow next_cursor, "
                 f"pages {DEEP_START + 1}+ start from the cursor after page {DEEP_START}")
    for result in results:
        if result.plans:
            lines += ["", f"query plans, {result.backend}, schema of the migrations:",
                      *result.plans]
    for result in results:
        if result.steps or result.skipped_steps:
            lines += ["", *step_table(result)]
            for s in result.steps:
                if s.plans:
                    lines += [f"query plans, {result.backend} +{s.step.name} (EXPERIMENT):",
                              *s.plans]
    if skipped:
        lines += ["", skipped]
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: how many rows and calls, which backends, what else to do."""
    parser = argparse.ArgumentParser(prog="bench.inbox", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                        help=f"submissions to load per backend (default {DEFAULT_ROWS:,})")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT,
                        help=f"timed calls per query (default {DEFAULT_REPEAT})")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                        help="seconds of timed calls after which a slow query stops early, "
                             f"after at least {MIN_REPEAT} calls (default {DEFAULT_BUDGET:.0f})")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated data")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server to create the temporary database on "
                             "(default: TEST_DATABASE_URL or BENCH_DATABASE_URL)")
    parser.add_argument("--explain", action="store_true",
                        help="print each query's plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)")
    parser.add_argument("--experiments", action="store_true",
                        help="afterwards, add the indexes and query changes under study to the "
                             "throw-away databases and measure again (marked EXPERIMENT)")
    chosen = ",".join(s.name for s in STEPS if s.default)
    parser.add_argument("--steps", default=chosen,
                        help="with --experiments: which steps, in which order (default "
                             f"{chosen}; also: "
                             f"{','.join(s.name for s in STEPS if not s.default)})")
    args = parser.parse_args(argv)
    args.steps = [name.strip() for name in args.steps.split(",") if name.strip()]
    unknown = set(args.steps) - {s.name for s in STEPS}
    if unknown:
        parser.error(f"--steps: unknown {', '.join(sorted(unknown))}")
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    problem = postgres_problem(args.pg_url) if args.pg_url and not args.sqlite_only else None
    if problem:
        parser.error(f"--pg-url: {problem}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure SQLite, then PostgreSQL when a server is given, and print the report."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    results, skipped = on_each_backend(
        args.pg_url, args.sqlite_only,
        lambda name, url, media: run_backend(name, url, media, args))
    print(report(results, args, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Citizens to forget and citizens to keep: the data the retention job runs over.

Bulk Core inserts with explicit ids (bench.common.database.BulkRows): identities, a
conversation, messages naming their sender and the replies, raw provider posts, one or two
submissions (some followed, some with a voice note in the media store and its transcript).
85% spoke about 30 months ago and not since, 5% too but with a submission still open, 10% are
active. The seeder remembers what the job must forget and what it must leave, for the checks.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import SQLModel

from bench.common.database import BulkRows, outside_transaction
from bench.common.measures import Picker
from core.citizens.models import ChannelIdentity, Citizen
from core.communes.seed import PILOT_COMMUNES
from core.conversations.models import Conversation
from core.messages.models import Attachment, InboundRecord, OutboxRecord, ProviderPost
from core.retention import service as retention
from core.submissions.models import Follower, Submission
from core.transcripts.models import Transcription
from palabre.bootstrap import App

MONTHS, AGE_MONTHS = 24, 30  # the retention period; when the silent last spoke (± 45 days)
SEED = 2026
SHARED_FILES = 10  # recent voice notes whose file is also an old one's: it must stay
MODELS: tuple[type[SQLModel], ...] = (Citizen, ChannelIdentity, Conversation, ProviderPost,
                                      InboundRecord, OutboxRecord, Submission, Follower,
                                      Attachment, Transcription)  # foreign keys' order
SENT = Picker((("sent", 70), ("delivered", 15), ("read", 8), ("failed", 3), ("held", 2),
               ("pending", 2)))
CLOSED = Picker((("resolved", 55), ("closed", 35), ("rejected", 7), ("duplicate", 3)))
SAID = ("Bonjour", "1", "Le caniveau est bouché devant l'école", "Merci", "2", "Oui")

Identity = tuple[str, str, int]  # channel, address, id


class Seeder:
    """Rows waiting for a bulk insert; what was loaded and what the job must leave of it."""

    def __init__(self, app: App) -> None:
        self.app, self.rng, self.now = app, random.Random(SEED), app.uow_factory.clock.now()
        self.cutoff = retention.months_before(self.now, MONTHS)
        self.bulk = BulkRows(app.engine, MODELS)
        self.first_citizen = self.bulk.ids[Citizen]
        self.silent: set[int] = set()  # the citizens the job must forget
        self.identities: dict[int, int] = {}  # citizen → identities
        self.old_files: list[str] = []  # recordings the job must erase
        self.kept_files: set[str] = set()

    @property
    def rows(self) -> dict[str, int]:
        """Rows loaded so far, by table."""
        return self.bulk.loaded

    def between(self, first: datetime, last: datetime) -> datetime:
        """A moment between two, never within a day of the cutoff (the job's clock runs on)."""
        at = first + (last - first) * self.rng.random()
        return at + timedelta(days=2) if abs(at - self.cutoff) < timedelta(days=1) else at

    def citizen(self, index: int) -> None:
        """A citizen, 85% silent since about AGE_MONTHS, 5% too but with a submission still
        open, 10% active; their identities, conversation, messages and submissions."""
        rng, active, waiting = self.rng, index % 10 == 0, index % 20 == 1
        first = retention.months_before(self.now, AGE_MONTHS) + timedelta(rng.uniform(-45, 45))
        last = self.now - timedelta(rng.uniform(1, 60)) if active else first + timedelta(
            rng.uniform(0, 30))
        number = self.bulk.ids[Citizen]
        citizen = self.bulk.add(Citizen, language="fr", commune_id=PILOT_COMMUNES[number % 7],
                                display_name=f"Citoyen {number}", consent_at=first,
                                created_at=first, last_seen_at=last)
        self.bulk.add_row(Conversation, citizen_id=citizen, flow="menu", state="menu", data={},
                          offered=[], updated_at=last)
        identities = self.channels(citizen, number, first, last)
        if not active and not waiting:
            self.silent.add(citizen)
        posts = rng.randint(1, 2)
        for n in range(rng.randint(2, 5)):
            self.exchange(citizen, identities[n % len(identities)], self.between(first, last),
                          post=n < posts)
        for n in range(1 + (rng.random() < 0.3)):
            self.submission((citizen, identities[0][2]), self.between(first, last),
                            still_open=waiting and n == 0)

    def channels(self, citizen: int, number: int, first: datetime,
                 last: datetime) -> list[Identity]:
        """WhatsApp or Telegram, one citizen in ten both."""
        rng = self.rng
        channels = ("whatsapp", "telegram") if rng.random() < 0.65 else ("telegram", "whatsapp")
        identities = []
        for channel in channels[:1 + (rng.random() < 0.1)]:
            address = f"229{90_000_000 + number}" if channel == "whatsapp" else f"{number + 10**6}"
            identities.append((channel, address, self.bulk.add(
                ChannelIdentity, citizen_id=citizen, channel=channel, address=address,
                display_name=f"Citoyen {number}", created_at=first, last_inbound_at=last)))
        self.identities[citizen] = len(identities)
        return identities

    def exchange(self, citizen: int, identity: Identity, at: datetime, post: bool) -> None:
        """One message received (with its raw provider post, if `post`) and the reply to it."""
        (channel, address, identity_id), said = identity, self.rng.choice(SAID)
        external, name = f"{channel}-{self.bulk.ids[InboundRecord]}", f"Citoyen {citizen}"
        if post:
            self.bulk.add(ProviderPost, channel=channel, external_id=external, received_at=at,
                          payload={"from": address, "name": name, "text": said},
                          status="processed")
        inbound = self.bulk.add(
            InboundRecord, channel=channel, external_id=external, address=address,
            display_name=name, identity_id=identity_id, citizen_id=citizen, kind="text",
            text=said, extra={}, received_at=at, status="processed")
        self.bulk.add(OutboxRecord, citizen_id=citizen, identity_id=identity_id, channel=channel,
                      address=address, text="Merci, c'est noté.", choices=[], hints={},
                      in_reply_to=inbound, status=SENT(self.rng), next_attempt_at=at,
                      created_at=at)

    def submission(self, who: tuple[int, int], at: datetime, still_open: bool) -> None:
        """A submission, perhaps followed by another citizen (who, following something open,
        must not be forgotten), perhaps with a voice note."""
        rng = self.rng
        status = rng.choice(("new", "acknowledged")) if still_open else CLOSED(rng)
        updated = at if still_open else self.between(at, min(at + timedelta(60), self.now))
        number = self.bulk.ids[Submission]
        submission = self.bulk.add(
            Submission, reference=f"BEN-SIG-{number:07d}", kind="report", status=status,
            commune_id=PILOT_COMMUNES[number % 7], description=rng.choice(SAID),
            citizen_id=who[0], identity_id=who[1], channel="whatsapp", labels=[],
            created_at=at, updated_at=updated)
        if rng.random() < 0.1 and who[0] > self.first_citizen:
            follower = rng.randrange(self.first_citizen, who[0])
            self.bulk.add(Follower, submission_id=submission, citizen_id=follower,
                          created_at=updated)
            if still_open:
                self.silent.discard(follower)
        if rng.random() < 0.2:
            self.voice_note(who[0], submission, at, not still_open and updated < self.cutoff)

    def voice_note(self, citizen: int, submission: int, at: datetime, old: bool) -> None:
        """A recording in the media store, its attachment and its transcript (one in ten
        failed: an old recording goes only once transcribed)."""
        heard = self.rng.random() >= 0.1
        erased = old and heard
        if not erased and self.old_files and len(self.kept_files) < SHARED_FILES:
            path = self.old_files[-1]  # the same recording sent again
        else:
            path = self.app.uow_factory.media.put(b"OggS" + self.rng.randbytes(
                self.rng.randint(1500, 4000)), content_type="audio/ogg").path
        (self.old_files.append if erased else self.kept_files.add)(path)
        note = self.bulk.add(Attachment, submission_id=submission, kind="voice", path=path,
                             content_type="audio/ogg", size=3000, sha256=Path(path).stem,
                             created_at=at)
        self.bulk.add(Transcription, attachment_id=note, citizen_id=citizen, next_attempt_at=at,
                      status="done" if heard else "failed", created_at=at,
                      text="Le caniveau est bouché" if heard else None)


def seed(app: App, citizens: int) -> tuple[Seeder, float]:
    """Bulk-load the citizens and their files, then gather the statistics a live database
    would have; what was loaded and the seconds it took."""
    seeder, started = Seeder(app), time.perf_counter()
    for index in range(citizens):
        seeder.citizen(index)
        if (index + 1) % 2000 == 0:
            seeder.bulk.flush()
    seeder.bulk.flush()
    sqlite = app.engine.dialect.name == "sqlite"
    outside_transaction(app.engine, ["PRAGMA wal_checkpoint(TRUNCATE)", "ANALYZE"] if sqlite
                        else ["VACUUM ANALYZE"])
    return seeder, time.perf_counter() - started

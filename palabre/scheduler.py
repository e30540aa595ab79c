"""The scheduler: one APScheduler instance whose jobs are stored in Palabre's database.

Every job is a look at the database ("which announcements are due?"), so moving or
cancelling something is just a change of rows, and a restart loses nothing: the job store
(table apscheduler_jobs, made by the migrations) keeps the jobs and their next run times, and
the state they act on is in Palabre's own tables. `palabre serve` runs it (unless
PALABRE_SCHEDULER=false, for extra web processes); `palabre scheduler` runs it alone.

One scheduler leads at a time: on PostgreSQL the process that holds an advisory lock on a
connection of its own (`Leadership`); another one started waits, trying every few seconds, and
takes over when the leader stops or dies (the database frees a dead connection's lock); a
leader that loses its connection stops its jobs and tries again. SQLite is one process: its
scheduler leads at once. And every job is safe if run twice at once anyway (each item is
claimed first). A job that fails is logged and runs again at its next time; inside a job, one
failing item never stops the others (each item runs in its own savepoint: UnitOfWork.attempt).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text

from bots.whatsapp.config import CHANNEL as WHATSAPP
from bots.whatsapp.messenger import TEMPLATE_FALLBACK, WINDOW, WINDOW_MARGIN
from core.broadcasts import service as broadcasts
from core.broadcasts.service import LOCAL_TZ
from core.citizens.models import ChannelIdentity
from core.communes import service as communes
from core.conversations import service as conversations
from core.council import service as council
from core.db import LEAD_LOCK, SCHEDULER_TABLE, normalise_url
from core.digests import service as digests
from core.retention import service as retention
from core.submissions import followups
from core.submissions import scheduled as submissions_jobs
from dialogs.notifications import announcement_renderer
from palabre import sharing
from palabre.bootstrap import App

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A recurring job: its id in the store, what it does, and when (an APScheduler trigger:
    {"trigger": "interval", "seconds": 15} or {"trigger": "cron", "day_of_week": "mon"…})."""

    id: str
    run: Callable[[App], int]
    when: dict[str, Any]


def queue_due_broadcasts(app: App) -> int:
    """Announcements whose time has come go into the outbox."""
    render = announcement_renderer(app.catalogs)
    with app.uow_factory() as uow:
        queued = broadcasts.queue_due(uow=uow, render=render)
        uow.commit()
    if queued:
        app.wakeup.set()
    return queued


def send_council_reminders(app: App) -> int:
    """Reminders of council sessions, the day before and an hour before."""
    with app.uow_factory() as uow:
        sent = council.send_reminders(uow=uow)
        uow.commit()
    if sent:  # their announcements are due now
        queue_due_broadcasts(app)
    return sent


def escalate_untriaged(app: App) -> int:
    """Submissions nobody triaged within PALABRE_ESCALATION_HOURS go to the top."""
    with app.uow_factory() as uow:
        done = submissions_jobs.escalate_untriaged(
            uow=uow, after=timedelta(hours=app.settings.escalation_hours))
        uow.commit()
    return done


def ask_followups(app: App) -> int:
    """"Was it really fixed?" for submissions resolved PALABRE_FOLLOWUP_DAYS ago."""
    if app.settings.followup_days == 0:
        return 0
    with app.uow_factory() as uow:
        asked = followups.ask_due(uow=uow, after=timedelta(days=app.settings.followup_days),
                                  reachable=partial(reachable_now, app, uow.clock.now()))
        uow.commit()
    if asked:
        app.wakeup.set()  # the questions are in the citizens' conversations
    return asked


def free_text_reaches(identity: ChannelIdentity, at: datetime) -> bool:
    """Whether the mairie's own words reach this identity at `at`: on every channel but
    WhatsApp, and there within the 24 hours after the citizen's last message (otherwise
    only a registered template does)."""
    if identity.channel != WHATSAPP:
        return True
    last = identity.last_inbound_at
    return last is not None and at - last < WINDOW - WINDOW_MARGIN


def reachable_now(app: App, now: datetime, identity: ChannelIdentity) -> bool:
    """Whether a follow-up question would reach this identity now: on WhatsApp, within the
    24 hours after the citizen's last message, or as a template ("followup" or its fallback)."""
    if app.whatsapp is None or free_text_reaches(identity, now):
        return True
    templates = app.whatsapp.config.templates
    return "followup" in templates or TEMPLATE_FALLBACK.get("followup", "") in templates


def expire_conversations(app: App) -> int:
    """Drafts abandoned for PALABRE_CONVERSATION_EXPIRY_DAYS are forgotten."""
    with app.uow_factory() as uow:
        done = conversations.expire_stale(
            uow=uow, older_than=timedelta(days=app.settings.conversation_expiry_days))
        uow.commit()
    return done


def keep_personal_data_no_longer(app: App) -> int:
    """Past PALABRE_RETENTION_MONTHS, contacts and voice recordings go (audited); a run
    stops after RETENTION_BUDGET_S, the next goes on."""
    if app.settings.retention_months == 0:
        return 0
    report = retention.apply_retention(uow_factory=app.uow_factory,
                                       months=app.settings.retention_months,
                                       budget_s=RETENTION_BUDGET_S)
    return report.total


RETENTION_BUDGET_S = 20 * 60  # a night's run never holds the database for long


def make_digests(app: App) -> int:
    """Last week's digest for every enabled commune, kept for the group animators."""
    made = 0
    with app.uow_factory() as uow:
        week = digests.last_week(uow.clock.now())
        for commune in communes.enabled_communes(uow=uow):
            try:
                with uow.session.begin_nested():
                    sharing.make_digest(app, uow, commune.id)
                made += 1
            except Exception:  # one commune's failure never stops the others
                logger.exception("digest of %s for the week of %s failed", commune.id, week)
        uow.commit()
    return made


def digest_ways(app: App, commune_id: str) -> list[str]:
    """How citizens of the commune reach the bot: its Telegram bots and WhatsApp numbers."""
    return sharing.ways(app, commune_id)


JOBS = (Job("broadcasts.queue_due", queue_due_broadcasts, {"trigger": "interval", "seconds": 15}),
        Job("council.reminders", send_council_reminders, {"trigger": "interval", "seconds": 60}),
        Job("submissions.escalate", escalate_untriaged, {"trigger": "interval", "minutes": 15}),
        Job("conversations.expire", expire_conversations, {"trigger": "interval", "hours": 1}),
        Job("submissions.followups", ask_followups, {"trigger": "cron", "hour": "9-18",
                                                     "minute": 5}),
        Job("privacy.retention", keep_personal_data_no_longer,
            {"trigger": "cron", "hour": 3, "minute": 20}),
        Job("digests.weekly", make_digests,
            {"trigger": "cron", "day_of_week": "mon", "hour": 7, "minute": 30}))

_running: dict[str, App] = {}  # the application the stored jobs run against, in this process


def run_job(job_id: str) -> None:
    """What the job store calls (a module-level name survives pickling and restarts)."""
    app = _running.get("app")
    job = next((j for j in JOBS if j.id == job_id), None)
    if app is None or job is None:
        logger.warning("scheduled job %s has nothing to run in this process", job_id)
        return
    try:
        done = job.run(app)
    except Exception:  # the job's edge: logged, tried again at its next time
        logger.exception("scheduled job %s failed", job_id)
        return
    if done:
        logger.info("scheduled job %s: %s item(s)", job_id, done)


def make_scheduler(app: App) -> BackgroundScheduler:
    """The scheduler with its jobs in the database, each registered again at start (a job
    renamed or removed in a new version does not linger in the store)."""
    store = SQLAlchemyJobStore(url=normalise_url(app.settings.database_url),
                               tablename=SCHEDULER_TABLE)
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone=LOCAL_TZ,
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": 300})
    for job in JOBS:
        scheduler.add_job(run_job, args=[job.id], id=job.id, name=job.id,
                          replace_existing=True, **job.when)
    return scheduler


TRY_EVERY = 5.0  # seconds between a waiting scheduler's tries, and a leader's checks


class Leadership:
    """The scheduler of this process, running only while it leads the deployment's."""

    def __init__(self, app: App, *, try_every: float = TRY_EVERY) -> None:
        self.app = app
        self.try_every = try_every
        self.jobs: BackgroundScheduler | None = None
        self._hold: Any = None  # the connection holding the lock
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._lead, name="palabre-scheduler-lead",
                                       daemon=True)

    @property
    def leading(self) -> bool:
        return self.jobs is not None

    def start(self) -> Leadership:
        """Lead now if this process can, else wait in the background for its turn."""
        _running["app"] = self.app
        if self.app.engine.dialect.name != "postgresql":
            self._begin()  # one process: nobody to wait for
            return self
        self._step()
        self._watch.start()
        return self

    def stop(self) -> None:
        """Stop leading (the lock goes, another scheduler takes over) and stop waiting."""
        self._stopping.set()
        if self._watch.is_alive():
            self._watch.join(timeout=self.try_every + 5)
        self._resign(wait=True)
        _running.pop("app", None)

    def _lead(self) -> None:
        while not self._stopping.wait(self.try_every):
            try:
                self._step()
            except Exception:  # the watcher's edge: it keeps watching
                logger.exception("scheduler leadership check failed")

    def _step(self) -> None:
        if self.jobs is None:
            if self._acquire():
                self._begin()
        elif not self._still_holding():
            logger.warning("scheduler: lost the database connection that held the lead; "
                           "its jobs stop until it leads again")
            self._resign(wait=False)

    def _acquire(self) -> bool:
        """Whether this process now holds the lock (on a connection kept for it)."""
        connection = self.app.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            held = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                      {"key": LEAD_LOCK}).scalar()
        except Exception:
            connection.close()
            raise
        if not held:
            connection.close()
            return False
        self._hold = connection
        return True

    def _still_holding(self) -> bool:
        try:
            self._hold.execute(text("SELECT 1"))
            return True
        except Exception:  # the database went away: the lock went with the connection
            return False

    def _begin(self) -> None:
        self.jobs = make_scheduler(self.app)
        self.jobs.start()
        logger.info("scheduler leading: %s", ", ".join(job.id for job in self.jobs.get_jobs()))

    def _resign(self, *, wait: bool) -> None:
        if self.jobs is not None:
            self.jobs.shutdown(wait=wait)
            self.jobs = None
        if self._hold is not None:
            try:
                self._hold.close()  # the lock goes with the connection
            except Exception:  # already broken
                logger.debug("closing the scheduler's lock connection failed", exc_info=True)
            self._hold = None


def start(app: App) -> Leadership:
    """Run the scheduler in this process, against this application, when it leads."""
    return Leadership(app).start()


def stop(scheduler: Leadership) -> None:
    scheduler.stop()

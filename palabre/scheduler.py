"""The scheduler: one APScheduler instance whose jobs are stored in Palabre's database.

Every job is a look at the database ("which announcements are due?"), so moving or
cancelling something is just a change of rows, and a restart loses nothing: the job store
(table apscheduler_jobs, made by the migrations) keeps the jobs and their next run times, and
the state they act on is in Palabre's own tables. `palabre serve` runs it (unless
PALABRE_SCHEDULER=false, for extra web processes); `palabre scheduler` runs it alone. Run one
scheduler per deployment. A job that fails is logged and runs again at its next time; inside a
job, one failing item never stops the others (each domain's function sees to it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from core.broadcasts import service as broadcasts
from core.broadcasts.service import LOCAL_TZ
from core.council import service as council
from core.db import SCHEDULER_TABLE, normalise_url
from dialogs.notifications import announcement_renderer
from palabre.bootstrap import App

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A recurring job: its id in the store, what it does, every how many seconds."""

    id: str
    run: Callable[[App], int]
    seconds: int


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


JOBS = (Job("broadcasts.queue_due", queue_due_broadcasts, 15),
        Job("council.reminders", send_council_reminders, 60))

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
        scheduler.add_job(run_job, "interval", seconds=job.seconds, args=[job.id], id=job.id,
                          name=job.id, replace_existing=True)
    return scheduler


def start(app: App) -> BackgroundScheduler:
    """Run the scheduler in this process, against this application."""
    _running["app"] = app
    scheduler = make_scheduler(app)
    scheduler.start()
    return scheduler


def stop(scheduler: Any) -> None:
    scheduler.shutdown(wait=True)
    _running.pop("app", None)

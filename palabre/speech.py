"""Transcription workers: processes that load each speech model once and hear queued notes.

`palabre serve` starts `PALABRE_TRANSCRIPTION_WORKERS` of them beside the web server (0: none,
for extra web processes); `palabre worker` runs them on their own. Each process has its own
database connection and claims notes through core/transcripts (a lease per note), so several
processes, on one machine or more, share the queue.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.synchronize import Event as StopEvent
from pathlib import Path

import core.models  # noqa: F401  # every table, so that foreign keys resolve in a worker
from core.db import make_engine
from core.ports import SystemClock, Transcriber
from core.transcripts import service as transcripts
from core.uow import UnitOfWorkFactory
from palabre import logs
from palabre.settings import Settings

logger = logging.getLogger(__name__)

IDLE_SECONDS = 0.5  # how often an idle worker looks for a new note


def transcriber(settings: Settings) -> Transcriber:
    """The speech-to-text service these settings describe (models load on first use)."""
    from transcription.routes import parse_routes
    from transcription.service import SpeechToText

    return SpeechToText(parse_routes(settings.transcription_routes),
                        max_seconds=float(settings.transcription_max_seconds),
                        cache_dir=settings.transcription_model_dir,
                        cpu_threads=settings.transcription_threads)


def transcribes(settings: Settings) -> bool:
    """Whether voice notes are transcribed in this deployment (routes are configured)."""
    return bool(settings.transcription_routes.strip())


def work(settings: Settings, name: str, stop: StopEvent, log_file: Path | None = None) -> None:
    """One worker process: load the models, then hear queued notes until told to stop."""
    logs.setup(settings.log_level, file=log_file, form=settings.log_format)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    engine = make_engine(settings.database_url)
    from palabre.bootstrap import media_store  # (bootstrap imports this module)

    uow_factory = UnitOfWorkFactory(engine, clock=SystemClock(),
                                    media=media_store(settings, engine))
    speech = transcriber(settings)
    try:
        getattr(speech, "preload", lambda: None)()
    except Exception:  # a model missing or broken: each note will say so, and be kept
        logger.exception("transcription worker %s could not load its models", name)
    logger.info("transcription worker %s ready", name)
    try:
        while not stop.is_set():
            if not _round(uow_factory, speech, name, settings.transcription_min_confidence):
                stop.wait(IDLE_SECONDS)
    finally:
        engine.dispose()
        logger.info("transcription worker %s stopped", name)


def _round(uow_factory: UnitOfWorkFactory, speech: Transcriber, name: str,
           min_confidence: float) -> int:
    try:
        return transcripts.transcribe_waiting(uow_factory=uow_factory, transcriber=speech,
                                              worker=name, min_confidence=min_confidence)
    except Exception:  # the loop's edge (the database went away…): log, wait, go on
        logger.exception("transcription round failed")
        time.sleep(IDLE_SECONDS)
        return 0


class Workers:
    """Start and stop a number of transcription worker processes."""

    def __init__(self, settings: Settings, count: int, *, log_file: Path | None = None) -> None:
        self.settings = settings
        self.count = count
        self.log_file = log_file  # where the parent logs, when not the terminal
        self._context = multiprocessing.get_context("spawn")  # no inherited threads or sockets
        self._stop = self._context.Event()
        self.processes: list[multiprocessing.process.BaseProcess] = []

    def start(self) -> Workers:
        host = socket.gethostname()
        for number in range(self.count):
            name = f"{host}:{os.getpid()}:{number + 1}"
            process = self._context.Process(target=work,
                                            args=(self.settings, name, self._stop, self.log_file),
                                            name=f"palabre-transcription-{number + 1}",
                                            daemon=True)
            process.start()
            self.processes.append(process)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every worker to finish its note and stop; past the timeout, end it."""
        self._stop.set()
        for process in self.processes:
            process.join(timeout)
            if process.is_alive():
                process.terminate()  # its note's lease runs out and another worker takes it
                process.join(5)
        self.processes = []

"""The background loop of `palabre serve`: handle stored messages, deliver the outbox."""

from __future__ import annotations

import logging
import threading

from dialogs.pipeline import Pipeline

logger = logging.getLogger(__name__)


class Worker(threading.Thread):
    """Runs the pipeline's pending work every interval until stopped."""

    def __init__(self, pipeline: Pipeline, *, interval: float,
                 wakeup: threading.Event | None = None) -> None:
        super().__init__(name="palabre-worker", daemon=True)
        self.wakeup = wakeup or threading.Event()
        self.pipeline = pipeline
        # Console conversations deliver their own messages, each to its own terminal.
        self.channels = [c for c in pipeline.messengers if c != "console"]
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        busy = False
        while not self.stopped.is_set():
            if not busy:  # a round that sent something goes on at once: more may be due
                self.wakeup.wait(self.interval)  # a webhook's message, or the next round
            self.wakeup.clear()
            if self.stopped.is_set():
                return
            try:
                busy = self.pipeline.run_once(channels=self.channels)
            except Exception:  # the loop's edge: log and keep going
                logger.exception("worker round failed")
                busy = False

    def stop(self) -> None:
        self.stopped.set()
        self.wakeup.set()

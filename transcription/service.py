"""Speech to text behind core's Transcriber port: decode once, route by language, transcribe."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from core.ports import Transcript, TranscriptionError
from transcription.audio import Audio, decode
from transcription.backends import Backend, Heard, make_backend
from transcription.routes import Choice, Route, Routes

logger = logging.getLogger(__name__)

BackendFactory = Callable[[str, str], Backend]  # (backend name, model spec) → backend


class SpeechToText:
    """Transcribes voice notes with the backend routed for the citizen's language.

    `cache_dir` is the models folder (default ~/.cache/palabre/models) where the bundled
    base model is assembled, as cache_dir/whisper-base; `cpu_threads` 0 lets each engine
    choose; `local_files_only` stops faster-whisper from downloading a model it names."""

    def __init__(self, routes: Routes, *, max_seconds: float = 300.0,
                 cache_dir: Path | None = None, cpu_threads: int = 0,
                 local_files_only: bool = False,
                 make: BackendFactory | None = None) -> None:
        self.routes = routes
        self.max_seconds = max_seconds
        make = make or (lambda backend, model: make_backend(
            backend, model, cache_dir=cache_dir, cpu_threads=cpu_threads,
            local_files_only=local_files_only))
        self._backends = {route.key: make(*route.key) for route in routes.all()}

    def preload(self) -> None:
        """Load every routed model now (a worker does this at start), shared ones once."""
        for backend in self._backends.values():
            started = time.perf_counter()
            backend.load()
            logger.info("speech model %s:%s loaded in %.1f s", backend.name, backend.model,
                        time.perf_counter() - started)

    def transcribe(self, path: Path, *, language_hint: str | None) -> Transcript:
        """The note's transcript; TranscriptionError when it cannot be heard or has no route."""
        choice = self.routes.choose(language_hint)
        if choice is None:
            raise TranscriptionError(f"no speech model routed here hears {language_hint!r}: "
                                     "the note is kept as audio", reason="no_model")
        route = choice.route
        audio = decode(path, max_seconds=self.max_seconds)
        backend = self._backends[route.key]
        started = time.perf_counter()
        heard = backend.hear(audio, language=choice.language)
        self._log(route, audio, time.perf_counter() - started)
        return self._transcript(choice, backend, audio, heard)

    def _transcript(self, choice: Choice, backend: Backend, audio: Audio,
                    heard: Heard) -> Transcript:
        """The port's Transcript; a note in which the model heard no words is `silent`."""
        text = heard.text.strip()
        if not text:
            raise TranscriptionError("no speech was heard in the note", reason="silent",
                                     duration_s=audio.duration_s)
        route = choice.route
        language = (choice.language or heard.language if route.language == "*"
                    else route.language)
        return Transcript(text=text, language=language, confidence=heard.confidence,
                          duration_s=audio.duration_s, backend=backend.name,
                          model=backend.model)

    @staticmethod
    def _log(route: Route, audio: Audio, seconds: float) -> None:
        logger.info("transcribed %.1f s of audio with %s:%s for %s in %.1f s", audio.duration_s,
                    route.backend, route.model, route.language, seconds)

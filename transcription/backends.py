"""The speech-to-text engines: faster-whisper (CTranslate2) and openai-whisper (PyTorch); the
CTC engine (onnxruntime) is in transcription.ctc.

Each backend loads its model once, on first use or on `load()`, under a lock, and keeps it.
A failure inside the engine is a `failed` TranscriptionError that may be retried; a model that
is not installed is `no_model`. Neither engine conditions a window on the text of the one
before: on notes past 30 s that is what sends Whisper into repetition loops (measured with
bench.transcription: the 60 s clip took twice as long, for no better words).

Decoding is bounded (`Decoding`): a beam search, then at most one sampled retry when its text
loops or its score is poor (Whisper's own fallback tries six temperatures, each able to run to
448 tokens: a doubtful 0.5 s « oui » took 13.6 s), and never more tokens than a fast speaker
says in the note's length, so a loop stops early. A transcript that still loops or doubts is
kept apart by core (core.transcripts.doubt), not believed.

Confidence is one figure between 0 and 1 from Whisper's own per-segment scores: the exponential
of the segments' average token log-probability (weighted by segment duration, so it reads as
the geometric mean probability of a token), times the chance that the audio is speech at all
(1 minus the duration-weighted mean of the segments' no-speech probability).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.ports import TranscriptionError
from transcription.audio import Audio
from transcription.models import ModelNotInstalled, faster_whisper_model, openai_whisper_model


@dataclass(frozen=True)
class Heard:
    """What a backend heard: text, the language it heard or was told, a 0-1 confidence."""

    text: str
    language: str | None
    confidence: float | None


@dataclass(frozen=True)
class Decoding:
    """How hard an engine may try on one 30 s window: the temperatures tried in turn (the
    next only when the text loops or scores poorly), and a cap on the tokens it may write,
    from the note's length (None: the model's own limit, 448)."""

    temperatures: tuple[float, ...]
    tokens_per_second: float | None

    def max_new_tokens(self, seconds: float) -> int | None:
        """The most tokens one window of a note this long may need."""
        if self.tokens_per_second is None:
            return None
        return min(int(min(seconds, WINDOW_SECONDS) * self.tokens_per_second) + TOKENS_SLACK,
                   MOST_TOKENS)


WINDOW_SECONDS = 30  # Whisper hears 30 s at a time
TOKENS_SLACK = 32  # a short note's timestamps and punctuation
MOST_TOKENS = 440  # Whisper's 448 less the prompt's own tokens
# Fast French is about 7 tokens a second with Whisper's timestamps, Yoruba about twice that
# (its tone marks); 20 a second leaves room for both (a tighter cap cut the beam search short:
# 10 a second lost words and cost a second window on notes of a few seconds, measured with
# bench.transcription), and still stops a 0.5 s « non non non… » loop after 42 tokens, not 448
BOUNDED = Decoding((0.0, 0.4), tokens_per_second=20.0)
# Whisper's own fallback, unbounded: what the backends did before; kept for bench.transcription
WHISPER_FALLBACK = Decoding((0.0, 0.2, 0.4, 0.6, 0.8, 1.0), tokens_per_second=None)
NO_RETRY = Decoding((0.0,), tokens_per_second=20.0)


@dataclass(frozen=True)
class Scored:
    """One segment's timing and Whisper's scores for it."""

    start: float
    end: float
    avg_logprob: float
    no_speech_prob: float


class Backend(Protocol):
    """A speech-to-text engine with one model."""

    name: str
    model: str

    def load(self) -> None:
        """Load the model now (raises what the engine raises, or ModelNotInstalled)."""
        ...

    def hear(self, audio: Audio, *, language: str | None) -> Heard:
        """The audio's text in `language`, or in the language detected when None."""
        ...


def confidence(segments: Sequence[Scored]) -> float | None:
    """exp(duration-weighted mean avg_logprob) × (1 − weighted mean no_speech_prob), in 0-1."""
    if not segments:
        return None
    weights = [max(segment.end - segment.start, 0.01) for segment in segments]
    total = sum(weights)
    logprob = sum(w * s.avg_logprob for w, s in zip(weights, segments, strict=True)) / total
    no_speech = sum(w * s.no_speech_prob for w, s in zip(weights, segments, strict=True)) / total
    return min(1.0, max(0.0, math.exp(logprob) * (1.0 - no_speech)))


class LazyModel:
    """A model loaded once by `build`, the first time any thread asks for it."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._model: Any = None

    def get(self) -> Any:
        """The loaded model, loading it on the first call."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._build()
        return self._model

    def for_use(self, backend: str) -> Any:
        """The loaded model, or TranscriptionError: no_model if missing, failed otherwise."""
        try:
            return self.get()
        except ModelNotInstalled as error:
            raise TranscriptionError(str(error), reason="no_model") from error
        except Exception as error:  # the engine's own failure to load (memory, bad file)
            raise failed(backend, "loading the model", error) from error


def failed(backend: str, doing: str, error: BaseException) -> TranscriptionError:
    """A retryable failure of the engine itself."""
    return TranscriptionError(f"{backend} failed {doing}: {error!r}", reason="failed",
                              retryable=True)


class FasterWhisper:
    """faster-whisper on the CPU: int8 by default, voice activity filter on, beam search,
    bounded decoding."""

    name = "faster-whisper"

    def __init__(self, model: str, *, cache_dir: Path | None = None, cpu_threads: int = 0,
                 compute_type: str = "int8", beam_size: int = 5,
                 local_files_only: bool = False, decoding: Decoding = BOUNDED) -> None:
        self.model = model
        self.compute_type = compute_type
        self.decoding = decoding
        self._beam_size = beam_size
        self._lazy = LazyModel(lambda: self._build(cache_dir, cpu_threads, local_files_only))

    def _build(self, cache_dir: Path | None, cpu_threads: int, local_files_only: bool) -> Any:
        try:
            from faster_whisper import WhisperModel
        except ImportError as error:
            raise ModelNotInstalled("the faster-whisper backend needs its package: "
                                    "pip install faster-whisper") from error
        return WhisperModel(faster_whisper_model(self.model, cache_dir=cache_dir), device="cpu",
                            compute_type=self.compute_type, cpu_threads=cpu_threads,
                            local_files_only=local_files_only)

    def load(self) -> None:
        self._lazy.get()

    def engine(self) -> Any:
        """The loaded faster-whisper model (bench.transcription counts its decodes)."""
        return self._lazy.get()

    def hear(self, audio: Audio, *, language: str | None) -> Heard:
        whisper = self._lazy.for_use(self.name)
        try:
            segments, info = whisper.transcribe(
                audio.samples, language=language, beam_size=self._beam_size, vad_filter=True,
                condition_on_previous_text=False,
                temperature=list(self.decoding.temperatures),
                max_new_tokens=self.decoding.max_new_tokens(audio.duration_s))
            segments = list(segments)  # the decoding happens while iterating
        except Exception as error:  # CTranslate2 or onnxruntime failing, MemoryError
            raise failed(self.name, "transcribing", error) from error
        text = " ".join(segment.text.strip() for segment in segments).strip()
        scores = [Scored(s.start, s.end, s.avg_logprob, s.no_speech_prob) for s in segments]
        return Heard(text, info.language, confidence(scores))


class OpenAIWhisper:
    """openai-whisper on the CPU in float32: a model name or a .pt checkpoint (a fine-tune);
    bounded decoding."""

    name = "openai-whisper"

    def __init__(self, model: str, *, cpu_threads: int = 0, beam_size: int = 5,
                 download_root: Path | None = None, decoding: Decoding = BOUNDED) -> None:
        self.model = model
        self.decoding = decoding
        self._beam_size = beam_size
        self._lazy = LazyModel(lambda: self._build(cpu_threads, download_root))
        self._running = threading.Lock()  # decoding installs hooks on the shared model

    def _build(self, cpu_threads: int, download_root: Path | None) -> Any:
        try:
            import torch
            import whisper
        except ImportError as error:
            raise ModelNotInstalled("the openai-whisper backend needs its package: "
                                    "pip install 'palabre[openai-whisper]'") from error
        if cpu_threads:
            torch.set_num_threads(cpu_threads)
        root = str(download_root) if download_root else None
        return whisper.load_model(openai_whisper_model(self.model), device="cpu",
                                  download_root=root)

    def load(self) -> None:
        self._lazy.get()

    def hear(self, audio: Audio, *, language: str | None) -> Heard:
        whisper = self._lazy.for_use(self.name)
        bound = self.decoding.max_new_tokens(audio.duration_s)
        try:
            with self._running:
                result = whisper.transcribe(audio.samples, language=language, fp16=False,
                                            beam_size=self._beam_size, verbose=None,
                                            condition_on_previous_text=False,
                                            temperature=self.decoding.temperatures,
                                            **({"sample_len": bound} if bound else {}))
        except Exception as error:  # PyTorch failing, MemoryError
            raise failed(self.name, "transcribing", error) from error
        segments = result.get("segments", [])
        scores = [Scored(s["start"], s["end"], s["avg_logprob"], s["no_speech_prob"])
                  for s in segments]
        return Heard(str(result.get("text", "")).strip(), result.get("language"),
                     confidence(scores))


def make_backend(backend: str, model: str, *, cache_dir: Path | None = None,
                 cpu_threads: int = 0, local_files_only: bool = False,
                 decoding: Decoding = BOUNDED) -> Backend:
    """The backend a route names, not loaded yet."""
    if backend == FasterWhisper.name:
        return FasterWhisper(model, cache_dir=cache_dir, cpu_threads=cpu_threads,
                             local_files_only=local_files_only, decoding=decoding)
    if backend == OpenAIWhisper.name:
        return OpenAIWhisper(model, cpu_threads=cpu_threads, decoding=decoding)
    if backend == "ctc":
        from transcription.ctc import CtcOnnx  # here: transcription.ctc builds on this module

        return CtcOnnx(model, cpu_threads=cpu_threads)
    raise ValueError(f"unknown speech backend {backend!r}")

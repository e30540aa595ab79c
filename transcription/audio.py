"""Decoding a stored voice note into 16 kHz mono float samples, refusing what cannot be heard."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np
from av.audio.frame import AudioFrame
from av.container import InputContainer

from core.ports import TranscriptionError

SAMPLE_RATE = 16_000
SILENT_PEAK = 10 ** (-60 / 20)  # a note whose loudest sample stays under -60 dBFS holds nothing
SILENT_RMS = 10 ** (-70 / 20)  # ... or whose energy stays under -70 dBFS (a click in silence)
MAX_BAD_PACKETS = 50  # packets in a row that fail to decode before the rest is given up
DECLARED_SLACK = 1.25  # lengths estimated from the bit rate (ADTS, MP3) can be 15% off
IMAGE_FORMATS = {"image2", "gif", "apng", "webp_pipe"}  # and every "*_pipe" image demuxer


@dataclass(frozen=True)
class Audio:
    """A decoded voice note: float32 mono samples at 16 kHz and its length in seconds."""

    samples: np.ndarray
    duration_s: float


def decode(path: Path, *, max_seconds: float) -> Audio:
    """The note's audio track as 16 kHz mono, or TranscriptionError (empty, undecodable,
    too_long, silent)."""
    if path.stat().st_size == 0:
        raise TranscriptionError(f"{path.name} is an empty file", reason="empty")
    with _open(path) as container:
        stream = _audio_stream(container, path)
        declared = declared_seconds(container, stream)
        _refuse_declared_length(declared, max_seconds)
        samples = _read(container, stream, max_seconds, declared or 0.0)
    audio = Audio(samples, len(samples) / SAMPLE_RATE)
    _refuse_silence(audio)
    return audio


def _open(path: Path) -> InputContainer:
    """The file opened by ffmpeg's demuxers, or undecodable."""
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise TranscriptionError(f"{path.name} is not a media file ffmpeg can read: {error}",
                                 reason="undecodable") from error


def _audio_stream(container: InputContainer, path: Path) -> av.AudioStream:
    """The first audio track; a video without one is empty, anything else is not audio."""
    if container.streams.audio:
        return container.streams.audio[0]
    fmt = container.format.name
    is_video = bool(container.streams.video) and not (
        fmt in IMAGE_FORMATS or fmt.endswith("_pipe"))
    if is_video:
        raise TranscriptionError(f"{path.name} is a video without sound", reason="empty")
    raise TranscriptionError(f"{path.name} holds no audio ({fmt})", reason="undecodable")


def declared_seconds(container: InputContainer, stream: av.AudioStream) -> float | None:
    """The length the container or the audio track announces, if any."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _refuse_declared_length(seconds: float | None, max_seconds: float) -> None:
    """Refuse a note announced well over the limit before decoding any of it (a note announced
    near the limit is decoded and its samples counted, since announcements can be estimates)."""
    if seconds is not None and seconds > max_seconds * DECLARED_SLACK:
        raise TranscriptionError(f"the note lasts {seconds:.0f} s, over {max_seconds:.0f} s",
                                 reason="too_long", duration_s=seconds)


def _read(container: InputContainer, stream: av.AudioStream, max_seconds: float,
          declared: float) -> np.ndarray:
    """Decode and resample until the end, refusing the note once past the limit; a damaged tail
    is cut off, but a file of which nothing decodes is undecodable."""
    limit = math.floor(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    count = 0
    try:
        for chunk in _resampled(_frames(container, stream)):
            chunks.append(chunk)
            count += len(chunk)
            if count > limit:
                seconds = max(declared, count / SAMPLE_RATE)
                raise TranscriptionError(f"the note lasts over {max_seconds:.0f} s",
                                         reason="too_long", duration_s=seconds)
    except av.error.FFmpegError as error:
        if not count:
            raise TranscriptionError(f"nothing in the note decodes: {error}",
                                     reason="undecodable") from error
    if not count:
        raise TranscriptionError("the note holds no sound", reason="empty")
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _frames(container: InputContainer, stream: av.AudioStream) -> Iterator[AudioFrame]:
    """The track's decoded frames; a run of packets that will not decode ends it."""
    bad = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            bad += 1
            if bad > MAX_BAD_PACKETS:
                raise
            continue
        bad = 0
        yield from frames


def _resampled(frames: Iterator[AudioFrame]) -> Iterator[np.ndarray]:
    """Frames converted to 16 kHz mono float32 arrays, the resampler flushed at the end."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    for frame in frames:
        frame.pts = None  # a gap or a reset in timestamps must not stall the resampler
        for out in resampler.resample(frame):
            yield out.to_ndarray().reshape(-1)
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1)


def _refuse_silence(audio: Audio) -> None:
    """Refuse a note with nothing loud enough in it to be speech."""
    samples = audio.samples
    peak = float(np.max(np.abs(samples)))
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if peak < SILENT_PEAK or rms < SILENT_RMS:
        raise TranscriptionError(f"the note is silent (peak {peak:.1e}, rms {rms:.1e})",
                                 reason="silent", duration_s=audio.duration_s)

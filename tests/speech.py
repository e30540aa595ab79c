"""Voice notes made for tests: French speech from espeak-ng, tones, and the containers phones
send (OGG/Opus, AMR, M4A, MP3, 3GP, MP4 video), encoded with PyAV or else the ffmpeg CLI."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

VOICE = "fr+m3"  # the espeak-ng French voice Whisper base hears best
SPEED = 150  # words per minute


@dataclass(frozen=True)
class Format:
    """How phones and apps wrap a voice note: container, audio codec, its sample rate."""

    container: str
    codec: str
    rate: int
    suffix: str
    bit_rate: int | None = None
    video: bool = False


FORMATS = {
    "ogg-opus": Format("ogg", "libopus", 48_000, ".ogg", 24_000),  # WhatsApp, Telegram
    "amr": Format("amr", "libopencore_amrnb", 8_000, ".amr", 12_200),  # old Android recorders
    "m4a": Format("ipod", "aac", 44_100, ".m4a", 64_000),  # iPhone voice memos
    "aac": Format("adts", "aac", 22_050, ".aac", 48_000),
    "mp3": Format("mp3", "libmp3lame", 22_050, ".mp3", 48_000),
    "3gp": Format("3gp", "libopencore_amrnb", 8_000, ".3gp", 12_200),  # feature phones
    "wav": Format("wav", "pcm_s16le", 16_000, ".wav"),
    "mp4-video": Format("mp4", "aac", 44_100, ".mp4", 64_000, video=True),
    "webm-opus": Format("webm", "libopus", 48_000, ".webm", 24_000),  # browsers' recorders
}


def espeak_missing() -> str | None:
    """Why speech cannot be synthesised here, or None."""
    if shutil.which("espeak-ng"):
        return None
    return "espeak-ng is not installed (apt-get install espeak-ng)"


def speak(text: str, *, voice: str = VOICE, speed: int = SPEED) -> tuple[np.ndarray, int]:
    """French speech from espeak-ng: float32 mono samples and their sample rate."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate, frames = reader.getframerate(), reader.readframes(reader.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768, rate


def tone(seconds: float, *, rate: int = 16_000, hertz: float = 440.0,
         amplitude: float = 0.3) -> np.ndarray:
    """A plain sine wave."""
    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    return (amplitude * np.sin(2 * np.pi * hertz * t)).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """16-bit mono PCM WAV, with the standard library alone."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm.tobytes())
    return path


def encoder_missing(name: str) -> str | None:
    """Why a format cannot be made here (neither PyAV nor the ffmpeg CLI encodes it), or None."""
    if _pyav_can(FORMATS[name]) or shutil.which("ffmpeg"):
        return None
    return f"no encoder for {name}: PyAV lacks {FORMATS[name].codec} and ffmpeg is not installed"


def encode(samples: np.ndarray, rate: int, path: Path, name: str) -> Path:
    """The samples written in one of FORMATS, at `path` with the format's suffix."""
    fmt = FORMATS[name]
    target = path.with_suffix(fmt.suffix)
    if _pyav_can(fmt):
        _encode_pyav(samples, rate, target, fmt)
    else:
        _encode_ffmpeg(write_wav(path.with_suffix(".source.wav"), samples, rate), target, fmt)
    return target


def _pyav_can(fmt: Format) -> bool:
    import av

    try:
        av.codec.Codec(fmt.codec, "w")
        return fmt.container in av.formats_available
    except av.error.FFmpegError:
        return False


def _encode_pyav(samples: np.ndarray, rate: int, target: Path, fmt: Format) -> None:
    import av

    with av.open(str(target), "w", format=fmt.container) as out:
        video = _video_stream(out) if fmt.video else None
        stream: Any = out.add_stream(fmt.codec, rate=fmt.rate, layout="mono")
        if fmt.bit_rate:
            stream.bit_rate = fmt.bit_rate
        resampler = av.AudioResampler(format=stream.format, layout="mono", rate=fmt.rate)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            piece.pts = None
            out.mux(stream.encode(piece))
        out.mux(stream.encode(None))
        if video is not None:
            _write_video(out, video, seconds=len(samples) / rate)


def _video_stream(out: Any) -> Any:
    stream = out.add_stream("mpeg4", rate=5)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    return stream


def _write_video(out: Any, stream: Any, *, seconds: float) -> None:
    import av

    for index in range(max(1, int(seconds * 5))):
        picture = np.full((48, 64, 3), (index * 9) % 255, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = index, Fraction(1, 5)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _encode_ffmpeg(source: Path, target: Path, fmt: Format) -> None:
    video = ["-f", "lavfi", "-i", "color=c=blue:s=64x48:r=5"] if fmt.video else []
    command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *video,
               "-c:a", fmt.codec, "-ar", str(fmt.rate), "-ac", "1"]
    if fmt.bit_rate:
        command += ["-b:a", str(fmt.bit_rate)]
    if fmt.video:
        command += ["-c:v", "mpeg4", "-shortest"]
    subprocess.run([*command, "-f", fmt.container, str(target)], check=True)


class _Unseekable(io.RawIOBase):
    """A file that cannot seek back, as a browser or a pipe writes: no length gets written."""

    def __init__(self, raw: io.BufferedWriter) -> None:
        self._raw = raw

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._raw.write(data)


def long_note(path: Path, seconds: int, *, container: str = "ogg",
              announce_length: bool = True) -> Path:
    """A long Opus note made in a moment: one second of tone encoded once, its packets muxed
    again and again. Without `announce_length` the file is written as a stream (no duration)."""
    import av

    with path.open("wb") as raw:
        target = raw if announce_length else _Unseekable(raw)
        with av.open(target, "w", format=container) as out:
            stream = out.add_stream("libopus", rate=48_000, layout="mono")
            second = _opus_second(stream)
            for index in range(seconds * len(second)):
                packet = av.Packet(second[index % len(second)])
                packet.pts = packet.dts = index * 960
                packet.duration, packet.time_base = 960, Fraction(1, 48_000)
                packet.stream = stream
                out.mux(packet)
    return path


def _opus_second(stream: Any) -> list[bytes]:
    """Fifty 20 ms Opus packets of a 440 Hz tone."""
    import av

    frame = av.AudioFrame.from_ndarray(tone(1.0, rate=48_000).reshape(1, -1), format="flt",
                                       layout="mono")
    frame.sample_rate = 48_000
    resampler = av.AudioResampler(format=stream.format, layout="mono", rate=48_000)
    packets = [packet for piece in resampler.resample(frame)
               for packet in stream.encode(piece)]
    packets += stream.encode(None)
    return [bytes(packet) for packet in packets if packet.size][:50]


def picture(path: Path, *, container: str = "image2", seconds: float = 0.0) -> Path:
    """A JPEG photo (image2), or with `seconds` a silent MP4 video with no sound track."""
    import av

    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("mjpeg" if container == "image2" else "mpeg4", rate=5)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuvj420p" if container == "image2" else "yuv420p"
        _write_video(out, stream, seconds=seconds)
    return path


def words(text: str) -> list[str]:
    """A text's words for comparison: lowercase, accents folded, punctuation and apostrophes
    turned into spaces ("J'habite à Cotonou." → j habite a cotonou)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", bare).split()

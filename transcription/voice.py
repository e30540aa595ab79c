"""Any recording a mairie uploads (M4A from a phone, MP3, WAV, AMR, OGG…) made into a voice
note as Telegram and WhatsApp play them: OGG/Opus, mono, 24 kb/s."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from transcription.audio import SAMPLE_RATE, decode

OPUS_RATE = 48_000  # Opus encodes at 48 kHz whatever it is given
BIT_RATE = 24_000  # as WhatsApp's own voice notes: clear speech, 3 KB a second
MAX_SECONDS = 120.0  # a prompt is a sentence or two


@dataclass(frozen=True)
class VoiceNote:
    """An OGG/Opus voice note and its length."""

    data: bytes
    seconds: float


def voice_note(data: bytes, *, max_seconds: float = MAX_SECONDS) -> VoiceNote:
    """An uploaded recording's bytes as an OGG/Opus voice note; TranscriptionError (empty,
    undecodable, too_long, silent) when it holds nothing to hear."""
    with tempfile.TemporaryDirectory(prefix="palabre-voice-") as folder:
        source = Path(folder) / "recording"
        source.write_bytes(data)  # ffmpeg's demuxers read a file, whatever its container
        audio = decode(source, max_seconds=max_seconds)
    return VoiceNote(encode_opus(audio.samples), audio.duration_s)


def encode_opus(samples: np.ndarray) -> bytes:
    """16 kHz mono float samples as an OGG/Opus file's bytes."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = BIT_RATE
        resampler = av.AudioResampler(format=stream.format, layout="mono", rate=OPUS_RATE)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, dtype=np.float32)
                                           .reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            piece.pts = None
            out.mux(stream.encode(piece))
        out.mux(stream.encode(None))
    return buffer.getvalue()

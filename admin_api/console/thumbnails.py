"""Small JPEG copies of citizens' photos, so that a submission's page stays light on a
prepaid connection (the full photo is one tap away); and a phone camera's photo brought
within what WhatsApp takes before it goes out to the council's followers."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import av

logger = logging.getLogger(__name__)

WIDTH = 320  # pixels: a phone's width of a page, half a laptop's column


def thumbnail(path: Path) -> bytes | None:
    """The photo at most WIDTH wide as JPEG bytes, kept beside it once made (named after it,
    so that the media store erases it with the photo); None when it cannot be read as a
    picture (the full file is served instead)."""
    kept = path.with_name(path.name + f".w{WIDTH}.jpg")
    if kept.exists():
        return kept.read_bytes()
    try:
        small = _shrink(str(path), WIDTH)
    except (av.FFmpegError, StopIteration, ValueError) as exc:
        logger.info("no thumbnail for %s: %s", path.name, exc)
        return None
    kept.write_bytes(small)
    return small


def fitted(data: bytes, width: int = 1600) -> bytes:
    """A photo as a JPEG at most `width` wide (a phone's 4,000-pixel, 6 MB picture becomes
    about 300 KB); the bytes as they are when already a JPEG or PNG that small. ValueError
    when it is no picture."""
    if len(data) < 1_000_000 and data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return data
    try:
        return _shrink(io.BytesIO(data), width)
    except (av.FFmpegError, StopIteration) as exc:
        raise ValueError(f"not a picture: {exc}") from exc


def _shrink(source_file: str | io.BytesIO, most: int) -> bytes:
    with av.open(source_file) as source:
        frame = next(source.decode(video=0))
    width = min(most, frame.width)
    height = max(2, round(frame.height * width / frame.width) // 2 * 2)
    picture = frame.reformat(width=width // 2 * 2, height=height, format="yuvj420p")
    out = io.BytesIO()
    with av.open(out, "w", format="image2pipe") as sink:
        stream = sink.add_stream("mjpeg")
        stream.width, stream.height, stream.pix_fmt = picture.width, picture.height, "yuvj420p"
        for packet in [*stream.encode(picture), *stream.encode(None)]:
            sink.mux(packet)
    return out.getvalue()

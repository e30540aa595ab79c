"""When a machine's transcript is not to be believed: a decoder caught in a loop (« non non
non non… », one sentence again and again), or a confidence under the gate. Such a text is
kept for the mairie, marked doubtful, and neither searched as if true nor read back to the
citizen."""

from __future__ import annotations

import zlib

LOOP_REPEATS = 4  # the same one to four words, this many times in a row
MOST_COMPRESSIBLE = 2.4  # Whisper's own threshold: text this repetitive is a loop
SHORTEST_FOR_RATIO = 60  # characters: a short text compresses badly whatever it says


def looping(text: str) -> bool:
    """Whether the text is a decoder's loop rather than what somebody said."""
    words = text.lower().split()
    for size in range(1, 5):
        for start in range(0, len(words) - size * LOOP_REPEATS + 1):
            piece = words[start:start + size]
            if all(words[start + n * size:start + (n + 1) * size] == piece
                   for n in range(1, LOOP_REPEATS)):
                return True
    encoded = text.encode("utf-8")
    return len(encoded) >= SHORTEST_FOR_RATIO and \
        len(encoded) / len(zlib.compress(encoded)) > MOST_COMPRESSIBLE


def doubtful(text: str, confidence: float | None, min_confidence: float) -> bool:
    return looping(text) or (confidence is not None and confidence < min_confidence)

"""Speech to text for voice notes, behind core's Transcriber port (the voice-note issue).

Build one `SpeechToText(parse_routes(setting), ...)` in the composition root and hand it to
whatever needs a `core.ports.Transcriber`; workers call its `preload()` at start.
"""

from transcription.models import ModelNotInstalled
from transcription.routes import Route, Routes, parse_routes
from transcription.service import SpeechToText

__all__ = ["ModelNotInstalled", "Route", "Routes", "SpeechToText", "parse_routes"]

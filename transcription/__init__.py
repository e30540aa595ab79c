"""Speech to text for voice notes, behind core's Transcriber port (the voice-note issue)."""

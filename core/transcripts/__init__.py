"""Voice-note transcripts: the work queue the transcription workers take from, and results."""

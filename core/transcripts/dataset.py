"""The moderators' transcripts, with their recordings, as a speech dataset: a commune's own
voice notes to train the next model of its language (`palabre transcripts export`).

Only a moderator's transcript is exported (a machine's text is not the truth to learn from),
and only the notes of citizens who agreed that their voice notes may train speech models
(Citizen.voice_data_consent_at), are still known (not erased, not forgotten by retention) and
did not file anonymously, and whose words hold no telephone number (a run of six digits or
more: the note is left out, not masked, since its audio says the number too). Nothing else
about them leaves: no name, number, reference, commune or date is added (a name the citizen
said is in their words: moderators are asked to leave such notes uncorrected); each file is
named by a hash of its transcription's id with a salt drawn for the
export, so neither a file nor its order leads back to a note, nor links two exports.

The directory (written whole, or not at all):
    audio/<name>.wav   16 kHz mono 16-bit PCM
    metadata.csv       file_name,transcription                     (Hugging Face audiofolder)
    manifest.jsonl     {"audio_filepath", "text", "duration", "lang"}  (NVIDIA NeMo)
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import secrets
import shutil
import tempfile
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import col

from core import errors
from core.citizens.models import Citizen
from core.messages.models import Attachment
from core.ports import TranscriptionError
from core.submissions.models import Submission
from core.transcripts.models import Transcription
from core.uow import UnitOfWork

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# A recording → its sound as 16 kHz mono 16-bit little-endian samples (TranscriptionError
# when it cannot be decoded): the composition root gives one (transcription/audio.py).
Pcm16 = Callable[[Path], bytes]


@dataclass(frozen=True)
class TrainingNote:
    transcription_id: int
    path: Path  # the recording, in the media store
    text: str  # the moderator's transcript


@dataclass
class Chosen:
    """The notes to export, and how many others of the language were left out, by why:
    "consent" (not given, withdrawn, or its citizen erased or forgotten), "anonymous",
    "erased" (the recording is gone: retention)."""

    notes: list[TrainingNote]
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class Written:
    notes: int = 0
    seconds: float = 0.0
    unreadable: int = 0  # recordings that would not decode (damaged, silent, missing)


NUMBER = re.compile(r"\d(?:[\s.-]?\d){5,}")  # a telephone number, spaced or not: 97 12 34 56


def training_notes(*, uow: UnitOfWork, language: str, commune_id: str | None = None,
                   since: datetime | None = None) -> Chosen:
    """The corrected voice notes spoken in `language` (of one commune, corrected since a
    time) that may be exported, and a count of those that may not."""
    spoken = func.coalesce(col(Transcription.corrected_language), col(Transcription.language),
                           col(Transcription.language_hint))
    columns = (col(Transcription.id), col(Transcription.corrected_text), col(Attachment.path),
               col(Attachment.erased_at), col(Submission.anonymous), col(Citizen.id),
               col(Citizen.voice_data_consent_at), col(Citizen.forgotten_at))
    query = (select_columns(*columns)
             .join(Attachment, col(Attachment.id) == col(Transcription.attachment_id))
             .join(Submission, col(Submission.id) == col(Attachment.submission_id))
             .outerjoin(Citizen, col(Citizen.id) == col(Submission.citizen_id))
             .where(col(Transcription.corrected_text).is_not(None), spoken == language)
             .order_by(col(Transcription.id)))
    if commune_id is not None:
        query = query.where(col(Submission.commune_id) == commune_id)
    if since is not None:
        query = query.where(col(Transcription.corrected_at) >= since)
    chosen = Chosen(notes=[])
    for row_id, text, path, erased, anonymous, citizen, consent, forgotten in \
            uow.session.execute(query):
        why = ("consent" if citizen is None or consent is None or forgotten is not None
               else "anonymous" if anonymous else "erased" if erased or not path
               else "number" if NUMBER.search(text or "") else None)
        if why:
            chosen.skipped[why] += 1
        else:
            chosen.notes.append(TrainingNote(row_id, uow.media.absolute(path), text or ""))
    return chosen


def write_dataset(*, notes: list[TrainingNote], language: str, out: Path, pcm16: Pcm16,
                  salt: bytes | None = None) -> Written:
    """Write the notes' audio and transcripts into `out`, a directory that must be missing or
    empty (Conflict otherwise: an export is a whole dataset, never merged into another)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise errors.Conflict(f"{out} is not an empty directory: export into a new one")
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        written = _write(building, notes, language, pcm16, salt or secrets.token_bytes(16))
        if out.exists():
            out.rmdir()
        building.rename(out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return written


@dataclass(frozen=True)
class _Entry:
    file_name: str
    text: str
    seconds: float


def _write(folder: Path, notes: list[TrainingNote], language: str, pcm16: Pcm16,
           salt: bytes) -> Written:
    (folder / "audio").mkdir()
    written, entries = Written(), []
    for note in notes:
        try:
            sound = pcm16(note.path)
        except (TranscriptionError, OSError) as exc:
            logger.info("transcription %s left out of the dataset: %s", note.transcription_id,
                        exc)
            written.unreadable += 1
            continue
        name = f"audio/{opaque_name(salt, note.transcription_id)}.wav"
        _wav(folder / name, sound)
        entries.append(_Entry(name, " ".join(note.text.split()), len(sound) / 2 / SAMPLE_RATE))
    entries.sort(key=lambda e: e.file_name)  # an order that says nothing of the notes'
    _manifests(folder, entries, language)
    written.notes, written.seconds = len(entries), sum(e.seconds for e in entries)
    return written


def opaque_name(salt: bytes, transcription_id: int) -> str:
    """A file name that leads back to its note only with the export's salt (never kept)."""
    return hashlib.sha256(salt + str(transcription_id).encode()).hexdigest()[:20]


def _wav(path: Path, sound: bytes) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(sound)


def _manifests(folder: Path, entries: list[_Entry], language: str) -> None:
    with (folder / "metadata.csv").open("w", encoding="utf-8", newline="") as sheet:
        table = csv.writer(sheet)
        table.writerow(["file_name", "transcription"])
        table.writerows([e.file_name, e.text] for e in entries)
    with (folder / "manifest.jsonl").open("w", encoding="utf-8") as lines:
        for e in entries:
            lines.write(json.dumps({"audio_filepath": e.file_name, "text": e.text,
                                    "duration": round(e.seconds, 3), "lang": language},
                                   ensure_ascii=False) + "\n")

"""Queue voice notes for transcription, let workers claim them, and keep what they heard.

Webhooks never wait for speech recognition: a flow asks for a transcript (a row here), a
worker process claims it for a lease, transcribes the stored audio through the `Transcriber`
port, and stores the result. The citizen's conversation then receives the result as a message
of kind "transcript", in order with whatever else they sent. A worker that dies mid-note leaves
its lease to expire; the note is claimed again, then marked failed, and the audio stays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, or_, update
from sqlmodel import col, select

from core.messages.models import Attachment, InboundRecord
from core.ports import Transcriber, Transcript, TranscriptionError
from core.submissions.models import Submission
from core.transcripts.doubt import doubtful
from core.transcripts.models import Transcription, TranscriptionStatus
from core.uow import TURNS, UnitOfWork

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=10)  # far longer than a 5-minute note takes on a small CPU
TRANSCRIPT_KIND = "transcript"  # the kind of the message that brings a result to the flow
UNCLEAR = "unclear"  # a transcript kept but not believed (core/transcripts/doubt.py)


@dataclass(frozen=True)
class Claimed:
    """A note a worker now holds: where its audio is and the language to listen for."""

    transcription_id: int
    path: Path
    language_hint: str | None


def request(*, uow: UnitOfWork, attachment_id: int, citizen_id: int | None,
            language_hint: str | None, notify: bool = True) -> Transcription:
    """Queue a voice note (once: asking again returns the row already there)."""
    existing = uow.session.exec(select(Transcription).where(
        Transcription.attachment_id == attachment_id)).first()
    if existing is not None:
        return existing
    now = uow.clock.now()
    row = Transcription(attachment_id=attachment_id, citizen_id=citizen_id,
                        language_hint=language_hint, notify=notify, next_attempt_at=now,
                        created_at=now)
    uow.session.add(row)
    uow.session.flush()
    return row


def claim_next(*, uow: UnitOfWork, worker: str, lease: timedelta = LEASE) -> Claimed | None:
    """Take the oldest note that waits (or whose worker's lease ran out); None when idle.

    The claim is a conditional UPDATE, so two workers never hold the same note; a note whose
    claims are used up is marked failed here (its last worker died on it)."""
    now = uow.clock.now()
    candidates = uow.session.exec(select(Transcription.id).where(or_(
        (col(Transcription.status) == TranscriptionStatus.PENDING)
        & (col(Transcription.next_attempt_at) <= now),
        (col(Transcription.status) == TranscriptionStatus.RUNNING)
        & (col(Transcription.claimed_until) < now)))
        .order_by(col(Transcription.id)).limit(5)).all()
    for candidate in (c for c in candidates if c is not None):
        row = uow.session.get_one(Transcription, candidate)
        if row.attempts >= MAX_ATTEMPTS:
            _fail(uow, row, "failed", f"abandoned after {row.attempts} attempts")
            continue
        taken = uow.session.execute(
            update(Transcription).where(
                col(Transcription.id) == candidate,
                col(Transcription.attempts) == row.attempts)
            .values(status=TranscriptionStatus.RUNNING, claimed_by=worker[:64],
                    claimed_until=now + lease, attempts=row.attempts + 1)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            attachment = uow.session.get_one(Attachment, row.attachment_id)
            return Claimed(candidate, uow.media.absolute(attachment.path), row.language_hint)
    return None


def record_result(*, uow: UnitOfWork, transcription_id: int, transcript: Transcript,
                  processing_ms: int, min_confidence: float = 0.0) -> Transcription:
    """Keep what was heard; the submission's search covers it; the flow is told. A doubtful
    text (a loop, or a confidence under `min_confidence`) is kept with the reason "unclear":
    moderators read it as doubtful, the search and the citizen's flow leave it out."""
    row = uow.session.get_one(Transcription, transcription_id)
    row.status = TranscriptionStatus.DONE
    row.text, row.language = transcript.text, transcript.language
    row.confidence, row.duration_s = transcript.confidence, transcript.duration_s
    row.backend, row.model = transcript.backend[:32], transcript.model[:200]
    row.processing_ms, row.finished_at = processing_ms, uow.clock.now()
    row.claimed_by = row.claimed_until = None
    row.last_error = None
    row.reason = UNCLEAR if doubtful(transcript.text or "", transcript.confidence,
                                     min_confidence) else None
    uow.session.add(row)
    refresh_submission(uow=uow, attachment_id=row.attachment_id)
    _tell_the_conversation(uow, row)
    return row


def record_failure(*, uow: UnitOfWork, transcription_id: int,
                   error: TranscriptionError) -> Transcription:
    """A retryable failure waits and is tried again; any other keeps the audio without text."""
    row = uow.session.get_one(Transcription, transcription_id)
    if error.duration_s is not None:
        row.duration_s = error.duration_s
    if error.retryable and row.attempts < MAX_ATTEMPTS:
        row.status = TranscriptionStatus.PENDING
        row.last_error = str(error)[:2000]
        row.claimed_by = row.claimed_until = None
        row.next_attempt_at = uow.clock.now() + timedelta(seconds=30 * 2 ** row.attempts)
        uow.session.add(row)
        return row
    _fail(uow, row, error.reason, str(error))
    return row


def _fail(uow: UnitOfWork, row: Transcription, reason: str, detail: str) -> None:
    row.status = TranscriptionStatus.FAILED
    row.reason, row.last_error = reason[:16], detail[:2000]
    row.claimed_by = row.claimed_until = None
    row.finished_at = uow.clock.now()
    uow.session.add(row)
    _tell_the_conversation(uow, row)


def _tell_the_conversation(uow: UnitOfWork, row: Transcription) -> None:
    """The result as a message from the citizen's side, handled in order with theirs."""
    if not row.notify or row.citizen_id is None:
        return
    attachment = uow.session.get_one(Attachment, row.attachment_id)
    origin = uow.session.get(InboundRecord, attachment.inbound_id) \
        if attachment.inbound_id else None
    if origin is None:  # the citizen erased their messages meanwhile
        return
    uow.session.add(InboundRecord(
        channel=origin.channel, account=origin.account,
        external_id=f"{TRANSCRIPT_KIND}:{row.id}:{row.attempts}", address=origin.address,
        identity_id=origin.identity_id, citizen_id=origin.citizen_id, kind=TRANSCRIPT_KIND,
        text=row.text, extra={"attachment_id": row.attachment_id, "status": row.status,
                              "confidence": row.confidence, "reason": row.reason},
        received_at=uow.clock.now()))
    uow.wake_workers(TURNS)


def refresh_submission(*, uow: UnitOfWork, attachment_id: int) -> None:
    """Put the transcripts of a submission's voice notes into what the inbox searches."""
    attachment = uow.session.get(Attachment, attachment_id)
    if attachment is None or attachment.submission_id is None:
        return
    submission = uow.session.get_one(Submission, attachment.submission_id)
    submission.voice_text = voice_text(uow=uow, submission_id=attachment.submission_id)
    uow.session.add(submission)


def voice_text(*, uow: UnitOfWork, submission_id: int) -> str:
    """The transcripts of a submission's voice notes, in the order they came: a moderator's
    where one was written, else the machine's unless it was doubted."""
    believed = (col(Transcription.status) == TranscriptionStatus.DONE) & or_(
        col(Transcription.reason).is_(None), col(Transcription.reason) != UNCLEAR)
    texts = uow.session.exec(
        select(func.coalesce(col(Transcription.corrected_text), col(Transcription.text)))
        .join(Attachment, col(Attachment.id) == col(Transcription.attachment_id))
        .where(Attachment.submission_id == submission_id,
               or_(col(Transcription.corrected_text).is_not(None), believed))
        .order_by(col(Attachment.id))).all()
    return " ".join(t for t in texts if t)


def believed(row: Transcription | None) -> str | None:
    """A note's words as they may be read for true: a moderator's transcript, else the
    machine's when it was done and not doubted; None otherwise."""
    if row is None:
        return None
    if row.corrected_text:
        return row.corrected_text
    done = row.status == TranscriptionStatus.DONE and row.reason != UNCLEAR
    return row.text if done else None


def of_attachments(*, uow: UnitOfWork, attachment_ids: list[int]) -> dict[int, Transcription]:
    """The transcriptions of these attachments, by attachment id."""
    if not attachment_ids:
        return {}
    rows = uow.session.exec(select(Transcription).where(
        col(Transcription.attachment_id).in_(attachment_ids))).all()
    return {row.attachment_id: row for row in rows}


def transcribe_waiting(*, uow_factory: Callable[[], UnitOfWork], transcriber: Transcriber,
                       worker: str, limit: int = 10, min_confidence: float = 0.0) -> int:
    """Claim and transcribe notes until none waits (or `limit`); how many were finished.

    The worker's edge: anything a backend raises is recorded against the note, never lost."""
    finished = 0
    for _ in range(limit):
        with uow_factory() as uow:
            claimed = claim_next(uow=uow, worker=worker)
            uow.commit()
        if claimed is None:
            break
        _transcribe_one(uow_factory, transcriber, claimed, min_confidence)
        finished += 1
    return finished


def _transcribe_one(uow_factory: Callable[[], UnitOfWork], transcriber: Transcriber,
                    claimed: Claimed, min_confidence: float) -> None:
    started = time.perf_counter()
    try:
        heard = transcriber.transcribe(claimed.path, language_hint=claimed.language_hint)
    except TranscriptionError as exc:
        logger.info("voice note %s not transcribed: %s (%s)", claimed.transcription_id,
                    exc.reason, exc)
        failure = exc
    except Exception as exc:  # a backend's crash: recorded and retried, the audio kept
        logger.exception("transcribing voice note %s failed", claimed.transcription_id)
        failure = TranscriptionError(repr(exc), reason="failed", retryable=True)
    else:
        with uow_factory() as uow:
            record_result(uow=uow, transcription_id=claimed.transcription_id,
                          transcript=heard, min_confidence=min_confidence,
                          processing_ms=int((time.perf_counter() - started) * 1000))
            uow.commit()
        return
    with uow_factory() as uow:
        record_failure(uow=uow, transcription_id=claimed.transcription_id, error=failure)
        uow.commit()

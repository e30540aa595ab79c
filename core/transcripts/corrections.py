"""A moderator's transcript of a voice note: the machine's text corrected, or a text written for
a note no machine could hear (failed, no model, doubted, or never given to one).

The moderator's words are kept beside the machine's, never over them: the machine's text is
what the model did, the moderator's is what was said, and the pair is what the next model
learns from (core/transcripts/dataset.py). Once written, the moderator's words are what the
console shows and the inbox searches, and a doubt about the machine's text no longer applies.
A second correction replaces the first; the audit trail keeps who corrected which note when,
without the words themselves (the trail outlives a citizen's erasure; their words must not).
"""

from __future__ import annotations

from sqlmodel import col, select

from core import errors, languages
from core.messages.models import Attachment
from core.moderation.models import Moderator, Role
from core.moderation.service import record
from core.submissions import triage
from core.submissions.models import Submission
from core.transcripts.models import Transcription, TranscriptionStatus
from core.transcripts.service import refresh_submission
from core.uow import UnitOfWork

MAX_TEXT = 4000
VOICE_KINDS = ("voice", "audio")
UNTRANSCRIBED = "untranscribed"  # the reason of a row made for a note no machine was given


def correct(*, uow: UnitOfWork, moderator: Moderator, reference: str, attachment_id: int,
            text: str, language: str | None = None) -> Transcription:
    """Keep the moderator's transcript of one voice note of a submission they may change (a
    note of another commune is NotFound; an analyst is Forbidden)."""
    if moderator.role not in (Role.ADMIN, Role.MODERATOR):
        raise errors.Forbidden("this account may not correct transcripts")
    found = triage.visible(uow=uow, moderator=moderator, reference=reference)
    note = _voice_note(uow, found, attachment_id)
    said, spoken = _checked(text, language)
    row = _row_of(uow, found, note)
    if (row.corrected_text, row.corrected_language) == (said, spoken):
        return row  # sent again unchanged: nothing to keep, nothing to audit
    before = {"attachment_id": note.id, "corrected": row.corrected_text is not None,
              "language": language_of(row)}
    row.corrected_text, row.corrected_language = said, spoken
    row.corrected_by, row.corrected_at = moderator.name, uow.clock.now()
    uow.session.add(row)
    assert note.id is not None
    refresh_submission(uow=uow, attachment_id=note.id)
    record(uow=uow, moderator=moderator, action="transcript", target_type="submission",
           target_id=found.reference, commune_id=found.commune_id, before=before,
           after={"attachment_id": note.id, "language": language_of(row),
                  "characters": len(said)})
    return row


def language_of(row: Transcription) -> str | None:
    """The language spoken in the note: the moderator's word, else the machine's, else the one
    the citizen said they speak."""
    return row.corrected_language or row.language or row.language_hint


def _voice_note(uow: UnitOfWork, found: Submission, attachment_id: int) -> Attachment:
    note = uow.session.get(Attachment, attachment_id) if 0 < attachment_id < 2**31 else None
    if note is None or note.submission_id != found.id or note.kind not in VOICE_KINDS:
        raise errors.NotFound(f"no voice note {attachment_id} in {found.reference}")
    return note


def _checked(text: str, language: str | None) -> tuple[str, str | None]:
    """The text on one line (a transcript is one utterance) and the language code, or
    Invalid."""
    said = " ".join(text.split())
    if not said:
        raise errors.Invalid("write what the note says", field="text", reason="empty")
    if len(said) > MAX_TEXT:
        raise errors.Invalid(f"at most {MAX_TEXT} characters", field="text", reason="long")
    spoken = (language or "").strip().lower() or None
    if spoken is not None and not languages.is_code(spoken):
        raise errors.Invalid("a language code such as fr, yo or fon", field="language",
                             reason="language")
    return said, spoken


def _row_of(uow: UnitOfWork, found: Submission, note: Attachment) -> Transcription:
    """The note's transcription row; one made for a note no machine was given (transcription
    off), marked so that no worker ever takes it."""
    row = uow.session.exec(select(Transcription).where(
        col(Transcription.attachment_id) == note.id)).first()
    if row is not None:
        return row
    assert note.id is not None
    now = uow.clock.now()
    return Transcription(attachment_id=note.id, citizen_id=found.citizen_id, notify=False,
                         status=TranscriptionStatus.FAILED, reason=UNTRANSCRIBED,
                         next_attempt_at=now, created_at=now, finished_at=now)

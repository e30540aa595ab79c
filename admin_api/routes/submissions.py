"""The inbox, one submission in detail, and what moderators do to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from sqlmodel import col, select

from admin_api import privacy, schemas
from admin_api.deps import InboxFilterDep, RowId, StaffDep, UowDep
from admin_api.errors import DocumentedRoute
from core.citizens import phones
from core.council.models import CouncilQuestion, CouncilSession
from core.messages.models import Attachment
from core.moderation.service import communes_visible_to, may_see
from core.submissions import triage
from core.submissions.inbox import MAX_PAGE, inbox
from core.submissions.models import Submission
from core.surveys.models import Survey, SurveyAnswer, SurveyResponse
from core.transcripts import corrections
from core.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["submissions"], route_class=DocumentedRoute)


@router.get("/submissions", response_model=schemas.SubmissionsPublic)
def list_submissions(
    uow: UowDep, moderator: StaffDep, wanted: InboxFilterDep,
    sort: Annotated[str, Query(pattern="^(created|updated)$")] = "created",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.SubmissionsPublic:
    """Filter, sort and page through submissions (`limit` is capped at 100)."""
    wanted = replace(wanted, communes=communes_visible_to(moderator))
    page = inbox(uow=uow, wanted=wanted, sort=sort, descending=order == "desc",
                 limit=min(limit, MAX_PAGE), cursor=cursor)
    return schemas.SubmissionsPublic(
        data=[privacy.submission_public(uow, row) for row in page.items],
        next_cursor=page.next_cursor)


@router.get("/submissions/{reference}", response_model=schemas.SubmissionDetailPublic)
def get_submission(reference: str, uow: UowDep,
                   moderator: StaffDep) -> schemas.SubmissionDetailPublic:
    """Everything about one submission: messages, files, place, history, supporters."""
    row = triage.visible(uow=uow, moderator=moderator, reference=reference)
    return privacy.submission_detail(uow, moderator, row)


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
def download_attachment(attachment_id: RowId, uow: UowDep, moderator: StaffDep) -> FileResponse:
    """The file a citizen sent (photo, voice note, document)."""
    attachment = uow.session.get(Attachment, attachment_id)
    commune = _commune_of(uow, attachment) if attachment is not None else None
    if attachment is None or commune is None or not may_see(moderator, commune):
        raise HTTPException(404, f"No attachment {attachment_id}.")
    if attachment.erased_at is not None:
        raise HTTPException(404, f"The recording of attachment {attachment_id} was erased on "
                                 f"{attachment.erased_at:%Y-%m-%d} (retention period); its "
                                 "transcript is kept.")
    path = uow.media.absolute(attachment.path)
    if not path.exists():
        raise HTTPException(404, f"The file of attachment {attachment_id} is missing.")
    return FileResponse(path, media_type=attachment.content_type.split(";")[0],
                        filename=attachment.original_name or path.name)


def _commune_of(uow: UnitOfWork, attachment: Attachment) -> str | None:
    """The commune whose moderators may hear or see a file: that of the submission it came
    with, or of the council sitting or survey it answered (voice questions and answers)."""
    if attachment.submission_id:
        return uow.session.get_one(Submission, attachment.submission_id).commune_id
    asked = uow.session.exec(select(CouncilSession.commune_id).join(
        CouncilQuestion, col(CouncilQuestion.session_id) == col(CouncilSession.id)).where(
        CouncilQuestion.attachment_id == attachment.id)).first()
    answered = asked or uow.session.exec(select(Survey.commune_id).join(
        SurveyResponse, col(SurveyResponse.survey_id) == col(Survey.id)).join(
        SurveyAnswer, col(SurveyAnswer.response_id) == col(SurveyResponse.id)).where(
        SurveyAnswer.attachment_id == attachment.id)).first()
    return answered


def _act(reference: str, uow: UnitOfWork, moderator: Any,
         action: Callable[..., Any], **arguments: Any) -> schemas.SubmissionDetailPublic:
    action(uow=uow, moderator=moderator, reference=reference, **arguments)
    uow.commit()
    row = triage.visible(uow=uow, moderator=moderator, reference=reference)
    return privacy.submission_detail(uow, moderator, row)


Detail = schemas.SubmissionDetailPublic


@router.post("/submissions/{reference}/status", response_model=Detail)
def change_status(reference: str, body: schemas.StatusChange, uow: UowDep,
                  moderator: StaffDep) -> Detail:
    """Move it along (new → acknowledged → in_progress → resolved | rejected | duplicate →
    closed; reopened). The public note reaches the citizen in their language."""
    return _act(reference, uow, moderator, triage.change_status, status=body.status,
                public_note=body.public_note, internal_note=body.internal_note)


@router.post("/submissions/{reference}/notes", response_model=Detail)
def add_note(reference: str, body: schemas.NoteIn, uow: UowDep, moderator: StaffDep) -> Detail:
    """An internal note, for moderators only."""
    return _act(reference, uow, moderator, triage.note, text=body.text)


@router.post("/submissions/{reference}/replies", response_model=Detail)
def reply(reference: str, body: schemas.ReplyIn, uow: UowDep, moderator: StaffDep) -> Detail:
    """Answer the citizen on the channel they used."""
    return _act(reference, uow, moderator, triage.reply, text=body.text)


@router.put("/submissions/{reference}/attachments/{attachment_id}/transcript",
            response_model=Detail)
def correct_transcript(reference: str, attachment_id: RowId, body: schemas.TranscriptIn,
                       uow: UowDep, moderator: StaffDep) -> Detail:
    """A moderator's transcript of one of its voice notes (corrected, or written for a note
    nobody could hear), kept beside the machine's: read and searched instead of it."""
    return _act(reference, uow, moderator, corrections.correct, attachment_id=attachment_id,
                text=body.text, language=body.language)


@router.put("/submissions/{reference}/assignee", response_model=Detail)
def assign(reference: str, body: schemas.AssignIn, uow: UowDep, moderator: StaffDep) -> Detail:
    """Give it an owner (`null` to unassign)."""
    return _act(reference, uow, moderator, triage.assign, assignee=body.assignee)


@router.put("/submissions/{reference}/priority", response_model=Detail)
def set_priority(reference: str, body: schemas.PriorityIn, uow: UowDep,
                 moderator: StaffDep) -> Detail:
    return _act(reference, uow, moderator, triage.set_priority, priority=body.priority)


@router.put("/submissions/{reference}/category", response_model=Detail)
def set_category(reference: str, body: schemas.CategoryIn, uow: UowDep,
                 moderator: StaffDep) -> Detail:
    return _act(reference, uow, moderator, triage.set_category, category_id=body.category_id)


@router.put("/submissions/{reference}/labels", response_model=Detail)
def set_labels(reference: str, body: schemas.LabelsIn, uow: UowDep,
               moderator: StaffDep) -> Detail:
    return _act(reference, uow, moderator, triage.set_labels, labels=body.labels)


@router.post("/submissions/{reference}/merge", response_model=Detail)
def merge(reference: str, body: schemas.MergeIn, uow: UowDep, moderator: StaffDep) -> Detail:
    """Mark it a duplicate of `into`; its author is told and follows the other one."""
    return _act(reference, uow, moderator, triage.merge, into=body.into)


@router.put("/submissions/{reference}/hidden", response_model=Detail)
def hide(reference: str, body: schemas.FlagIn, uow: UowDep, moderator: StaffDep) -> Detail:
    """Hide as abuse (`value: false` shows it again); it is kept either way."""
    return _act(reference, uow, moderator, triage.hide, hidden=body.value)


@router.post("/submissions/{reference}/claim", response_model=Detail)
def claim(reference: str, uow: UowDep, moderator: StaffDep) -> Detail:
    """Hold it for 5 minutes; another moderator's claim answers 409."""
    return _act(reference, uow, moderator, triage.claim)


@router.delete("/submissions/{reference}/claim", response_model=Detail)
def release(reference: str, uow: UowDep, moderator: StaffDep) -> Detail:
    return _act(reference, uow, moderator, triage.release)


@router.post("/submissions/{reference}/citizen/contact", response_model=schemas.ContactPublic)
def reveal_contact(reference: str, body: schemas.ContactRevealIn, uow: UowDep,
                   moderator: StaffDep) -> schemas.ContactPublic:
    """The author's full number and name, for an account allowed to see contacts; the reason
    goes to the audit log. Never for an anonymous submission (409)."""
    identity = triage.reveal_contact(uow=uow, moderator=moderator, reference=reference,
                                     reason=body.reason)
    uow.commit()
    return schemas.ContactPublic(channel=identity.channel,  # a number as it is dialled now
                                 address=phones.in_2024_plan(identity.address),
                                 display_name=identity.display_name)


@router.put("/submissions/{reference}/citizen/blocked", response_model=Detail)
def block(reference: str, body: schemas.FlagIn, uow: UowDep, moderator: StaffDep) -> Detail:
    """Block the author (`value: false` unblocks): their messages are kept, not answered."""
    return _act(reference, uow, moderator, triage.set_blocked, blocked=body.value)

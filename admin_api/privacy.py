"""Turning rows into *Public models, with personal data masked by what the account may see."""

from __future__ import annotations

from admin_api import schemas
from core.citizens.models import ChannelIdentity, Citizen
from core.citizens.phones import mask
from core.citizens.service import identities_of
from core.communes.centres import elsewhere
from core.geo import Point
from core.messages.models import Attachment, InboundRecord, OutboxRecord
from core.moderation.models import Moderator, Role
from core.submissions import service as submissions
from core.submissions import triage
from core.submissions.models import StatusChange, Submission
from core.transcripts import service as transcripts
from core.transcripts.models import Transcription
from core.uow import UnitOfWork


def submission_public(uow: UnitOfWork, row: Submission) -> schemas.SubmissionPublic:
    names = _moderator_names(uow, row.assignee_id, row.claimed_by_id)
    duplicate_of = uow.session.get(Submission, row.duplicate_of_id) if row.duplicate_of_id else None
    return schemas.SubmissionPublic(
        **row.model_dump(include=set(schemas.SubmissionPublic.model_fields) - {
            "assignee", "claimed_by", "duplicate_of"}),
        assignee=names.get(row.assignee_id), claimed_by=names.get(row.claimed_by_id),
        duplicate_of=duplicate_of.reference if duplicate_of else None)


def _moderator_names(uow: UnitOfWork, *ids: int | None) -> dict[int | None, str]:
    found: dict[int | None, str] = {}
    for moderator_id in {i for i in ids if i is not None}:
        moderator = uow.session.get(Moderator, moderator_id)
        if moderator is not None:
            found[moderator_id] = moderator.name
    return found


def citizen_public(uow: UnitOfWork, viewer: Moderator,
                   row: Submission) -> schemas.CitizenPublic | None:
    """Who filed it, masked (an account allowed to see contacts reveals the number with a
    reason), unless they asked to stay anonymous or the viewer may not know."""
    if row.anonymous or row.citizen_id is None or viewer.role == Role.ANALYST:
        return None
    citizen = uow.session.get(Citizen, row.citizen_id)
    identity = uow.session.get(ChannelIdentity, row.identity_id) if row.identity_id else None
    if citizen is None or identity is None:
        return None
    channels = sorted({i.channel for i in identities_of(uow=uow, citizen_id=citizen.id)})
    return schemas.CitizenPublic(channel=identity.channel, channels=channels,
                                 address=mask(identity.address),
                                 display_name=None, language=citizen.language,
                                 blocked=citizen.blocked, may_reveal=viewer.can_see_contacts)


def far_pin(row: Submission) -> schemas.FarPinPublic | None:
    """Whether the pin lies far outside the submission's commune (core/communes/centres.py)."""
    if row.latitude is None or row.longitude is None:
        return None
    found = elsewhere(row.commune_id, Point(row.latitude, row.longitude))
    return schemas.FarPinPublic(km=found.km, near=found.nearest) if found else None


def attachment_public(row: Attachment,
                      heard: Transcription | None = None) -> schemas.AttachmentPublic:
    assert row.id is not None
    transcript = schemas.TranscriptPublic(**heard.model_dump(
        include=set(schemas.TranscriptPublic.model_fields))) if heard else None
    url = None if row.erased_at else f"/api/v1/attachments/{row.id}"
    return schemas.AttachmentPublic(id=row.id, kind=row.kind, content_type=row.content_type,
                                    size=row.size, sha256=row.sha256, url=url,
                                    erased_at=row.erased_at, transcript=transcript)


def history_public(row: StatusChange) -> schemas.HistoryPublic:
    return schemas.HistoryPublic(at=row.at, from_status=row.from_status, to_status=row.to_status,
                                 actor=row.actor, public_note=row.public_note,
                                 internal_note=row.internal_note)


def message_public(row: InboundRecord | OutboxRecord) -> schemas.MessagePublic:
    if isinstance(row, InboundRecord):
        return schemas.MessagePublic(direction="in", at=row.received_at, kind=row.kind,
                                     text=row.text)
    return schemas.MessagePublic(direction="out", at=row.created_at, kind=row.purpose,
                                 text=row.text)


def submission_detail(uow: UnitOfWork, viewer: Moderator,
                      row: Submission) -> schemas.SubmissionDetailPublic:
    """Everything about one submission the viewer may know: its files with their
    transcripts, its history, its own conversation, its supporters and followers."""
    assert row.id is not None
    base = submission_public(uow, row)
    files = submissions.attachments_of(uow=uow, submission_id=row.id)
    heard = transcripts.of_attachments(uow=uow, attachment_ids=[a.id for a in files if a.id])
    return schemas.SubmissionDetailPublic(
        **base.model_dump(),
        citizen=citizen_public(uow, viewer, row),
        far_pin=far_pin(row),
        attachments=[attachment_public(a, heard.get(a.id or 0)) for a in files],
        history=[history_public(h) for h in submissions.history(uow=uow, submission_id=row.id)],
        messages=[message_public(m)
                  for m in submissions.conversation_of(uow=uow, submission=row)],
        supporters=submissions.support_count(uow=uow, submission_id=row.id),
        followers=submissions.follower_count(uow=uow, submission_id=row.id),
        duplicates=[d.reference for d in triage.duplicates_of(uow=uow, submission=row)])

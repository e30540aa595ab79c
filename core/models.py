"""Imports every table so that metadata and migrations see them all."""

from core.broadcasts.models import Broadcast, Subscription
from core.citizens.models import ChannelIdentity, Citizen
from core.communes.models import Arrondissement, Category, Commune, MunicipalService
from core.conversations.models import Conversation
from core.council.models import CouncilQuestion, CouncilSession, CouncilUpdate
from core.digests.models import Digest
from core.documents.models import Document
from core.media import MediaBlob
from core.messages.models import Attachment, InboundRecord, OutboxRecord
from core.moderation.models import Alert, ApiToken, AuditEntry, CannedReply, Moderator
from core.projects.models import Project, ProjectUpdate
from core.prompts.models import PromptRecording, PromptUpload
from core.submissions.models import Follower, ReferenceCounter, StatusChange, Submission, Support
from core.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from core.transcripts.models import Transcription

__all__ = [
    "Alert", "ApiToken", "Arrondissement", "Attachment", "AuditEntry", "Broadcast", "CannedReply",
    "Category", "ChannelIdentity", "Citizen", "Commune", "Conversation", "CouncilQuestion",
    "Digest", "Document",
    "CouncilSession", "CouncilUpdate", "Follower",
    "InboundRecord", "MediaBlob", "Moderator", "MunicipalService", "OutboxRecord", "Project",
    "ProjectUpdate",
    "PromptRecording", "PromptUpload", "ReferenceCounter",
    "StatusChange", "Submission", "Subscription", "Support", "Survey", "SurveyAnswer",
    "SurveyQuestion", "SurveyResponse", "Transcription",
]

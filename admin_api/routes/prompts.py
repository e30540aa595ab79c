"""The mairie's recorded prompts, served without login: they are the bot's own words, and
Twilio fetches WhatsApp audio by URL."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from admin_api.deps import RowId, UowDep
from core.prompts.models import PromptRecording
from core.prompts.service import VOICE_TYPE

public = APIRouter(tags=["prompts"])


@public.get("/prompts/{recording_id}/voice", include_in_schema=False)
def public_voice(recording_id: RowId, uow: UowDep) -> FileResponse:
    """A recorded prompt's voice note (OGG/Opus)."""
    row = uow.session.get(PromptRecording, recording_id)
    path = uow.media.absolute(row.media_path) if row is not None else None
    if path is None or not path.is_file():
        raise HTTPException(404, "No such recording.")
    return FileResponse(path, media_type=VOICE_TYPE,
                        headers={"X-Content-Type-Options": "nosniff"})

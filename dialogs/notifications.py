"""Telling citizens about their submissions: a status change reaches the author and followers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.citizens import service as citizens
from core.citizens.models import Citizen
from core.communes.models import label
from core.events import ModeratorReplied, SubmissionStatusChanged
from core.messages import service as messages
from core.submissions import service as submissions
from core.submissions.models import Submission
from core.uow import UnitOfWork
from dialogs.engine import say
from dialogs.i18n import DEFAULT_LANGUAGE, Catalogs


class StatusNotifier:
    """Event handler: queues a status message in each recipient's language and channel."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs

    def __call__(self, event: SubmissionStatusChanged, uow: UnitOfWork) -> None:
        submission = uow.session.get_one(Submission, event.submission_id)
        recipients = [submission.citizen_id, *submissions.followers_of(
            uow=uow, submission_id=event.submission_id)]
        seen: set[int] = {event.already_told} if event.already_told else set()
        for citizen_id in recipients:
            if citizen_id is None or citizen_id in seen:
                continue
            seen.add(citizen_id)
            preferred = submission.identity_id if citizen_id == submission.citizen_id else None
            self._notify(uow, submission, event, citizen_id, preferred)

    def _notify(self, uow: UnitOfWork, submission: Submission, event: SubmissionStatusChanged,
                citizen_id: int, preferred_identity: int | None) -> None:
        citizen = uow.session.get(Citizen, citizen_id)
        identity = citizens.reachable_identity(uow=uow, citizen_id=citizen_id,
                                               preferred=preferred_identity)
        if citizen is None or citizen.blocked or identity is None:
            return
        if event.merged_into:
            message = say("notify.merged", reference=submission.reference,
                          target=event.merged_into)
        else:
            noted = event.public_note and submissions.may_read_words(citizen_id=citizen_id,
                                                                     submission=submission)
            key = "notify.status_note" if noted else "notify.status"
            message = say(key, reference=submission.reference,
                          status=say(f"status.{event.new_status}"), note=event.public_note)
        text = self.catalogs.render(citizen.language or DEFAULT_LANGUAGE, message)
        author = citizen_id == submission.citizen_id  # a follower's notice is theirs alone
        messages.enqueue(uow=uow, to=messages.Recipient.of(identity), text=text,
                         purpose="status_update", thread=submission.thread if author else None)


class ReplyNotifier:
    """Event handler: a moderator's answer goes to the author, framed in their language."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs

    def __call__(self, event: ModeratorReplied, uow: UnitOfWork) -> None:
        submission = uow.session.get_one(Submission, event.submission_id)
        citizen = (uow.session.get(Citizen, submission.citizen_id)
                   if submission.citizen_id else None)
        if citizen is None or citizen.id is None:
            return
        identity = citizens.reachable_identity(uow=uow, citizen_id=citizen.id,
                                               preferred=submission.identity_id)
        if identity is None:
            return
        message = say("notify.reply", reference=submission.reference, text=event.text)
        text = self.catalogs.render(citizen.language or DEFAULT_LANGUAGE, message)
        messages.enqueue(uow=uow, to=messages.Recipient.of(identity), text=text,
                         purpose="reply_waiting", thread=submission.thread)


def announcement_renderer(catalogs: Catalogs, *, for_groups: bool = False,
                          ) -> Callable[[str | None, str, str, dict[str, Any]], str]:
    """How an announcement reads (core/broadcasts' Render): the mairie's words framed in the
    citizen's language with how to stop receiving them, or as posted in a commune's group;
    Palabre's own messages (council reminders…) by their key. Parameters named *_at are
    times, shown in Benin's time in the citizen's language; a parameter given per language
    ({"fr": …, "en": …}) is shown in theirs (French otherwise)."""

    def render(language: str | None, commune: str, key: str, params: dict[str, Any]) -> str:
        chosen = GROUP_KEYS.get(key, key) if for_groups else key
        spoken = language or DEFAULT_LANGUAGE
        values = {name: datetime.fromisoformat(value) if name.endswith("_at") and value
                  else label(value, spoken) if isinstance(value, dict)
                  else value for name, value in params.items()}
        return catalogs.render(language or DEFAULT_LANGUAGE,
                               say(chosen, commune=commune, **values))

    return render


GROUP_KEYS = {"broadcast.text": "broadcast.group"}  # no "reply STOP" in a group

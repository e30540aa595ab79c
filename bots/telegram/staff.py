"""Recording the bot's messages from a commune's staff chat on Telegram: a moderator sends a
voice note captioned « /vocal fon menu.title » in the moderators' group
(PALABRE_TELEGRAM_STAFF_CHATS); citizens of that commune who speak Fon then hear it before the
menu's text. The note is taken when the update is read, fetched and kept later outside any
transaction (`StaffRecorder`), and the group is told how it went, in French."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bots.telegram.config import CHANNEL, TelegramConfig
from bots.telegram.parse import GroupVoice
from core import languages
from core.communes import service as communes
from core.messages import service as messages
from core.ports import FetchError, MediaFetcher, TranscriptionError
from core.prompts import uploads
from core.prompts.models import PromptUpload
from core.uow import UnitOfWork
from dialogs.engine import Say, say
from dialogs.i18n import DEFAULT_LANGUAGE, Catalogs

logger = logging.getLogger(__name__)
MAX_BYTES = 10_000_000
VoiceMaker = Callable[[bytes], Any]  # a recording → an OGG/Opus note (.data, .seconds)


def take_recording(*, uow: UnitOfWork, config: TelegramConfig, catalogs: Catalogs,
                   account: str, voice: GroupVoice) -> None:
    """A voice note for the bot from a staff chat: kept to fetch, or answered with how to say
    it; from any other group, left alone."""
    commune_id = _staff_commune(uow, config, voice.chat_id)
    if commune_id is None:
        logger.info("Telegram: a recording command outside a staff chat (%s), ignored",
                    voice.chat_id)
        return
    problem = _problem(voice.words, catalogs)
    if problem is not None:
        _answer(uow, catalogs, account, voice.chat_id, problem)
        return
    language, key = voice.words
    uploads.queue(uow=uow, new=uploads.NewUpload(
        channel=CHANNEL, account=account, chat=voice.chat_id, external_id=voice.external_id,
        remote=voice.file_id, commune_id=commune_id, language=language.lower(), key=key,
        sent_by=voice.sent_by))


class StaffRecorder:
    """Fetches the voice notes staff chats sent for the bot, keeps them, answers the chats."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], fetcher: MediaFetcher,
                 catalogs: Catalogs, voice_note: VoiceMaker) -> None:
        self.uow_factory = uow_factory
        self.fetcher = fetcher
        self.catalogs = catalogs
        self.voice_note = voice_note

    def run_once(self) -> int:
        """Every waiting upload tried once; how many were kept."""
        with self.uow_factory() as uow:
            waiting = [(row.id, row.account, row.remote) for row in uploads.waiting(
                uow=uow, channel=CHANNEL)]
        return sum(self._safely(*item) for item in waiting if item[0] is not None)

    def _safely(self, upload_id: int, account: str, remote: str) -> bool:
        """One upload; a failure of our own is counted (three tries), never looped on."""
        try:
            return self._one(upload_id, account, remote)
        except Exception as exc:  # the edge of the chore: logged, counted, tried again
            logger.exception("Telegram staff recording %s failed", upload_id)
            return self._failed(upload_id, repr(exc), retry=True,
                                said=say("staff.prompt.unfetched"))

    def _one(self, upload_id: int, account: str, remote: str) -> bool:
        try:
            fetched = self.fetcher.fetch(account=account, remote=remote, max_bytes=MAX_BYTES)
            note = self.voice_note(fetched.data)
        except FetchError as exc:
            return self._failed(upload_id, f"fetch: {exc}", retry=exc.retryable,
                                said=say("staff.prompt.unfetched"))
        except TranscriptionError as refused:
            return self._failed(upload_id, f"{refused.reason}: {refused}", retry=False,
                                said=say(f"staff.prompt.refused.{_reason(refused.reason)}"))
        with self.uow_factory() as uow:
            row = uow.session.get_one(PromptUpload, upload_id)
            uploads.keep(uow=uow, upload=row, voice=note.data, seconds=note.seconds)
            commune = communes.get_commune(uow=uow, commune_id=row.commune_id)
            _answer(uow, self.catalogs, row.account, row.chat, say(
                "staff.prompt.recorded", message=row.key, language=row.language,
                seconds=f"{note.seconds:.0f}", commune=commune.name if commune else ""))
            uow.commit()
        return True

    def _failed(self, upload_id: int, error: str, *, retry: bool, said: Say) -> bool:
        with self.uow_factory() as uow:
            row = uploads.finish(uow=uow, upload_id=upload_id, error=error, retry=retry)
            if row.status == "failed":
                _answer(uow, self.catalogs, row.account, row.chat, said)
            uow.commit()
        logger.warning("Telegram staff recording %s: %s", upload_id, error)
        return False


REASONS = ("empty", "undecodable", "too_long", "silent")


def _reason(reason: str) -> str:
    return reason if reason in REASONS else "undecodable"


def _staff_commune(uow: UnitOfWork, config: TelegramConfig, chat: str) -> str | None:
    """The commune whose staff chat this is, if it is one."""
    for named, staff_chat in config.staff_chats:
        found = communes.find_commune(uow=uow, text=named) if staff_chat == chat else None
        if found is not None:
            return found.id
    return None


def _problem(words: tuple[str, ...], catalogs: Catalogs) -> Say | None:
    """Why « /vocal … » cannot be taken: not a language and a message key of the bot."""
    if len(words) != 2 or not languages.is_code(words[0].lower()):
        return say("staff.prompt.usage")
    if words[1] not in catalogs.messages.get(DEFAULT_LANGUAGE, {}):
        return say("staff.prompt.unknown", message=words[1][:80])
    return None


def _answer(uow: UnitOfWork, catalogs: Catalogs, account: str, chat: str, said: Say) -> None:
    messages.enqueue(uow=uow, to=messages.Recipient(CHANNEL, account, chat),
                     text=catalogs.render(DEFAULT_LANGUAGE, said), purpose="group_reply")

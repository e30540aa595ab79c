"""The pipeline's middle: take a stored message, run one turn, store replies and state.

Everything of one turn happens in one transaction: the commands it asks for, the replies in
the outbox, the new conversation state and the message marked processed.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import inspect

from core.citizens import service as citizens
from core.citizens.models import ChannelIdentity
from core.citizens.models import Citizen as CitizenRow
from core.conversations import service as conversations
from core.conversations.models import Conversation as ConversationRow
from core.db import lock_conflict
from core.errors import DomainError
from core.geo import Point, normalise_name
from core.handlers import handle
from core.messages import service as messages
from core.messages.models import Attachment, InboundRecord
from core.messages.neutral import FILE_KINDS, Choice
from core.ports import FetchError, MediaFetcher
from core.prompts import service as prompts
from core.transcripts.service import TRANSCRIPT_KIND
from core.uow import UnitOfWork
from dialogs import threads
from dialogs.conversation import Conversation, Engine, Turn
from dialogs.engine import AttachmentRef, Heard, Msg, Option, Prompt, Say, say
from dialogs.i18n import DEFAULT_LANGUAGE, Catalogs
from dialogs.lookup import DbLookup

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 20_000_000  # Telegram's Bot API download limit
FILE_REFUSALS = ("too_large", "unreadable")  # why a file was not fetched (FetchError.reason)
# While a worker downloads a message's files, no other claims it; if that worker dies, the
# message waits this long before another downloads them.
FETCH_LEASE = timedelta(minutes=3)
# Under this, a transcript is not shown back as "what I understood": the audio stays.
DEFAULT_MIN_CONFIDENCE = 0.4
VOICE_REPEAT_AFTER = timedelta(hours=1)  # a recorded prompt heard once in a sitting
PRIVATE_FLOW = "survey"  # its replies are marked as such (never in a submission's thread)
# Turns committed together under a burst: at most this many, claimed while the batch is younger
# than this (a reply waits for its batch's commit).
DEFAULT_BATCH_SIZE = 16
DEFAULT_BATCH_SECONDS = 0.015


@dataclass(frozen=True)
class Batch:
    """What one batch did: the turns handled, and whether it found nothing more to claim
    (a look that finds nothing costs a transaction: the next round waits for new work)."""

    handled: int
    ran_dry: bool


class Dialogs:
    """Processes stored inbound messages: each citizen's in order, several citizens' turns
    committed together under a burst."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], engine: Engine,
                 catalogs: Catalogs,
                 bound_communes: Mapping[tuple[str, str], str] | None = None,
                 fetchers: Mapping[str, MediaFetcher] | None = None,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 transcribes: bool = False,
                 min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                 spoken_languages: Sequence[str] = (),
                 batch_size: int = DEFAULT_BATCH_SIZE,
                 batch_seconds: float = DEFAULT_BATCH_SECONDS) -> None:
        self.uow_factory = uow_factory
        self.batch_size, self.batch_seconds = batch_size, batch_seconds
        self.spoken_languages = tuple(spoken_languages)  # offered first, in this order
        self.transcribes = transcribes  # a transcription worker runs: flows wait for it
        self.min_confidence = min_confidence
        self.engine = engine
        self.catalogs = catalogs
        self.bound_communes = dict(bound_communes or {})
        self.fetchers = dict(fetchers or {})
        self.max_file_bytes = max_file_bytes

    def process_pending(self, *, limit: int = 100) -> int:
        """Handle stored messages, oldest first, each sender's in order, as many as are
        claimable here (other workers take others side by side), in batches; a failure is
        logged, counted and retried. How many were handled."""
        handled = 0
        while handled < limit:
            batch = self.process_batch(min(self.batch_size, limit - handled))
            handled += batch.handled
            if batch.ran_dry:
                break
        return handled

    def process_batch(self, size: int) -> Batch:
        """Claim and handle up to `size` messages in one transaction, each turn in a savepoint
        of its own, taking more only while the batch is younger than `batch_seconds`: under a
        burst one commit, and its wait for the disk, serves several turns, and no reply waits
        long for it.

        A message whose files are still to fetch ends the batch and is fetched once the batch
        is committed. So does a turn the database cancelled for another worker's locks (the
        batch holds its turns' locks until its commit, and two batches may cross): it is not
        at fault, and goes again alone at once. A batch that fails as a whole (its commit,
        the connection) is replayed one message at a time, so that only a message at fault
        counts a failed attempt."""
        claimed: list[int] = []
        handled, dry = 0, False
        after: int | None = None  # claimed, but handled once the batch is committed
        deadline = time.monotonic() + self.batch_seconds
        try:
            with self.uow_factory() as uow:
                while len(claimed) < size and (not claimed or time.monotonic() < deadline):
                    record = messages.claim_next_inbound(uow=uow)
                    if record is None:
                        dry = True
                        break
                    assert record.id is not None
                    claimed.append(record.id)
                    if _has_files_to_fetch(uow, record):
                        after = record.id
                        break
                    outcome = self._locked_turn(uow, record, in_batch=True)
                    if outcome is None:
                        after = record.id
                        break
                    handled += outcome
                if not claimed:
                    return Batch(0, ran_dry=True)
                uow.commit()
        except Exception:  # the worker's edge: keep the messages, retry them
            logger.exception("a batch of %s turns failed; each goes again alone", len(claimed))
            if not claimed:
                raise
            return Batch(sum(self.process_next(inbound_id) or 0 for inbound_id in claimed),
                         ran_dry=False)
        if after is not None:
            handled += self.process_next(after) or 0
        return Batch(handled, ran_dry=dry)

    def process_next(self, inbound_id: int | None = None) -> int | None:
        """Claim and handle the next message (or this one), alone in its transaction: 1 when
        handled, 0 when it failed and waits for its retry, None when nothing could be
        claimed."""
        failure: Exception | None = None
        with self.uow_factory() as uow:
            record = messages.claim_next_inbound(uow=uow, inbound_id=inbound_id)
            if record is None:
                return None
            assert record.id is not None
            claimed = record.id
            if not _has_files_to_fetch(uow, record):
                try:
                    handled = self._locked_turn(uow, record, in_batch=False) or 0
                    uow.commit()
                    return handled
                except Exception as exc:  # the worker's edge: keep the message, retry it
                    logger.exception("turn failed for inbound message %s", claimed)
                    failure = exc
            else:  # this worker fetches its files: no other takes it meanwhile
                messages.lease_for_fetching(uow=uow, record=record, lease=FETCH_LEASE)
                uow.commit()
        if failure is not None:  # counted once the failed transaction let go of the message
            self._record_failure(claimed, failure)
            return 0
        return self._fetch_then_handle(claimed)

    def _locked_turn(self, uow: UnitOfWork, record: InboundRecord, *,
                     in_batch: bool) -> int | None:
        """A claimed message's turn in a savepoint: 1 when handled; 0 when it failed, the
        failure counted while the message is still locked, so that no other worker handles
        it before its retry is due; None, in a batch, when the database cancelled the turn
        for another transaction's locks (not counted: it goes again alone)."""
        failures: list[Exception] = []
        handled = uow.attempt(partial(self._handled, uow, record),
                              f"turn for inbound message {record.id}", failed=False,
                              on_failure=failures.append)
        if handled:
            return 1
        if in_batch and lock_conflict(failures[0]):
            return None
        assert record.id is not None
        self._note_failure(uow, record.id, failures[0])
        return 0

    def _fetch_then_handle(self, claimed: int) -> int:
        """A message's files first, outside any transaction, under a lease (other workers
        leave the message alone until it ends: each file is downloaded once, not by every
        worker that claimed it meanwhile); then it is claimed again."""
        try:
            self.fetch_files(claimed)
            with self.uow_factory() as uow:  # fetched: due again, for whichever worker
                messages.end_fetch_lease(uow=uow, inbound_id=claimed)
                uow.commit()
        except FetchError as exc:  # the provider or the network: the message waits
            logger.warning("files of inbound message %s not fetched yet: %s", claimed, exc)
            self._record_failure(claimed, exc)
            return 0
        except Exception as exc:
            logger.exception("fetching the files of inbound message %s failed", claimed)
            self._record_failure(claimed, exc)
            return 0
        return self.process_next(claimed) or 0

    def fetch_files(self, inbound_id: int) -> None:
        """Fetch the files a channel stored as references, outside any transaction (a download
        must not hold the database's write lock). A network failure raises, so the message is
        retried; past its last attempt, or for a file too large, the reference is kept and the
        citizen is told in the turn."""
        with self.uow_factory() as uow:
            record = uow.session.get_one(InboundRecord, inbound_id)
            waiting = [(a.id, a.remote) for a in messages.unfetched_attachments(
                uow=uow, inbound_id=inbound_id)]
            channel, account, last_try = (record.channel, record.account,
                                          record.attempts + 1 >= messages.MAX_PROCESSING_ATTEMPTS)
        for number, (attachment_id, remote) in enumerate(waiting):
            assert attachment_id is not None and remote is not None
            if number:  # the lease runs again for each file
                with self.uow_factory() as uow:
                    messages.renew_fetch_lease(uow=uow, inbound_id=inbound_id,
                                               lease=FETCH_LEASE)
                    uow.commit()
            self._fetch_one(channel, account, attachment_id, remote, last_try)

    def _fetch_one(self, channel: str, account: str, attachment_id: int, remote: str,
                   last_try: bool) -> None:
        fetcher = self.fetchers.get(channel)
        try:
            if fetcher is None:
                raise FetchError(f"no fetcher for {channel}", retryable=False)
            fetched = fetcher.fetch(account=account, remote=remote,
                                    max_bytes=self.max_file_bytes)
        except FetchError as exc:
            if exc.retryable and not last_try:
                raise
            logger.warning("file %s of %s not fetched: %s", attachment_id, channel, exc)
            with self.uow_factory() as uow:
                messages.refuse_fetch(uow=uow, attachment_id=attachment_id,
                                      reason=f"{exc.reason}: {exc}")
                uow.commit()
            return
        with self.uow_factory() as uow:
            messages.keep_fetched(uow=uow, attachment_id=attachment_id, data=fetched.data,
                                  content_type=fetched.content_type)
            uow.commit()

    def _handled(self, uow: UnitOfWork, record: InboundRecord) -> bool:
        self._handle(uow, record)
        return True

    def _handle(self, uow: UnitOfWork, record: InboundRecord) -> None:
        """One claimed message: its sender's turn, then marked handled."""
        identity = messages.identify_sender(uow=uow, record=record)
        loaded = conversations.citizen_for_turn(uow=uow, citizen_id=record.citizen_id) \
            if record.citizen_id else None
        if loaded is not None and identity is not None and not loaded.citizen.blocked:
            self._turn(uow, record, loaded.citizen, identity, loaded.conversation)
        if not inspect(record).was_deleted:  # the citizen may have erased their data
            messages.mark_processed(uow=uow, record=record)

    def _turn(self, uow: UnitOfWork, record: InboundRecord, citizen: CitizenRow,
              identity: ChannelIdentity, row: ConversationRow | None) -> None:
        assert citizen.id is not None
        bound = self.bound_communes.get((identity.channel, identity.account))
        if bound is not None:  # one answer to "which commune", for every part of Palabre
            citizens.belong_to(uow=uow, citizen=citizen, commune_id=bound)
        current = (Conversation(row.flow, row.state, row.data, row.updated_at) if row
                   else Conversation())
        if record.kind == TRANSCRIPT_KIND and not _awaited(current, record):
            return  # the flow moved on (the citizen typed instead): kept, nothing to say
        if record.kind == messages.INVITE_KIND and not self.engine.free(current,
                                                                       uow.clock.now()):
            return  # busy: not interrupted (the asker puts the question again later)
        turn = self._decide(uow, record, citizen, identity, current, row.offered if row else [])
        self._keep(uow, record, citizen, identity, current, turn)

    def _decide(self, uow: UnitOfWork, record: InboundRecord, citizen: CitizenRow,
                identity: ChannelIdentity, current: Conversation,
                offered: list[list[str]]) -> Turn:
        """The turn, its commands carried out (unless a file could not be fetched)."""
        lookup = self._lookup(uow, citizen, identity)
        files = _attachments(uow, record)
        msg = to_msg(record, files, offered, self.min_confidence)
        refused = (say("error.edited"),) if record.extra.get("edited") else _refused(
            files, self.max_file_bytes)
        if refused:
            return Turn(current, refused, self.engine.ask(current, lookup))
        return self._execute(uow, self._plan(current, msg, lookup), current, lookup)

    def _keep(self, uow: UnitOfWork, record: InboundRecord, citizen: CitizenRow,
              identity: ChannelIdentity, current: Conversation, turn: Turn) -> None:
        """The reply in the outbox and the new state, both in the turn's thread; nothing
        kept of a citizen erased during the turn but the confirmation."""
        assert citizen.id is not None
        recipient, in_reply_to = messages.Recipient.of(identity), record.id
        survivor = uow.session.get(CitizenRow, citizen.id)
        if survivor is not None and turn.commands:  # the question may name what just changed
            fresh = self._lookup(uow, survivor, identity)
            turn = replace(turn, prompt=self.engine.ask(turn.conversation, fresh))
        if survivor is None:  # erased during this turn, with the messages they sent
            recipient, in_reply_to = recipient.anonymous(), None
        language = citizen.language or DEFAULT_LANGUAGE
        text, choices = self.render(language, turn.says, turn.prompt)
        purpose = _purpose(record, current, turn)
        if text:
            messages.enqueue(uow=uow, to=recipient, text=text, choices=choices,
                             in_reply_to=in_reply_to, hints=self.hints(language, turn.prompt),
                             purpose=purpose,
                             thread=turn.thread if survivor is not None else None)
        if text and survivor is not None and purpose == "reply":
            self._voices(uow, survivor, identity, turn, recipient, in_reply_to)
        if survivor is not None:
            record.thread = turn.thread
            citizens.seen(uow=uow, citizen=survivor)
            after = turn.conversation
            conversations.save(uow=uow, citizen_id=citizen.id, flow=after.flow, state=after.state,
                               data=dict(after.data),
                               offered=[[c.id, normalise_name(c.label)] for c in choices])

    def _voices(self, uow: UnitOfWork, citizen: CitizenRow, identity: ChannelIdentity,
                turn: Turn, recipient: messages.Recipient, in_reply_to: int | None) -> None:
        """The mairie's recordings of the turn's messages in the language the citizen
        speaks, each as a voice note after the text (which carries the choices, and never
        waits for a voice); one this address got within the hour is not sent again."""
        spoken = citizen.spoken_language or citizen.language or DEFAULT_LANGUAGE
        commune = self.bound_communes.get((identity.channel, identity.account)) \
            or citizen.commune_id
        keys = [s.key for s in turn.says + (turn.prompt.says if turn.prompt else ())]
        found = prompts.recordings_for(uow=uow, commune_id=commune, language=spoken, keys=keys)
        assert identity.id is not None
        heard = prompts.heard_lately(uow=uow, identity_id=identity.id,
                                     since=uow.clock.now() - VOICE_REPEAT_AFTER,
                                     paths=[r.media_path for r in found])
        for recording in (r for r in found if r.media_path not in heard):
            messages.enqueue(uow=uow, to=recipient, text="", in_reply_to=in_reply_to,
                             media_path=recording.media_path, purpose=prompts.VOICE_PURPOSE,
                             hints={"voice": recording.key,
                                    "public_media_url": prompts.public_path(recording)})

    def _plan(self, current: Conversation, msg: Msg, lookup: DbLookup) -> Turn:
        """The engine's turn, a submission it files keeping the turn's thread."""
        planned = self.engine.turn(current, msg, lookup)
        return replace(planned, commands=threads.with_thread(planned.commands, planned.thread))

    def _lookup(self, uow: UnitOfWork, citizen: CitizenRow,
                identity: ChannelIdentity) -> DbLookup:
        return DbLookup(uow, citizen, identity, self.catalogs, self.bound_communes,
                        transcribes=self.transcribes, spoken=self.spoken_languages)

    def _execute(self, uow: UnitOfWork, turn: Turn, before: Conversation,
                 lookup: DbLookup) -> Turn:
        """Carry out the turn's commands; a refusal keeps the citizen where they were."""
        results: dict[str, Any] = {}
        for command in turn.commands:
            nested = uow.session.begin_nested()
            try:
                results.update(handle(command, uow))
                nested.commit()
            except DomainError as refused:
                (nested.commit if refused.keeps_changes else nested.rollback)()
                details = {k: str(v) for k, v in refused.details.items()}
                return Turn(before, (say(f"error.{refused.code}", **details),),
                            self.engine.ask(before, lookup), thread=turn.thread)
            except BaseException:
                nested.rollback()
                raise
        if not results:
            return turn
        says = tuple(Say(s.key, {**results, **s.params}) for s in turn.says)
        return replace(turn, says=says)

    def render(self, language: str, says: tuple[Say, ...],
               asked: Prompt | None) -> tuple[str, tuple[Choice, ...]]:
        """The turn's words in one message, and its options with their labels."""
        everything = says + (asked.says if asked else ())
        text = "\n\n".join(self.catalogs.render(language, s) for s in everything)
        options = asked.options if asked else ()
        return text, tuple(Choice(o.id, self.catalogs.label(language, o)) for o in options)

    def hints(self, language: str, asked: Prompt | None) -> dict[str, str]:
        """What a channel may offer its own way: a button that sends the citizen's location;
        options to tap (WhatsApp's list needs the words of the button that opens it)."""
        hints = {}
        if asked is not None and asked.expects == "location":
            hints["request_location"] = self.catalogs.render(language,
                                                             say("button.send_location"))
        if asked is not None and asked.options and all(_same_for_all(o) for o in asked.options):
            hints |= {"language": language,
                      "choose": self.catalogs.render(language, say("button.choose"))}
        return hints

    def _record_failure(self, inbound_id: int, exc: Exception) -> None:
        with self.uow_factory() as uow:
            self._note_failure(uow, inbound_id, exc)
            uow.commit()

    def _note_failure(self, uow: UnitOfWork, inbound_id: int, exc: Exception) -> None:
        """Count a failed attempt; past the last one, the citizen is told."""
        exhausted = messages.record_processing_failure(uow=uow, inbound_id=inbound_id,
                                                       error=repr(exc))
        record = uow.session.get_one(InboundRecord, inbound_id)
        identity = messages.identify_sender(uow=uow, record=record) if exhausted else None
        if identity is not None:
            citizen = uow.session.get(CitizenRow, identity.citizen_id)
            language = (citizen.language if citizen else None) or DEFAULT_LANGUAGE
            text = self.catalogs.render(language, say("error.internal"))
            messages.enqueue(uow=uow, to=messages.Recipient.of(identity), text=text,
                             in_reply_to=inbound_id)


def _same_for_all(option: Option) -> bool:
    """Whether an option's words are the same for every citizen (a catalog message, reference
    data): only those may be laid out once at a provider and reused. Not a citizen's own
    submission, nor a message naming one item (a reference)."""
    label = option.label
    return option.fixed and not (isinstance(label, Say) and label.params)


def _purpose(record: InboundRecord, before: Conversation, turn: Turn) -> str:
    """What the reply is, for the channels: a question Palabre put, a survey's turn, or a
    reply."""
    if record.kind == messages.INVITE_KIND:
        return "followup"
    if PRIVATE_FLOW in (before.flow, turn.conversation.flow):
        return PRIVATE_FLOW
    return "reply"


def to_msg(record: InboundRecord, attachments: list[Attachment],
           offered: list[list[str]], min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Msg:
    """What the step sees of a stored message; a number or a label becomes the offered choice."""
    if record.kind == TRANSCRIPT_KIND:
        return Msg(kind=TRANSCRIPT_KIND, heard=_heard(record, min_confidence))
    if record.kind == messages.INVITE_KIND:
        return Msg(kind=messages.INVITE_KIND,
                   invite=(str(record.extra.get("flow")), dict(record.extra.get("data") or {})))
    if record.kind == "choice" and not record.choice:  # a button without its payload
        return Msg(kind="text", text=(record.text or "").strip(),
                   choice=resolve_choice(None, record.text, offered))
    if record.kind == "choice" and record.choice not in {option[0] for option in offered}:
        return _stale(record.text, offered)
    location = (Point(record.latitude, record.longitude)
                if record.latitude is not None and record.longitude is not None else None)
    refs = tuple(AttachmentRef(a.id, a.kind, a.content_type) for a in attachments
                 if a.id and a.path)
    return Msg(kind=record.kind, text=(record.text or "").strip(), location=location,
               choice=resolve_choice(record.choice, record.text, offered),
               place_text=record.place_text, attachments=refs)


def _stale(words: str | None, offered: list[list[str]]) -> Msg:
    """A button this question did not offer (an older message's, tapped late or twice, or a
    forged one): the offered option its words name, without the number it carried (another
    question's); else a choice of nothing, which a step asks again. Never the citizen's own
    words (a description "Pas de photo") nor a global word (an old "Annuler")."""
    text = NUMBERED.sub("", (words or "").strip())
    return Msg(kind="choice", text=text,
               choice=resolve_choice(None, text, offered) if not text.isdigit() else None)


def _heard(record: InboundRecord, min_confidence: float) -> Heard:
    """A worker's result, as the flow waiting for it sees it."""
    extra = record.extra
    text = " ".join((record.text or "").split())
    confidence = extra.get("confidence")
    confident = bool(text) and extra.get("reason") != "unclear" and (
        confidence is None or float(confidence) >= min_confidence)  # "unclear": doubted
    reason = extra.get("reason") or (None if confident else "empty" if not text else "unclear")
    return Heard(int(extra["attachment_id"]), text, confident, reason)


def _awaited(current: Conversation, record: InboundRecord) -> bool:
    """Whether the conversation still waits for this voice note's transcript."""
    waiting = current.data.get("listening")
    return waiting is not None and waiting == record.extra.get("attachment_id")


NUMBERED = re.compile(r"^\d{1,2}[.)]\s+")  # "2. " before a label on a button


def resolve_choice(button: str | None, text: str | None, offered: list[list[str]]) -> str | None:
    """The offered option meant by a button payload, a typed number or a typed label."""
    ids = [option[0] for option in offered]
    if button is not None:
        return button if button in ids else None
    typed = (text or "").strip().rstrip(".)")
    if typed.isdigit():
        number = int(typed)
        return ids[number - 1] if 1 <= number <= len(ids) else None
    wanted = normalise_name(typed)
    return next((oid for oid, label in offered if wanted and label == wanted), None)


def _refused(files: list[Attachment], max_bytes: int) -> tuple[Say, ...]:
    """When every file of a message could not be fetched: why, for the citizen."""
    if not files or any(a.path for a in files):
        return ()
    reasons = {(a.fetch_error or "unreadable").split(":", 1)[0] for a in files}
    reason = next((r for r in FILE_REFUSALS if r in reasons), "unreadable")
    return (say(f"error.file_{reason}", limit_mb=str(max_bytes // 1_000_000)),)


def _has_files_to_fetch(uow: UnitOfWork, record: InboundRecord) -> bool:
    """Whether a message's files are still at the provider (only file kinds have any)."""
    assert record.id is not None
    return record.kind in FILE_KINDS and bool(messages.unfetched_attachments(
        uow=uow, inbound_id=record.id))


def _attachments(uow: UnitOfWork, record: InboundRecord) -> list[Attachment]:
    """The message's files (a message with files is of its first file's kind: the others
    have none to look for)."""
    assert record.id is not None
    if record.kind not in FILE_KINDS:
        return []
    return messages.inbound_attachments(uow=uow, inbound_id=record.id)

"""The transcription queue on both databases: a voice note in a report is queued, claimed with
a lease, heard (or not), retried, never lost; the flow hears the result, the inbox searches it.

The speech model is replaced at its port by a scripted transcriber (the real backends have
their own tests in test_transcription_*.py); everything else runs for real."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from core.geo import Point
from core.messages.models import Attachment, InboundRecord
from core.messages.neutral import IncomingFile
from core.ports import Transcript, TranscriptionError
from core.submissions.inbox import InboxFilter, inbox
from core.submissions.models import Submission
from core.transcripts import service as transcripts
from core.transcripts.models import Transcription, TranscriptionStatus
from palabre.bootstrap import bootstrap
from tests.talk import Talker

OGG = b"OggS" + bytes(500)
SAID = "Le caniveau déborde devant le marché de Zogbo"


class ScriptedTranscriber:
    """Answers from a script: a text, or an exception to raise; records what it was asked."""

    def __init__(self) -> None:
        self.script: list[str | BaseException] = []
        self.asked: list[tuple[Path, str | None]] = []

    def transcribe(self, path: Path, *, language_hint: str | None) -> Transcript:
        self.asked.append((path, language_hint))
        answer = self.script.pop(0) if self.script else SAID
        if isinstance(answer, BaseException):
            raise answer
        return Transcript(text=answer, language="fr", confidence=0.81, duration_s=4.2,
                          backend="scripted", model="test")


@pytest.fixture
def speech() -> ScriptedTranscriber:
    return ScriptedTranscriber()


@pytest.fixture
def voice_app(app, settings, clock, messenger):
    """The test app with voice notes transcribed (routes configured; the worker is ours)."""
    configured = settings.model_copy(update={"transcription_routes": "*=faster-whisper:base"})
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.engine.dispose()


def listening(talker: Talker) -> str:
    talker.onboard()
    talker.send("1")  # report
    talker.send("2")  # a category
    talker.send(location=Point(6.3703, 2.3912), place_text="Marché de Zogbo")
    talker.send("Pas de photo")
    return talker.send(files=(IncomingFile("voice", "audio/ogg", data=OGG),))


def work(app, speech: ScriptedTranscriber, worker: str = "w1") -> int:
    return transcripts.transcribe_waiting(uow_factory=app.uow_factory, transcriber=speech,
                                          worker=worker)


def rows(app) -> list[Transcription]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(Transcription)).all())


def test_a_voice_note_is_heard_confirmed_and_searchable(voice_app, messenger, speech) -> None:
    talker = Talker(voice_app, messenger)
    assert "J'écoute votre note vocale" in listening(talker)
    (queued,) = rows(voice_app)
    assert queued.status == TranscriptionStatus.PENDING and queued.language_hint == "fr"

    assert work(voice_app, speech) == 1
    assert speech.asked[0][0].read_bytes() == OGG  # the stored audio, from the media store
    shown = talker.send_pending()
    assert f"J'ai compris : « {SAID} »" in shown
    done = talker.send("1")  # yes
    assert "Marché de Zogbo" in done and SAID in done  # the summary has the words
    talker.send("1")  # send

    with voice_app.uow_factory() as uow:
        filed = uow.session.exec(select(Submission)).one()
        voice = uow.session.exec(select(Attachment).where(Attachment.kind == "voice")).one()
        found = inbox(uow=uow, wanted=InboxFilter(text="zogbo déborde"))
    assert filed.description == SAID and voice.submission_id == filed.id
    assert filed.voice_text == SAID
    assert [s.reference for s in found.items] == [filed.reference]
    (heard,) = rows(voice_app)
    assert (heard.status, heard.text, heard.backend, heard.attempts) == (
        "done", SAID, "scripted", 1)
    assert heard.processing_ms is not None and heard.duration_s == 4.2


def test_keeping_the_audio_still_makes_its_transcript_searchable(voice_app, messenger,
                                                                 speech) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    talker.send("1")  # "garder l'audio sans texte" while waiting
    talker.send("1")  # send the report
    with voice_app.uow_factory() as uow:
        filed = uow.session.exec(select(Submission)).one()
    assert filed.description == ""

    work(voice_app, speech)  # heard after the report was sent
    assert talker.send_pending() == ""  # the flow moved on: nothing said
    with voice_app.uow_factory() as uow:
        assert uow.session.get_one(Submission, filed.id).voice_text == SAID
        found = inbox(uow=uow, wanted=InboxFilter(text="caniveau zogbo"))
    assert [s.reference for s in found.items] == [filed.reference]


def test_a_crash_is_retried_then_heard(voice_app, messenger, speech, clock) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    speech.script = [RuntimeError("model out of memory")]

    work(voice_app, speech)
    (waiting,) = rows(voice_app)
    assert waiting.status == "pending" and waiting.attempts == 1 and "out of memory" in (
        waiting.last_error or "")
    assert work(voice_app, speech) == 0  # not before its time
    clock.advance(minutes=2)
    assert work(voice_app, speech) == 1
    assert "J'ai compris" in talker.send_pending()


def test_a_worker_that_dies_leaves_the_note_to_another_then_it_fails_kept(
        voice_app, messenger, speech, clock) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    for attempt in range(transcripts.MAX_ATTEMPTS):
        with voice_app.uow_factory() as uow:  # a worker claims it, then dies
            assert transcripts.claim_next(uow=uow, worker=f"dead-{attempt}") is not None
            uow.commit()
        with voice_app.uow_factory() as uow:  # its lease holds the note meanwhile
            assert transcripts.claim_next(uow=uow, worker="other") is None
        clock.advance(seconds=transcripts.LEASE.total_seconds() + 1)

    assert work(voice_app, speech) == 0 and speech.asked == []
    (given_up,) = rows(voice_app)
    assert given_up.status == "failed" and given_up.attempts == transcripts.MAX_ATTEMPTS
    told = talker.send_pending()
    assert "Je n'ai pas pu transcrire votre note vocale" in told
    assert "Résumé" in told or "Envoyer" in told  # the report goes on, with its audio
    with voice_app.uow_factory() as uow:
        voice = uow.session.exec(select(Attachment).where(Attachment.kind == "voice")).one()
    assert voice_app.uow_factory.media.absolute(voice.path).read_bytes() == OGG


@pytest.mark.parametrize(("reason", "expected"), [
    ("too_long", "trop longue"), ("undecodable", "Je n'arrive pas à lire ce fichier audio"),
    ("no_model", "Je ne sais pas encore transcrire cette langue")])
def test_a_note_that_cannot_be_heard_is_kept_and_the_citizen_told(
        voice_app, messenger, speech, reason, expected) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    speech.script = [TranscriptionError("no", reason=reason, duration_s=400.0)]

    work(voice_app, speech)
    (row,) = rows(voice_app)
    assert row.status == "failed" and row.reason == reason and row.attempts == 1
    assert expected in talker.send_pending()


def test_a_silent_note_is_asked_again(voice_app, messenger, speech) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    speech.script = [TranscriptionError("quiet", reason="silent")]
    work(voice_app, speech)
    told = talker.send_pending()
    assert "Je n'ai rien entendu" in told and "Décrivez le problème" in told


def test_two_workers_never_hold_the_same_note(voice_app, messenger, clock) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    with voice_app.uow_factory() as first, voice_app.uow_factory() as second:
        claimed = transcripts.claim_next(uow=first, worker="a")
        first.commit()
        assert claimed is not None
        assert transcripts.claim_next(uow=second, worker="b") is None


def test_asking_twice_for_the_same_note_queues_it_once(voice_app, messenger) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    (queued,) = rows(voice_app)
    with voice_app.uow_factory() as uow:
        again = transcripts.request(uow=uow, attachment_id=queued.attachment_id,
                                    citizen_id=queued.citizen_id, language_hint="fr")
        uow.commit()
    assert again.id == queued.id and len(rows(voice_app)) == 1


def test_the_result_reaches_the_conversation_in_order_after_what_came_before(
        voice_app, messenger, speech) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    work(voice_app, speech)
    with voice_app.uow_factory() as uow:
        kinds = [r.kind for r in uow.session.exec(
            select(InboundRecord).order_by(InboundRecord.id)).all()]  # type: ignore[arg-type]
    assert kinds[-1] == "transcript" and kinds.count("transcript") == 1


def test_erasing_the_citizen_removes_transcripts_with_the_audio(voice_app, messenger,
                                                                speech) -> None:
    from core.citizens.service import erase_citizen

    talker = Talker(voice_app, messenger)
    listening(talker)
    work(voice_app, speech)
    talker.send_pending()
    talker.send("1")
    talker.send("1")
    with voice_app.uow_factory() as uow:
        filed = uow.session.exec(select(Submission)).one()
        assert filed.citizen_id is not None
        erase_citizen(uow=uow, citizen_id=filed.citizen_id)
        uow.commit()
    with voice_app.uow_factory() as uow:
        kept = uow.session.get_one(Submission, filed.id)
        assert kept.voice_text == "" and uow.session.exec(select(Transcription)).all() == []



@pytest.mark.parametrize("heard", ["non non non non non non non non non",
                                   "ผมไม่แน่ใจ"])  # a loop; Thai heard at a low confidence
def test_a_doubtful_transcript_is_kept_apart_never_searched_nor_read_back(
        voice_app, messenger, speech, heard: str) -> None:
    talker = Talker(voice_app, messenger)
    listening(talker)
    talker.send("1")  # keep the audio without text
    talker.send("1")  # send the report
    speech.script = [heard]
    confident = "ผม" not in heard
    if not confident:  # the scripted transcriber's confidence is 0.81: this one is 0.2
        speech.transcribe = _low(speech.transcribe)
    transcripts.transcribe_waiting(uow_factory=voice_app.uow_factory, transcriber=speech,
                                   worker="w1", min_confidence=0.4)

    (kept,) = rows(voice_app)
    assert (kept.status, kept.text, kept.reason) == ("done", heard, "unclear")
    with voice_app.uow_factory() as uow:
        filed = uow.session.exec(select(Submission)).one()
        found = inbox(uow=uow, wanted=InboxFilter(text=heard.split()[0]))
    assert filed.voice_text == "" and found.items == []


def _low(transcribe):
    def heard_poorly(path: Path, *, language_hint: str | None) -> Transcript:
        said = transcribe(path, language_hint=language_hint)
        return Transcript(text=said.text, language="th", confidence=0.2,
                          duration_s=said.duration_s, backend=said.backend, model=said.model)
    return heard_poorly

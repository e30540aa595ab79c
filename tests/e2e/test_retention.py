"""Personal data kept only as long as needed: past PALABRE_RETENTION_MONTHS, a closed
submission loses its author's contact and its voice recordings (the text and transcripts
stay), a silent citizen's identities are forgotten, old messages lose their sender; a dry run
changes nothing; every real run is audited; what is still open is left alone."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.citizens.models import ChannelIdentity, Citizen
from core.messages import service as messages
from core.messages.models import Attachment, InboundRecord, OutboxRecord, ProviderPost
from core.messages.neutral import IncomingFile
from core.moderation.models import AuditEntry, Role
from core.retention.service import apply_retention, months_before
from core.submissions import service as submissions
from core.submissions.models import Submission
from core.transcripts.models import Transcription, TranscriptionStatus
from palabre import cli
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account
from tests.e2e.test_privacy import _report
from tests.talk import Talker

OGG = b"OggS\x00\x02" + bytes(300)


def _voice_report(talker: Talker) -> str:
    talker.send("1")  # report
    talker.send("2")  # drains
    talker.send("1er arrondissement")
    talker.send("1")  # skip the place
    talker.send("1")  # no photo
    talker.send(files=(IncomingFile("voice", "audio/ogg", OGG, "note.ogg"),))
    offered = [c.id for c in talker.last_message().choices]
    if "new" in offered:
        talker.send(str(offered.index("new") + 1))
    return talker.send("1").split("référence ")[1].split(".")[0]


def _scene(app, messenger, client) -> tuple[str, str]:
    """Ama's voice report, resolved then closed; Kojo's report, still open."""
    moderator = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    closed = _voice_report(ama)
    kojo = Talker(app, messenger, "22996000001")
    kojo.onboard()
    still_open = _report(kojo, "Lampadaire éteint rue 12")
    for status in ("resolved", "closed"):
        assert client.post(f"/api/v1/submissions/{closed}/status", headers=moderator,
                           json={"status": status}).status_code == 200
    with app.uow_factory() as uow:  # what a worker heard in the note
        voice = uow.session.exec(select(Attachment).where(Attachment.kind == "voice")).one()
        now = uow.clock.now()
        uow.session.add(Transcription(attachment_id=voice.id, status=TranscriptionStatus.DONE,
                                      text="le caniveau déborde", next_attempt_at=now,
                                      created_at=now, finished_at=now))
        uow.commit()
    return closed, still_open


def test_past_the_retention_period_contacts_and_voices_go_the_records_stay(
        app, messenger, clock) -> None:
    client = TestClient(create_web_app(app))
    closed, still_open = _scene(app, messenger, client)
    with app.uow_factory() as uow:
        recording = uow.session.exec(select(Attachment).where(Attachment.kind == "voice")).one()
        audio = uow.media.absolute(recording.path)
    assert audio.exists()
    clock.advance(days=30 * 25)

    dry = apply_retention(uow_factory=app.uow_factory, months=24, dry_run=True)
    assert [dry.done[k] for k in ("submissions", "voice_notes", "citizens")] == [1, 1, 1]
    with app.uow_factory() as uow:
        assert uow.session.exec(select(ChannelIdentity)).all() != []
        assert uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "retention")).all() == []
    assert audio.exists()

    done = apply_retention(uow_factory=app.uow_factory, months=24, batch=2)  # a few batches
    assert [done.done[k] for k in ("submissions", "voice_notes", "citizens")] == [1, 1, 1]
    assert done.done["inbound"] > 2 and done.done["outbound"] > 2 and done.complete
    with app.uow_factory() as uow:
        gone = submissions.get_by_reference(uow=uow, reference=closed)
        assert (gone.citizen_id, gone.identity_id, gone.description) == (None, None, "")
        recording = uow.session.get_one(Attachment, recording.id)
        assert recording.path == "" and recording.erased_at is not None
        heard = uow.session.exec(select(Transcription)).one()
        assert heard.text == "le caniveau déborde"
        addresses = {i.address for i in uow.session.exec(select(ChannelIdentity)).all()}
        assert addresses == {"22996000001"}  # Kojo has a report still open
        ama = uow.session.exec(select(Citizen).where(
            col(Citizen.forgotten_at).is_not(None))).one()
        assert ama.commune_id == "BJ-LI-COT" and ama.language == "fr"  # for the figures
        old_senders = uow.session.exec(select(InboundRecord.address)).all()
        assert set(old_senders) == {None}
        assert set(uow.session.exec(select(OutboxRecord.address)).all()) == {""}
        assert uow.session.exec(select(ProviderPost)).all() == []
        kept = submissions.get_by_reference(uow=uow, reference=still_open)
        assert kept.citizen_id is not None and kept.identity_id is not None
        audit = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "retention")).one()
        assert audit.actor == "retention" and audit.after["voice_notes"] == 1
    assert not audio.exists()

    admin = _account(app, "root", Role.ADMIN)
    detail = client.get(f"/api/v1/submissions/{closed}", headers=admin).json()
    assert detail["citizen"] is None
    voice = detail["attachments"][0]
    assert voice["url"] is None and voice["transcript"]["text"] == "le caniveau déborde"
    assert client.get(f"/api/v1/attachments/{recording.id}",
                      headers=admin).status_code == 404
    assert apply_retention(uow_factory=app.uow_factory, months=24).total == 0  # nothing more
    with app.uow_factory() as uow:  # each real run is audited, the empty one too
        runs = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "retention")).all()
        assert len(runs) == 2


def test_nothing_recent_is_touched(app, messenger, clock) -> None:
    client = TestClient(create_web_app(app))
    _scene(app, messenger, client)
    clock.advance(days=30 * 23)
    assert apply_retention(uow_factory=app.uow_factory, months=24).total == 0


def test_a_month_back_keeps_the_day_or_the_months_last(clock) -> None:
    assert months_before(clock.now(), 24).isoformat() == "2024-03-14T09:30:00+00:00"
    assert months_before(clock.now().replace(month=3, day=31), 1).day == 28 + (
        clock.now().year % 4 == 0)


def test_the_command_counts_then_strips(app, messenger, clock, database_url, tmp_path,
                                        monkeypatch) -> None:
    client = TestClient(create_web_app(app))
    _scene(app, messenger, client)
    monkeypatch.chdir(tmp_path)
    for name, value in {"PALABRE_DATABASE_URL": database_url, "PALABRE_AUTO_MIGRATE": "false",
                        "PALABRE_MEDIA_DIR": str(app.settings.media_dir),
                        "PALABRE_TRANSCRIPTION_ROUTES": "",
                        "PALABRE_RETENTION_MONTHS": "1"}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    # the command runs on the real clock: everything filed "in 2026-03" is months old now
    dry = runner.invoke(cli.main, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 closed submissions would be stripped of their author's contact" in " ".join(
        dry.output.split())
    with app.uow_factory() as uow:
        assert len(uow.session.exec(select(ChannelIdentity)).all()) == 2
    done = runner.invoke(cli.main, ["retention", "run"])
    assert done.exit_code == 0, done.output
    assert "1 voice recordings were erased (transcripts kept)" in " ".join(done.output.split())
    with app.uow_factory() as uow:
        assert len(uow.session.exec(select(ChannelIdentity)).all()) == 1
        assert uow.session.exec(select(Submission).where(
            col(Submission.citizen_id).is_(None))).all() != []


def _rejected_voice_report(app, messenger) -> str:
    """Ama's voice report, rejected by a moderator: its reference."""
    client = TestClient(create_web_app(app))
    moderator = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    ama = Talker(app, messenger, "22997123456")
    ama.onboard()
    closed = _voice_report(ama)
    client.post(f"/api/v1/submissions/{closed}/status", headers=moderator,
                json={"status": "rejected"})
    return closed


def test_a_recording_nobody_transcribed_stays_without_its_author(app, messenger, clock) -> None:
    closed = _rejected_voice_report(app, messenger)
    clock.advance(days=30 * 25)
    done = apply_retention(uow_factory=app.uow_factory, months=24)
    assert (done.done["submissions"], done.done["voice_notes"]) == (1, 0)
    with app.uow_factory() as uow:
        recording = uow.session.exec(select(Attachment).where(Attachment.kind == "voice")).one()
        assert recording.erased_at is None and uow.media.absolute(recording.path).exists()
        assert submissions.get_by_reference(uow=uow, reference=closed).citizen_id is None


@pytest.mark.parametrize(("heard", "erased"), [
    ({"status": TranscriptionStatus.DONE, "text": "nan nan nan nan", "reason": "unclear"}, 0),
    ({"status": TranscriptionStatus.FAILED, "reason": "no_model",
      "corrected_text": "Le caniveau déborde devant le marché"}, 1),
], ids=["doubtful-machine-text-keeps-its-audio", "moderators-words-let-it-go"])
def test_a_recording_goes_only_when_its_words_are_kept_for_true(
        app, messenger, clock, heard: dict, erased: int) -> None:
    _rejected_voice_report(app, messenger)
    with app.uow_factory() as uow:
        voice = uow.session.exec(select(Attachment).where(Attachment.kind == "voice")).one()
        now = uow.clock.now()
        uow.session.add(Transcription(attachment_id=voice.id, next_attempt_at=now,
                                      created_at=now, **heard))
        uow.commit()
    clock.advance(days=30 * 25)

    done = apply_retention(uow_factory=app.uow_factory, months=24)

    assert done.done["voice_notes"] == erased


def test_who_still_follows_something_or_listens_is_not_forgotten(app, messenger, clock) -> None:
    client = TestClient(create_web_app(app))
    kojo = Talker(app, messenger, "22996000001")
    kojo.onboard()
    open_report = _report(kojo, "Lampadaire éteint rue 12")
    follower, listener, silent = (Talker(app, messenger, n) for n in ("229961", "229962",
                                                                      "229963"))
    for talker in (follower, listener, silent):
        talker.onboard()
    with app.uow_factory() as uow:  # as when offered it as a similar report
        someone = uow.session.exec(select(ChannelIdentity).where(
            ChannelIdentity.address == "229961")).one()
        submissions.follow(uow=uow, citizen_id=someone.citizen_id, reference=open_report)
        uow.commit()
    listener.send("7")  # council
    listener.send("1")  # follow the council
    with app.uow_factory() as uow:  # an announcement queued for the silent one, unsent
        identity = uow.session.exec(select(ChannelIdentity).where(
            ChannelIdentity.address == "229963")).one()
        messages.enqueue(uow=uow, to=messages.Recipient.of(identity), text="Réunion")
        uow.commit()
    clock.advance(days=30 * 25)
    kojo.send("aide")  # Kojo is still active
    with app.uow_factory() as uow:
        uow.session.add(OutboxRecord(  # a message queued yesterday to the silent one
            citizen_id=identity.citizen_id, identity_id=identity.id, channel="console",
            address="229963", text="Nouvelle réunion", next_attempt_at=uow.clock.now(),
            created_at=uow.clock.now()))
        uow.commit()
    done = apply_retention(uow_factory=app.uow_factory, months=24)
    assert done.done["citizens"] == 1
    with app.uow_factory() as uow:
        kept = {i.address for i in uow.session.exec(select(ChannelIdentity)).all()}
        assert kept == {"22996000001", "229961", "229962"}
        to_silent = uow.session.exec(select(OutboxRecord).where(
            OutboxRecord.citizen_id == identity.citizen_id)).all()
        assert {m.address for m in to_silent} == {""}
        assert [m.status for m in to_silent if m.text == "Nouvelle réunion"] == ["cancelled"]
    assert client.get("/healthz").status_code == 200

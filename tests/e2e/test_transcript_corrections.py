"""Corrections become data (issue 18, item 6): a moderator corrects a voice note's transcript in
the console, or writes one for a note nobody could hear; the correction is kept beside the
machine's text, audited, read and searched instead of it; `palabre transcripts export` writes
the corrected notes of citizens who agreed as a speech dataset (16 kHz WAV and manifests).

The citizens' notes are filed through core's services (a real recording in the media store, a
machine transcript recorded as a worker records it); everything a moderator does goes through
the console's forms, and the export through the command line."""

from __future__ import annotations

import csv
import io
import json
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.citizens import service as citizens
from core.citizens.models import Citizen
from core.messages.models import Attachment
from core.moderation import service as moderation
from core.moderation.models import AuditEntry, Role
from core.ports import Transcript
from core.submissions import service as submissions
from core.submissions.models import Kind, Submission
from core.transcripts import dataset
from core.transcripts import service as transcripts
from core.transcripts.models import Transcription
from palabre import cli
from palabre.web import create_web_app
from tests import speech
from tests.e2e.console_client import (
    account,
    hidden_fields,
    post_form,
    signed_in,
    signed_in_browser,
)

LOOP = "kpakpa kpakpa kpakpa kpakpa kpakpa kpakpa"  # a decoder's loop: doubtful
SAID = "Azɔ̌n ɖò àlì jí ɖò Zogbo axi mɛ"  # what a moderator heard (Fon)
SECONDS = 1.5


@dataclass(frozen=True)
class Note:
    reference: str
    attachment_id: int
    address: str


def recording(rate: int = 22_050) -> bytes:
    """A WAV a phone might send: 1.5 s of sound at 22.05 kHz (the export resamples it)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        samples = (speech.tone(SECONDS, rate=rate) * 32767).astype("<i2")
        writer.writeframes(samples.tobytes())
    return buffer.getvalue()


def voice_report(app, address: str, *, consent: bool = True, heard: str | None = None,
                 language: str = "yo", commune: str = "BJ-LI-COT",
                 anonymous: bool = False, rate: int = 22_050) -> Note:
    """A citizen's report made of one voice note, and what a worker heard in it (or nothing:
    transcription off). `consent`: they agreed their notes may train speech models."""
    with app.uow_factory() as uow:
        now = uow.clock.now()
        identity = citizens.identify(uow=uow, channel="console", address=address)
        citizen = uow.session.get_one(Citizen, identity.citizen_id)
        citizen.commune_id, citizen.consent_at, citizen.spoken_language = commune, now, "fon"
        citizen.voice_data_consent_at = now if consent else None
        stored = uow.media.put(recording(rate), content_type="audio/wav")
        note = Attachment(kind="voice", content_type="audio/wav", size=stored.size,
                          sha256=stored.sha256, path=stored.path, created_at=now)
        uow.session.add(note)
        uow.session.flush()
        assert note.id is not None
        filed = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=Kind.REPORT, commune_id=commune, channel="console", citizen_id=citizen.id,
            identity_id=identity.id, attachment_ids=[note.id], anonymous=anonymous,
            arrondissement_id=f"{commune}-01"))
        if heard is not None:
            row = transcripts.request(uow=uow, attachment_id=note.id, citizen_id=citizen.id,
                                      language_hint="fon", notify=False)
            assert row.id is not None
            transcripts.record_result(
                uow=uow, transcription_id=row.id, processing_ms=5, min_confidence=0.4,
                transcript=Transcript(text=heard, language=language, confidence=0.7,
                                      duration_s=SECONDS, backend="scripted", model="test"))
        uow.commit()
        return Note(filed.reference, note.id, address)


def correct(client: TestClient, note: Note, text: str, language: str = "fon",
            **extra: str):
    return post_form(client, f"/console/s/{note.reference}",
                     f"/console/s/{note.reference}/transcripts/{note.attachment_id}",
                     {"text": text, "language": language, **extra})


def row_of(app, note: Note) -> Transcription | None:
    with app.uow_factory() as uow:
        return uow.session.exec(select(Transcription).where(
            Transcription.attachment_id == note.attachment_id)).first()


def found(client: TestClient, words: str, note: Note) -> bool:
    return note.reference in client.get("/console/", params={"q": words}).text


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)  # awa, a moderator of Cotonou


def test_a_doubtful_transcript_corrected_is_kept_beside_audited_and_searched(app,
                                                                              client) -> None:
    note = voice_report(app, "ama", heard=LOOP)
    page = client.get(f"/console/s/{note.reference}")
    assert "Transcription douteuse" in page.text and not found(client, "kpakpa", note)
    assert f">{LOOP}</textarea>" in page.text  # the form starts from the machine's text

    done = correct(client, note, f"  {SAID}\n")

    assert done.status_code == 303
    assert done.headers["location"] == f"/console/s/{note.reference}?done=transcript"
    kept = row_of(app, note)
    assert kept is not None and (kept.text, kept.reason) == (LOOP, "unclear")  # the machine's
    assert (kept.corrected_text, kept.corrected_language, kept.corrected_by) == (
        SAID, "fon", "awa")
    page = client.get(done.headers["location"])
    assert "Transcription enregistrée" in page.text and f"« {SAID} »" in page.text
    assert "transcrit par awa le 14/03/2026 10:30" in page.text  # the mairie's clock
    assert f"Texte de la machine :</strong> « {LOOP} »" in page.text
    assert "Transcription douteuse" not in page.text  # the doubt no longer applies
    assert found(client, "Azɔ̌n Zogbo", note) and not found(client, "kpakpa", note)
    with app.uow_factory() as uow:
        (entry,) = uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "transcript")).all()
    assert (entry.actor, entry.target_id, entry.commune_id) == ("awa", note.reference,
                                                                "BJ-LI-COT")
    assert entry.after == {"attachment_id": note.attachment_id, "language": "fon",
                           "characters": len(SAID)}
    assert "kpakpa" not in json.dumps([entry.before, entry.after]).lower()  # no words kept


def test_a_second_correction_replaces_the_first_and_a_form_acts_once(app, client) -> None:
    note = voice_report(app, "ama", heard="le camion de Vêdoko", language="fr")
    assert found(client, "Vêdoko", note)  # a believed machine text is searched...
    page_path = f"/console/s/{note.reference}"
    action = f"{page_path}/transcripts/{note.attachment_id}"
    first = client.get(page_path)
    sent = {**hidden_fields(first, action), "text": "Le caniveau de Vêdoko", "language": "fr"}
    assert client.post(action, data=sent, follow_redirects=False).status_code == 303
    correct(client, note, "Le caniveau de Gbégamey déborde", language="")
    again = client.post(action, data=sent, follow_redirects=False)  # the first form, resent

    assert again.status_code == 303
    kept = row_of(app, note)
    assert kept is not None and kept.corrected_text == "Le caniveau de Gbégamey déborde"
    assert kept.corrected_language is None and kept.text == "le camion de Vêdoko"
    assert found(client, "Gbégamey", note) and not found(client, "Vêdoko", note)  # ...until
    with app.uow_factory() as uow:
        assert len(uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "transcript")).all()) == 2


def test_a_note_nobody_transcribed_gets_a_written_transcript(app, client) -> None:
    note = voice_report(app, "ama", heard=None)  # transcription off: no row at all
    page = client.get(f"/console/s/{note.reference}")
    assert "Écrire la transcription" in page.text and row_of(app, note) is None

    assert correct(client, note, SAID).status_code == 303

    kept = row_of(app, note)
    assert kept is not None and (kept.status, kept.reason, kept.text) == (
        "failed", "untranscribed", None)
    assert kept.corrected_text == SAID and not kept.notify
    page = client.get(f"/console/s/{note.reference}").text
    assert f"« {SAID} »" in page and "Texte de la machine" not in page
    assert found(client, "Azɔ̌n", note)
    with app.uow_factory() as uow:  # no worker ever takes it
        assert transcripts.claim_next(uow=uow, worker="w1") is None


def test_empty_text_or_a_bad_language_is_refused_in_words(app, client) -> None:
    note = voice_report(app, "ama", heard=LOOP)
    empty = correct(client, note, "   ")
    assert empty.status_code == 422 and "Écrivez ce que dit la note vocale" in empty.text
    bad = correct(client, note, SAID, language="fon-BJ")
    assert bad.status_code == 422 and "code : fr, fon, yo" in bad.text
    stray = post_form(client, f"/console/s/{note.reference}",
                      f"/console/s/{note.reference}/transcripts/99999",
                      {"text": SAID, "once": "a-nonce-for-no-note-at-all"})
    assert stray.status_code == 404
    kept = row_of(app, note)
    assert kept is not None and kept.corrected_text is None


def test_another_communes_moderator_gets_not_found(app) -> None:
    note = voice_report(app, "ama", heard=LOOP)
    account(app, "koffi", communes=("BJ-AQ-ABO",))  # Abomey-Calavi
    koffi = TestClient(create_web_app(app))
    signed_in(koffi, "koffi")

    forged = post_form(koffi, "/console/", f"/console/s/{note.reference}/transcripts/"
                       f"{note.attachment_id}", {"text": SAID, "once": "a-nonce-of-his-own"})

    assert forged.status_code == 404
    kept = row_of(app, note)
    assert kept is not None and kept.corrected_text is None


def test_an_analyst_is_refused(app) -> None:
    note = voice_report(app, "ama", heard=LOOP)
    account(app, "stat", Role.ANALYST)
    analyst = TestClient(create_web_app(app))
    signed_in(analyst, "stat")

    refused = post_form(analyst, "/console/dashboard", f"/console/s/{note.reference}/"
                        f"transcripts/{note.attachment_id}",
                        {"text": SAID, "once": "a-nonce-of-her-own-making"})

    assert refused.status_code == 403
    kept = row_of(app, note)
    assert kept is not None and kept.corrected_text is None


def test_the_api_corrects_through_the_same_service(app) -> None:
    note = voice_report(app, "ama", heard=LOOP)
    with app.uow_factory() as uow:
        made = moderation.add_moderator(uow=uow, name="awa", role=Role.MODERATOR,
                                        communes=["BJ-LI-COT"])
        staff = {"Authorization": f"Bearer {moderation.issue_token(uow=uow, moderator=made).token}"}
        uow.commit()
    web = TestClient(create_web_app(app))

    answer = web.put(f"/api/v1/submissions/{note.reference}/attachments/{note.attachment_id}"
                     "/transcript", headers=staff, json={"text": SAID, "language": "fon"})

    assert answer.status_code == 200, answer.text
    (voice,) = answer.json()["attachments"]
    assert voice["transcript"]["corrected_text"] == SAID
    assert voice["transcript"]["text"] == LOOP and voice["transcript"]["corrected_by"] == "awa"


def export(monkeypatch, tmp_path: Path, app, database_url: str, *args: str):
    monkeypatch.chdir(tmp_path)
    for name, value in {"PALABRE_DATABASE_URL": database_url, "PALABRE_AUTO_MIGRATE": "false",
                        "PALABRE_MEDIA_DIR": str(app.settings.media_dir),
                        "PALABRE_TRANSCRIPTION_ROUTES": ""}.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(cli.main, ["transcripts", "export", "--language", "fon", *args])


def test_the_export_writes_the_corrected_notes_of_citizens_who_agreed(
        app, client, database_url, tmp_path, monkeypatch) -> None:
    agreed = voice_report(app, "22997000001", heard=LOOP)
    refused = voice_report(app, "22997000002", heard=LOOP, consent=False)
    uncorrected = voice_report(app, "22997000003", heard="Azɔ̌n ɖé", language="fon")
    unnamed = voice_report(app, "22997000004", heard=None, anonymous=True)
    numbered = voice_report(app, "22997000006", heard=None)
    for note in (agreed, refused, unnamed):
        assert correct(client, note, SAID).status_code == 303
    assert correct(client, numbered, "Appelez-moi au 97 12 34 56").status_code == 303
    correct(client, voice_report(app, "22997000005", heard=None), "Ọ̀nà náà bàjẹ́", "yo")
    out = tmp_path / "fon-dataset"

    done = export(monkeypatch, tmp_path, app, database_url, "--out", str(out))

    assert done.exit_code == 0, done.output
    assert "1 note(s) exported" in done.output
    assert "1 without the citizen's consent, 1 anonymous" in done.output
    assert "1 saying a telephone number" in done.output
    (wav,) = (out / "audio").iterdir()
    with wave.open(str(wav)) as sound:
        assert (sound.getnchannels(), sound.getframerate(), sound.getsampwidth()) == (1, 16000, 2)
        assert abs(sound.getnframes() / 16000 - SECONDS) < 0.02
    with (out / "metadata.csv").open(encoding="utf-8", newline="") as sheet:
        assert list(csv.reader(sheet)) == [["file_name", "transcription"],
                                           [f"audio/{wav.name}", SAID]]
    (line,) = (out / "manifest.jsonl").read_text("utf-8").splitlines()
    entry = json.loads(line)
    assert entry["audio_filepath"] == f"audio/{wav.name}" and entry["text"] == SAID
    assert entry["lang"] == "fon" and abs(entry["duration"] - SECONDS) < 0.02
    written = " ".join(p.read_text("utf-8") for p in (out / "metadata.csv",
                                                      out / "manifest.jsonl"))
    for private in (agreed.reference, agreed.address, uncorrected.reference, LOOP, "Azɔ̌n ɖé"):
        assert private not in written and private not in wav.name
    with app.uow_factory() as uow:
        ids = uow.session.exec(select(Transcription.id).order_by(col(Transcription.id))).all()
    assert not any(wav.stem == str(i) for i in ids)


def test_the_export_refuses_a_directory_in_use_and_follows_its_filters(
        app, client, database_url, tmp_path, monkeypatch) -> None:
    correct(client, voice_report(app, "ama", heard=LOOP), SAID)
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")

    refused = export(monkeypatch, tmp_path, app, database_url, "--out", str(used))
    assert refused.exit_code != 0 and "not an empty directory" in refused.output
    assert [p.name for p in used.iterdir()] == ["notes.txt"]

    later = export(monkeypatch, tmp_path, app, database_url, "--out", str(tmp_path / "later"),
                   "--since", "2026-03-15")
    assert "0 note(s) exported" in later.output, later.output
    # corrected at 10:30 on the mairie's clock, 09:30 UTC: still "on or after" its day
    today = export(monkeypatch, tmp_path, app, database_url, "--out", str(tmp_path / "today"),
                   "--since", "2026-03-14")
    assert "1 note(s) exported" in today.output, today.output
    elsewhere = export(monkeypatch, tmp_path, app, database_url, "--out",
                       str(tmp_path / "calavi"), "--commune", "Abomey-Calavi")
    assert "0 note(s) exported" in elsewhere.output, elsewhere.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_withdrawn_forgotten_erased_or_unreadable_notes_stay_out(app, client,
                                                                 tmp_path) -> None:
    notes = [voice_report(app, f"2299700001{n}", heard=LOOP, rate=16_000 + 1000 * n)
             for n in range(5)]  # five recordings, five files
    for note in notes:
        correct(client, note, SAID)
    withdrawn, forgotten, erased, damaged, _kept = notes
    with app.uow_factory() as uow:
        now = uow.clock.now()
        for note, change in ((withdrawn, "voice_data_consent_at"), (forgotten, "forgotten_at")):
            citizen = uow.session.exec(select(Citizen).join(Submission).where(
                Submission.reference == note.reference)).one()
            setattr(citizen, change, None if change == "voice_data_consent_at" else now)
        uow.session.get_one(Attachment, erased.attachment_id).erased_at = now
        broken = uow.media.absolute(uow.session.get_one(Attachment, damaged.attachment_id).path)
        chosen = dataset.training_notes(uow=uow, language="fon")
    assert dict(chosen.skipped) == {"consent": 2, "erased": 1}
    broken.write_bytes(b"RIFF and nothing else")

    written = dataset.write_dataset(notes=chosen.notes, language="fon", out=tmp_path / "out",
                                    pcm16=cli._pcm16(app.settings))

    assert (written.notes, written.unreadable) == (1, 1)
    assert abs(written.seconds - SECONDS) < 0.02
    assert len(list((tmp_path / "out" / "audio").iterdir())) == 1

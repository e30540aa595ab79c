"""A voice note end to end: French speech (espeak-ng, OGG/Opus as Telegram sends it) posted to
the Telegram webhook, fetched from a fake Bot API, transcribed by a real Whisper model (the
offline base model) in the transcription worker, shown back to the citizen to confirm, and the
report with its transcript seen by a moderator through the admin API, search included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.moderation import service as moderation
from core.moderation.models import Role
from core.transcripts import service as transcripts
from core.transcripts.models import Transcription
from palabre.bootstrap import App, bootstrap
from palabre.settings import Settings
from palabre.speech import transcriber
from palabre.web import create_web_app
from tests import speech
from tests.e2e.test_telegram import TOKEN, Chat
from tests.fakes.telegram_api import FakeTelegramApi

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing is downloaded in a test
SAID = "Bonjour, je m'appelle Marie. La route est très mauvaise, il y a beaucoup de poubelles."
KEY_WORDS = {"route", "beaucoup"}  # what espeak says and Whisper base hears reliably
VOICE_FILE = "AwACAgQAAxkBAAIB-voice"  # the file_id of tests/fixtures/telegram/voice.json


@pytest.fixture(scope="module")
def note(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    for problem in (speech.espeak_missing(), speech.encoder_missing("ogg-opus")):
        if problem:
            pytest.skip(problem)
    samples, rate = speech.speak(SAID)
    return speech.encode(samples, rate, tmp_path_factory.mktemp("note") / "note",
                         "ogg-opus").read_bytes()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed")
    from transcription import models

    folder = tmp_path_factory.mktemp("models")
    try:
        models.bundled_base(folder / "whisper-base")
    except models.ModelNotInstalled as missing:
        pytest.skip(str(missing))
    return folder


@pytest.fixture(scope="module")
def worker_settings(model_dir: Path) -> Settings:
    return Settings(transcription_routes="*=faster-whisper:bundled-base",
                    transcription_model_dir=model_dir, transcription_threads=2, _env_file=None)


@pytest.fixture(scope="module")
def hearing(worker_settings: Settings):
    """The transcription worker's speech service, its model loaded once for the module."""
    service = transcriber(worker_settings)
    service.preload()  # type: ignore[attr-defined]
    return service


@pytest.fixture
def fake():
    with FakeTelegramApi(tokens=[TOKEN]) as api:
        yield api


@pytest.fixture
def tg(app, settings, clock, messenger, fake, worker_settings) -> App:
    configured = Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                             "telegram_api_url": fake.url,
                             "transcription_routes": worker_settings.transcription_routes,
                             "transcription_model_dir": worker_settings.transcription_model_dir},
                          _env_file=None)
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.close()


def test_a_voice_note_is_transcribed_confirmed_and_filed_with_its_transcript(
        tg, fake, clock, note, hearing) -> None:
    web = TestClient(create_web_app(tg))
    chat = Chat(tg, web, fake, clock)
    chat.onboard()
    chat.press("report")
    chat.press(chat.button("2"))  # a category
    chat.send("location")
    chat.press(chat.button("1"))  # no photo
    fake.add_file(VOICE_FILE, note)

    waiting = chat.send("voice")
    assert any("J'écoute votre note vocale" in r for r in waiting)
    assert transcripts.transcribe_waiting(uow_factory=tg.uow_factory, transcriber=hearing,
                                          worker="test") == 1
    shown = chat.run()[-1]
    assert shown.startswith("J'ai compris : « ")
    assert KEY_WORDS <= set(speech.words(shown)), shown
    assert [row[0]["callback_data"] for row in chat.last_markup()["inline_keyboard"]] == [
        "yes", "retry", "keep"]
    summary = chat.press("yes")[-1]
    assert KEY_WORDS <= set(speech.words(summary)), summary
    done = chat.press(chat.button("1"))[-1]
    reference = done.split("référence ")[1].split(".")[0]

    with tg.uow_factory() as uow:
        admin = moderation.add_moderator(uow=uow, name="awa", role=Role.ADMIN)
        token = moderation.issue_token(uow=uow, moderator=admin).token
        uow.commit()
    staff = {"Authorization": f"Bearer {token}"}
    detail = web.get(f"/api/v1/submissions/{reference}", headers=staff).json()
    (voice,) = [a for a in detail["attachments"] if a["kind"] == "voice"]
    heard = voice["transcript"]
    assert heard["status"] == "done" and heard["backend"] == "faster-whisper"
    assert heard["language"] == "fr" and heard["model"] == "bundled-base"
    assert KEY_WORDS <= set(speech.words(heard["text"]))
    assert detail["description"] == heard["text"]
    audio = web.get(voice["url"], headers=staff)
    assert audio.status_code == 200 and audio.content == note  # the audio, kept as sent

    found = web.get("/api/v1/submissions", params={"q": "poubelles route"}, headers=staff)
    assert [item["reference"] for item in found.json()["data"]] == [reference]


def test_worker_processes_hear_queued_notes_and_stop_cleanly(
        tg, fake, clock, note, worker_settings) -> None:
    """What `palabre serve` and `palabre worker` start: separate processes on the database."""
    import time

    from palabre.speech import Workers

    web = TestClient(create_web_app(tg))
    chat = Chat(tg, web, fake, clock)
    chat.onboard()
    chat.press("report")
    chat.press(chat.button("2"))
    chat.send("location")
    chat.press(chat.button("1"))
    fake.add_file(VOICE_FILE, note)
    chat.send("voice")

    settings = Settings(**{**tg.settings.model_dump(),
                           "transcription_threads": worker_settings.transcription_threads},
                        _env_file=None)
    workers = Workers(settings, 1).start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with tg.uow_factory() as uow:
                (row,) = uow.session.exec(select(Transcription)).all()
            alive = any(p.is_alive() for p in workers.processes)
            if row.status in ("done", "failed") or not alive:
                break
            time.sleep(0.2)
    finally:
        workers.stop()
    assert row.status == "done" and row.attempts == 1 and row.processing_ms
    assert KEY_WORDS <= set(speech.words(row.text or ""))
    assert workers.processes == []
    assert chat.run()[-1].startswith("J'ai compris : « ")


def test_palabre_transcribe_prints_what_each_file_says(note, model_dir, tmp_path,
                                                       monkeypatch) -> None:
    from click.testing import CliRunner

    from palabre.cli import main

    recording = tmp_path / "marie.ogg"
    recording.write_bytes(note)
    junk = tmp_path / "photo.ogg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    monkeypatch.setenv("PALABRE_TRANSCRIPTION_ROUTES", "*=faster-whisper:bundled-base")
    monkeypatch.setenv("PALABRE_TRANSCRIPTION_MODEL_DIR", str(model_dir))

    result = CliRunner().invoke(main, ["transcribe", str(recording), str(junk),
                                       "--language", "fr"])
    assert result.exit_code == 0, result.output
    heard, refused = result.output.split(str(junk))
    assert "[fr, " in heard and "faster-whisper bundled-base]" in heard
    assert KEY_WORDS <= set(speech.words(heard))
    assert "not transcribed (undecodable" in refused


def test_palabre_worker_refuses_to_start_without_routes(monkeypatch) -> None:
    from click.testing import CliRunner

    from palabre.cli import main

    monkeypatch.setenv("PALABRE_TRANSCRIPTION_ROUTES", "")
    result = CliRunner().invoke(main, ["worker", "--no-turns", "--no-deliveries",
                                       "--transcription", "1"])
    assert result.exit_code != 0 and "PALABRE_TRANSCRIPTION_ROUTES" in result.output

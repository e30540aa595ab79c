"""The language a citizen speaks, apart from the one they read, end to end on Telegram: a Fon
speaker reads French, and their voice note goes to the Fon route — a CTC model (the tiny one
tests/tiny_ctc.py builds, run by onnxruntime) — or, with no Fon route, stays audio for the
mairie, said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.citizens.models import Citizen
from core.transcripts import service as transcripts
from core.transcripts.models import Transcription
from palabre.bootstrap import App, bootstrap
from palabre.settings import Settings
from palabre.speech import transcriber
from palabre.web import create_web_app
from tests import speech, tiny_ctc
from tests.e2e.test_telegram import TOKEN, Chat
from tests.fakes.telegram_api import FakeTelegramApi

VOICE_FILE = "AwACAgQAAxkBAAIB-voice"  # the file_id of tests/fixtures/telegram/voice.json
SAID = "allo mama"  # what the tiny model's tones spell


@pytest.fixture(scope="module")
def fon_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_ctc.write_model(tmp_path_factory.mktemp("models") / "fon")


@pytest.fixture(scope="module")
def note(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The tiny model's words as a Telegram voice note (OGG/Opus)."""
    if problem := speech.encoder_missing("ogg-opus"):
        pytest.skip(problem)
    samples = tiny_ctc.note(tiny_ctc.spell(SAID), frames=4)
    return speech.encode(samples, 16_000, tmp_path_factory.mktemp("note") / "fon",
                         "ogg-opus").read_bytes()


@pytest.fixture
def fake():
    with FakeTelegramApi(tokens=[TOKEN]) as api:
        yield api


def telegram_app(settings: Settings, fake: FakeTelegramApi, clock, messenger,
                 routes: str) -> App:
    """Palabre with a Telegram bot and these speech routes, on the database the `app`
    fixture cleaned."""
    configured = Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                             "telegram_api_url": fake.url, "transcription_routes": routes},
                          _env_file=None)
    return bootstrap(configured, clock=clock, messengers={"console": messenger})


def a_fon_speaker_reports_by_voice(app: App, fake: FakeTelegramApi, clock,
                                   note: bytes) -> list[str]:
    """Onboarding in Fon, then a report whose description is a voice note; the replies."""
    chat = Chat(app, TestClient(create_web_app(app)), fake, clock)
    chat.text("Bonjour")
    told = chat.press("lang:fon")
    chat.text("Cotonou")
    chat.press(chat.button("1"))  # consent
    chat.press(chat.button("5"))  # skip the inclusion questions
    chat.press("report")
    chat.press(chat.button("2"))  # a category
    chat.send("location")
    chat.press(chat.button("1"))  # no photo
    fake.add_file(VOICE_FILE, note)
    return [*told, *chat.send("voice"), *hear(app, chat)]


def hear(app: App, chat: Chat) -> list[str]:
    """The transcription worker's round, then what the citizen was told."""
    transcripts.transcribe_waiting(uow_factory=app.uow_factory,
                                   transcriber=transcriber(app.settings), worker="test")
    return chat.run()


def test_a_fon_speakers_note_is_heard_by_the_fon_model(app, settings, fake, clock, messenger,
                                                       fon_model, note) -> None:
    tg = telegram_app(settings, fake, clock, messenger,
                       f"fon=ctc:{fon_model},*=faster-whisper:bundled-base")
    try:
        replies = a_fon_speaker_reports_by_voice(tg, fake, clock, note)

        assert any("vous parlez Fon (Fɔngbè)" in reply and "Je vous écris en français" in reply
                   for reply in replies), replies
        assert replies[-1].startswith(f"J'ai compris : « {SAID} »"), replies[-1]
        with tg.uow_factory() as uow:
            citizen = uow.session.exec(select(Citizen)).one()
            heard = uow.session.exec(select(Transcription)).one()
        assert (citizen.spoken_language, citizen.language) == ("fon", "fr")
        assert (heard.language_hint, heard.language, heard.backend) == ("fon", "fon", "ctc")
        assert heard.text == SAID
    finally:
        tg.close()


def test_with_no_fon_route_the_note_stays_audio_and_the_citizen_is_told(
        app, settings, fake, clock, messenger, note) -> None:
    tg = telegram_app(settings, fake, clock, messenger, "*=faster-whisper:bundled-base")
    try:
        replies = a_fon_speaker_reports_by_voice(tg, fake, clock, note)

        with tg.uow_factory() as uow:
            heard = uow.session.exec(select(Transcription)).one()
        assert (heard.status, heard.reason, heard.text) == ("failed", "no_model", None)
        assert not any(reply.startswith("J'ai compris") for reply in replies)
        assert any(reply.startswith("Je ne sais pas encore transcrire cette langue. Votre note "
                                    "vocale est gardée : la mairie l'écoutera.")
                   for reply in replies), replies
    finally:
        tg.close()

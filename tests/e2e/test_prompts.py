"""Prompts a citizen can hear: a Cotonou moderator records the menu's question in Fon in the
console (a phone's recording, made into an OGG/Opus voice note); a Fon speaker of Cotonou then
gets it as a voice message just after the text, on the console channel, on Telegram (sendVoice)
and on WhatsApp (audio Twilio fetches from Palabre); a French speaker and a message nobody
recorded get text only. Refusals, another commune, removal, and `palabre prompts status`."""

from __future__ import annotations

import html
import io
import uuid
from pathlib import Path

import av
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.messages.neutral import InboundMessage
from core.moderation.models import AuditEntry
from core.prompts.models import PromptRecording
from palabre.bootstrap import App, bootstrap
from palabre.prompts import coverage, status_lines
from palabre.settings import Settings
from palabre.web import create_web_app
from tests import speech
from tests.e2e.console_client import account, hidden_fields, signed_in_browser
from tests.e2e.test_telegram import TOKEN, Chat, update
from tests.e2e.test_whatsapp import CITIZEN as WHATSAPP_CITIZEN
from tests.e2e.test_whatsapp import Phone, whatsapp_settings
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi
from tests.talk import Talker

PAGE = "/console/prompts"
KEY = "menu.title"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A phone's recording: 1.5 s of sound in a WAV file."""
    folder = tmp_path_factory.mktemp("prompt")
    return speech.write_wav(folder / "menu.wav", speech.tone(1.5), 16_000).read_bytes()


def record(client: TestClient, data: bytes, *, key: str = KEY, language: str = "fon",
           commune: str = "BJ-LI-COT", name: str = "menu.m4a"):
    page = client.get(f"{PAGE}?language={language}&group={key.split('.')[0]}")
    form = {**hidden_fields(page, PAGE), "commune": commune, "language": language, "key": key}
    return client.post(PAGE, data=form, files={"file": (name, data, "audio/mp4")},
                       follow_redirects=False)


def telegram_bot(settings: Settings, fake: FakeTelegramApi, clock, messenger,
                 **more: str) -> App:
    """Palabre with a Telegram bot on the fake Bot API (and these settings more)."""
    return bootstrap(Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                                 "telegram_api_url": fake.url, **more}, _env_file=None),
                     clock=clock, messengers={"console": messenger})


def recorded(app: App) -> list[PromptRecording]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(PromptRecording)).all())


def test_a_recorded_question_reaches_fon_speakers_as_a_voice_note(app, messenger,
                                                                  recording) -> None:
    moderator = signed_in_browser(app)
    done = record(moderator, recording)
    assert done.status_code == 303 and done.headers["location"].endswith(f"#{KEY}")
    page = moderator.get(done.headers["location"])
    (row,) = recorded(app)
    assert "Message vocal enregistré" in page.text
    assert f'<audio controls preload="none" src="/prompts/{row.id}/voice">' in page.text
    served = moderator.get(f"/prompts/{row.id}/voice")
    assert served.headers["content-type"] == "audio/ogg"
    with av.open(io.BytesIO(served.content)) as note:
        assert note.streams.audio[0].codec_context.name == "opus"
    assert row.seconds == pytest.approx(1.5, abs=0.05)

    afi = Talker(app, messenger, "afi")
    afi.onboard(language="3")  # Fon; the onboarding ends at the menu
    kofi = Talker(app, messenger, "kofi")
    kofi.onboard()  # French

    afi_got = [m for m in messenger.sent if m.address == "afi"]
    voice = next(i for i, m in enumerate(afi_got) if m.hints.get("voice"))
    assert (afi_got[voice].hints["voice"], afi_got[voice].media_path) == (KEY, row.media_path)
    assert afi_got[voice].purpose == "prompt_voice" and afi_got[voice].text == ""
    assert "Mairie de Cotonou" in afi_got[voice - 1].text  # the text first, with its choices
    assert sum(1 for m in afi_got if m.hints.get("voice")) == 1  # nothing else was recorded
    assert not any(m.hints.get("voice") for m in messenger.sent if m.address == "kofi")
    with app.uow_factory() as uow:
        (entry,) = uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "prompt_recorded")).all()
    assert entry.after == {"language": "fon", "key": KEY, "seconds": 1.5}


def test_a_second_recording_replaces_the_first_and_removing_it_brings_text_back(
        app, messenger, recording, tmp_path: Path) -> None:
    moderator = signed_in_browser(app)
    record(moderator, recording)
    longer = speech.write_wav(tmp_path / "again.wav", speech.tone(2.5), 16_000).read_bytes()
    record(moderator, longer)
    (row,) = recorded(app)
    assert row.seconds == pytest.approx(2.5, abs=0.05)

    page = moderator.get(f"{PAGE}?language=fon&group=menu")
    action = f"/console/prompts/{row.id}/remove"
    removed = moderator.post(action, data=hidden_fields(page, action), follow_redirects=False)
    assert removed.status_code == 303 and recorded(app) == []
    afi = Talker(app, messenger, "afi")
    afi.onboard(language="3")
    assert not any(m.hints.get("voice") for m in messenger.sent)


def test_a_recording_is_heard_once_an_hour(app, messenger, recording, clock) -> None:
    record(signed_in_browser(app), recording)
    afi = Talker(app, messenger, "afi")
    afi.onboard(language="3")
    afi.send("menu")
    clock.advance(minutes=30)
    afi.send("menu")

    def voices() -> int:
        return sum(1 for m in messenger.sent if m.address == "afi" and m.hints.get("voice"))

    assert voices() == 1  # the menu came three times, its voice once
    clock.advance(minutes=31)
    afi.send("menu")
    assert voices() == 2  # an hour on, once more


def test_a_recording_removed_while_its_voice_waits_is_kept_until_it_goes(
        app, messenger, recording, clock) -> None:
    moderator = signed_in_browser(app)
    record(moderator, recording)
    (row,) = recorded(app)
    afi = Talker(app, messenger, "afi")
    afi.onboard(language="3")
    messenger.sent.clear()
    clock.advance(hours=2)
    afi.app.pipeline.receive(_text("afi", "menu"))
    afi.app.pipeline.process_pending()  # the text, then its voice, queued, not sent yet

    page = moderator.get(f"{PAGE}?language=fon&group=menu")
    action = f"/console/prompts/{row.id}/remove"
    removed = moderator.post(action, data=hidden_fields(page, action), follow_redirects=False)
    afi.app.pipeline.deliver()

    assert removed.status_code == 303 and recorded(app) == []
    assert [bool(m.hints.get("voice")) for m in messenger.sent] == [False, True]
    with app.uow_factory() as uow:
        assert uow.media.absolute(row.media_path).is_file()  # a queued voice still had it


def _text(address: str, words: str) -> InboundMessage:
    return InboundMessage(channel="console", address=address, account="console",
                          external_id=uuid.uuid4().hex, text=words)


@pytest.mark.parametrize(("data", "says"), [
    (b"not a recording at all", "Ce fichier n'est pas un enregistrement audio lisible"),
    (b"", "Choisissez un fichier"),
])
def test_a_file_that_is_no_recording_is_refused_plainly(app, data: bytes, says: str) -> None:
    moderator = signed_in_browser(app)
    refused = record(moderator, data, name="note.txt")
    page = moderator.get(refused.headers["location"])

    assert "refused=" in refused.headers["location"]
    assert says in html.unescape(page.text)
    assert recorded(app) == []


def test_another_communes_moderator_can_neither_record_nor_remove(app, recording) -> None:
    record(signed_in_browser(app), recording)
    (row,) = recorded(app)
    account(app, "bio", communes=("BJ-ZO-BOH",))
    bohicon = signed_in_browser(app, "bio")

    page = bohicon.get(PAGE)
    as_cotonou = bohicon.post(PAGE, data={**hidden_fields(page, PAGE), "commune": "BJ-LI-COT",
                                          "language": "fon", "key": KEY},
                              files={"file": ("m.wav", recording, "audio/wav")},
                              follow_redirects=False)
    action = f"/console/prompts/{row.id}/remove"
    removing = bohicon.post(action, data=hidden_fields(page, PAGE), follow_redirects=False)

    assert as_cotonou.status_code == removing.status_code == 404
    assert len(recorded(app)) == 1


def test_on_telegram_the_recording_goes_as_a_voice_message(app, settings, clock, messenger,
                                                           recording) -> None:
    record(signed_in_browser(app), recording)
    with FakeTelegramApi(tokens=[TOKEN]) as fake:
        tg = telegram_bot(settings, fake, clock, messenger)
        try:
            chat = Chat(tg, TestClient(create_web_app(tg)), fake, clock)
            chat.text("Bonjour")
            chat.press("lang:fon")
            chat.text("Cotonou")
            chat.press(chat.button("1"))  # consent
            chat.press(chat.button("5"))  # skip the questions: the menu follows
            chat.run()  # one message a second in a chat: the voice goes after the text
            voices = fake.sent("sendVoice", ok=True)
            texts = fake.sent("sendMessage", ok=True)
        finally:
            tg.close()
    assert len(voices) == 1
    assert texts[-1].at < voices[0].at and "Mairie de Cotonou" in texts[-1].params["text"]


def test_on_whatsapp_the_recording_is_audio_twilio_fetches(app, settings, clock, messenger,
                                                           recording) -> None:
    record(signed_in_browser(app), recording)
    (row,) = recorded(app)
    with FakeTwilioApi() as twilio:
        wa = bootstrap(whatsapp_settings(settings, twilio), clock=clock,
                       messengers={"console": messenger})
        try:
            phone = Phone(wa, TestClient(create_web_app(wa)), twilio, clock)
            phone.text("Bonjour")
            phone.text("3")  # Fon
            phone.text("Cotonou")
            phone.text("1")  # consent
            phone.text("5")  # skip the questions: the menu follows
            sent, shown = twilio.sent(WHATSAPP_CITIZEN), twilio.bodies(WHATSAPP_CITIZEN)
        finally:
            wa.close()
    audio = [call for call in sent if call.params.get("MediaUrl")]
    assert [call.params["MediaUrl"] for call in audio] == [
        [f"https://palabre.example.bj/prompts/{row.id}/voice"]]
    assert sent[-1] is audio[0] and "Mairie de Cotonou" in shown[-1]  # the menu, then it


def test_prompts_status_counts_what_each_commune_recorded(app, recording) -> None:
    record(signed_in_browser(app), recording)
    record(signed_in_browser(app), recording, key="onboarding.commune.ask")
    keys = {"menu.title": "…", "onboarding.commune.ask": "…", "onboarding.done": "…"}

    lines = status_lines(coverage(recorded(app), keys), keys, {"BJ-LI-COT": "Cotonou"},
                         missing=True)

    assert lines == ["Cotonou · fon: 2 of 3 messages recorded (menu 1, onboarding 1)",
                     "    not recorded: onboarding.done"]
    assert status_lines({}, keys, {}, missing=False)[0].startswith("No message is recorded")


STAFF_CHAT = "-1009876543210"


def staff_voice(update_id: int, caption: str, *, chat: str = STAFF_CHAT) -> dict:
    """A moderator's voice note in a group, captioned."""
    data = update("voice", update_id=update_id, caption=caption)
    data["message"]["chat"] = {"id": int(chat), "title": "Mairie de Cotonou — agents",
                               "type": "supergroup"}
    return data


def test_a_moderator_records_from_the_staff_chat_and_a_fon_speaker_hears_it(
        app, settings, clock, messenger, tmp_path: Path) -> None:
    if problem := speech.encoder_missing("ogg-opus"):
        pytest.skip(problem)
    note = speech.encode(speech.tone(2.0), 16_000, tmp_path / "staff", "ogg-opus").read_bytes()
    with FakeTelegramApi(tokens=[TOKEN]) as fake:
        tg = telegram_bot(settings, fake, clock, messenger,
                          telegram_staff_chats=f"Cotonou={STAFF_CHAT}")
        try:
            chat = Chat(tg, TestClient(create_web_app(tg)), fake, clock)
            fake.add_file("AwACAgQAAxkBAAIB-voice", note)
            for number, caption in enumerate(["/vocal fon menu.title", "/vocal fon menu.titel",
                                              "/vocal menu.title", "/vocal fon menu.title"]):
                chat.post(staff_voice(900 + (number if number < 3 else 0), caption))
            chat.post(staff_voice(950, "/vocal fon menu.title", chat="-1001111111111"))
            for _ in range(4):  # a group gets a message every few seconds at most
                chat.run()
            told = fake.texts(STAFF_CHAT)
            rows = recorded(tg)
            chat.text("Bonjour")
            chat.press("lang:fon")
            chat.text("Cotonou")
            chat.press(chat.button("1"))  # consent
            chat.press(chat.button("5"))  # skip the questions: the menu follows
            chat.run()
            voices = fake.sent("sendVoice", ok=True)
        finally:
            tg.close()
    assert [(r.language, r.key, r.recorded_by) for r in rows] == [
        ("fon", "menu.title", "Afi Dossou (telegram)")]  # once, though Telegram sent it twice
    assert told[0].startswith("Je ne connais pas le message « menu.titel »")
    assert told[1].startswith("Pour enregistrer un message du bot")
    assert told[2].startswith("✅ Enregistré : « menu.title » en fon (2 s). Les citoyens de "
                              "Cotonou")
    assert len(told) == 3  # the other group's note was left alone
    assert len(voices) == 1
    with app.uow_factory() as uow:
        (entry,) = uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "prompt_recorded")).all()
    assert entry.actor == "Afi Dossou (telegram)" and entry.commune_id == "BJ-LI-COT"


def test_a_staff_note_that_is_no_recording_is_answered_and_not_kept(
        app, settings, clock, messenger) -> None:
    with FakeTelegramApi(tokens=[TOKEN]) as fake:
        tg = telegram_bot(settings, fake, clock, messenger,
                          telegram_staff_chats=f"Cotonou={STAFF_CHAT}")
        try:
            chat = Chat(tg, TestClient(create_web_app(tg)), fake, clock)
            fake.add_file("AwACAgQAAxkBAAIB-voice", b"this is not a voice note")
            chat.post(staff_voice(901, "/vocal fon menu.title"))
            chat.run()
            told = fake.texts(STAFF_CHAT)
        finally:
            tg.close()
    assert told == ["Je n'arrive pas à lire cette note vocale : rien n'a été enregistré."]
    assert recorded(app) == []

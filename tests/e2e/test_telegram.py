"""Telegram end to end: Bot API updates (tests/fixtures/telegram) posted to the webhook, the
pipeline run, and what reached a fake Bot API server on loopback."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bots.telegram.config import CHANNEL
from bots.telegram.polling import Poller
from core.citizens.models import ChannelIdentity
from core.messages import service as messages
from core.messages.models import Attachment, InboundRecord, OutboxRecord, ProviderPost
from core.moderation import service as moderation
from core.moderation.models import Role
from core.submissions.models import Submission
from palabre.bootstrap import App, bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.fakes.telegram_api import FakeTelegramApi

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
TOKEN = "123456789:AAH-fake-token-for-palabre-tests_0"
BOT = "123456789"
CITIZEN = 777000111
GROUP = -1001234567890
JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)
OGG = b"OggS" + bytes(3000)


def update(name: str, **changes: Any) -> dict[str, Any]:
    """A recorded update, with its update_id or message fields changed."""
    data = copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))
    for key, value in changes.items():
        if key == "update_id":
            data["update_id"] = value
        else:
            body = data.get("message") or data.get("edited_message")
            body[key] = value
    return data


@pytest.fixture
def fake():
    with FakeTelegramApi(tokens=[TOKEN]) as api:
        yield api


@pytest.fixture
def tg(app, settings, clock, messenger, fake) -> App:
    """Palabre with one Telegram bot talking to the fake Bot API (clean database)."""
    configured = Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                             "telegram_api_url": fake.url}, _env_file=None)
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.close()


@pytest.fixture
def web(tg) -> TestClient:
    return TestClient(create_web_app(tg))


def secret(app: App) -> dict[str, str]:
    assert app.telegram is not None
    return {"X-Telegram-Bot-Api-Secret-Token": app.telegram.config.bots[0].secret}


class Chat:
    """A citizen in a private chat: posts updates, lets the worker run, reads the replies."""

    def __init__(self, app: App, web: TestClient, fake: FakeTelegramApi, clock) -> None:
        self.app, self.web, self.fake, self.clock = app, web, fake, clock
        self.next_id = 600000000
        self.seen = 0

    def post(self, data: dict[str, Any]) -> Any:
        answer = self.web.post("/webhooks/telegram", json=data, headers=secret(self.app))
        assert answer.status_code == 200, answer.text
        return answer

    def send(self, name: str = "text", **changes: Any) -> list[str]:
        self.next_id += 1
        self.post(update(name, update_id=self.next_id, **changes))
        return self.run()

    def text(self, words: str) -> list[str]:
        return self.send("text", text=words)

    def press(self, data: str) -> list[str]:
        self.next_id += 1
        pressed = update("callback_query", update_id=self.next_id)
        pressed["callback_query"]["data"] = data
        answer = self.post(pressed)
        assert answer.json() == {"method": "answerCallbackQuery",
                                 "callback_query_id": "4382bfdwdsb323b2d9"}
        return self.run()

    def run(self) -> list[str]:
        self.clock.advance(seconds=2)  # Telegram's one message a second per chat
        self.app.pipeline.run_once()
        texts = self.fake.texts(CITIZEN)
        fresh, self.seen = texts[self.seen:], len(texts)
        return fresh

    def last_markup(self) -> dict[str, Any]:
        markup = self.fake.sent("sendMessage", CITIZEN, ok=True)[-1].params.get("reply_markup")
        assert isinstance(markup, dict)
        return markup

    def onboard(self) -> None:
        self.text("Bonjour")
        self.press("lang:fr")
        self.text("Cotonou")
        self.press(self.button("1"))  # consent
        self.press(self.button("5"))  # skip the inclusion questions

    def button(self, number: str) -> str:
        rows = self.last_markup()["inline_keyboard"]
        return rows[int(number) - 1][0]["callback_data"]


@pytest.fixture
def chat(tg, web, fake, clock) -> Chat:
    return Chat(tg, web, fake, clock)


def test_a_forged_or_missing_secret_is_refused(web, tg, caplog) -> None:
    body = update("text")
    assert web.post("/webhooks/telegram", json=body).status_code == 403
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}
    assert web.post("/webhooks/telegram", json=body, headers=wrong).status_code == 403
    assert web.post("/webhooks/telegram/999", json=body, headers=secret(tg)).status_code == 403
    assert "wrong secret" in caplog.text
    with tg.uow_factory() as uow:
        assert uow.session.exec(select(InboundRecord)).all() == []


@pytest.mark.parametrize("body", [b"not json", b'{"message": {"text": "hi"}}', b"[1, 2]",
                                  b'{"update_id": "x"}'])
def test_a_body_that_is_not_an_update_gets_400_and_a_log_line(web, tg, body, caplog) -> None:
    caplog.set_level(logging.WARNING)
    answer = web.post(f"/webhooks/telegram/{BOT}", content=body, headers=secret(tg))
    assert answer.status_code == 400 and "not a Telegram Update" in answer.json()["detail"]
    assert "malformed update" in caplog.text


def _without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    """The update with the field at this path removed."""
    changed = copy.deepcopy(data)
    *parents, last = path
    inner = changed
    for key in parents:
        inner = inner[key]
    del inner[last]
    return changed


UNREADABLE = [
    {"update_id": 5, "message": {"chat": "x"}},
    _without(update("text"), "message", "date"),
    _without(update("text"), "message", "chat"),
    _without(update("text"), "message", "message_id"),
    _without(update("callback_query"), "callback_query", "chat_instance"),
    update("text", chat={"id": CITIZEN}),  # a chat without its type
    update("text", chat={"id": "x" * 80, "type": "private"}),
    update("text", **{"from": {"id": CITIZEN, "is_bot": False, "first_name": 5}}),
    update("location", location={"latitude": "ici", "longitude": 2.39}),
]


@pytest.mark.parametrize("body", UNREADABLE)
def test_an_update_the_worker_could_not_read_gets_400_and_nothing_is_stored(
        web, tg, body, caplog) -> None:
    caplog.set_level(logging.WARNING)
    answer = web.post(f"/webhooks/telegram/{BOT}", json=body, headers=secret(tg))
    assert answer.status_code == 400 and "not a Telegram Update" in answer.json()["detail"]
    assert "malformed update" in caplog.text
    with tg.uow_factory() as uow:
        assert uow.session.exec(select(ProviderPost)).all() == []
        assert uow.session.exec(select(InboundRecord)).all() == []


def test_a_first_message_gets_the_language_question_as_buttons(chat, fake) -> None:
    replies = chat.text("Bonjour")

    assert len(replies) == 1 and "Bienvenue" in replies[0]
    buttons = [row[0] for row in chat.last_markup()["inline_keyboard"]]
    assert {"text": "Français", "callback_data": "lang:fr"} in buttons
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)


def test_a_provider_retry_is_handled_once(chat, tg, fake) -> None:
    first = update("text", update_id=700000001)
    chat.post(first)
    chat.post(first)
    chat.run()

    with tg.uow_factory() as uow:
        assert len(uow.session.exec(select(InboundRecord)).all()) == 1
    assert len(fake.sent("sendMessage", CITIZEN)) == 1


def test_buttons_are_answered_and_lead_the_dialog(chat) -> None:
    chat.text("Bonjour")
    replies = chat.press("lang:fr")
    assert any("commune" in r.lower() for r in replies)


def test_a_deep_link_opens_the_report_after_onboarding(chat) -> None:
    chat.send("command_start_deeplink")  # /start report, as t.me/bot?start=report sends it
    chat.press("lang:fr")
    chat.text("Cotonou")
    chat.press(chat.button("1"))
    replies = chat.press(chat.button("5"))
    assert replies[-1].endswith("De quel problème s'agit-il ?")  # the report's first question


def _to_location_step(chat: Chat) -> None:
    chat.onboard()
    chat.press("report")
    chat.press(chat.button("2"))  # a category


def test_the_location_step_offers_a_button_that_sends_the_position(chat) -> None:
    _to_location_step(chat)
    markup = chat.last_markup()
    first = markup["keyboard"][0][0]
    assert first == {"text": "📍 Envoyer ma position", "request_location": True}
    assert markup["one_time_keyboard"] is True


def test_a_pin_far_outside_the_commune_is_questioned_with_buttons(chat) -> None:
    _to_location_step(chat)

    asked = chat.send("location", location={"latitude": 9.34, "longitude": 2.63})

    assert "Ce point semble hors de Cotonou : il est à 332 km de son centre, près de " \
           "Parakou." in asked[-1]
    offered = [row[0]["callback_data"] for row in chat.last_markup()["inline_keyboard"]]
    assert offered == ["keep", "again"]
    again = chat.press("again")
    assert again[-1].startswith("Où est-ce ? Envoyez votre position")
    assert any("Position reçue" in r for r in chat.send("location"))  # Vedoko, in Cotonou


def test_a_report_with_pin_and_photo_and_a_status_change_reaching_telegram(
        chat, tg, web, fake) -> None:
    _to_location_step(chat)
    assert any("Position reçue" in r for r in chat.send("location"))
    fake.add_file("AgACAgQAAxkBAAIB-large", JPEG)
    assert any("Photo reçue" in r for r in chat.send("photo"))
    chat.text("Caniveau bouché devant l'école, l'eau déborde")
    offered = chat.last_markup()["inline_keyboard"]
    if any(row[0]["callback_data"] == "new" for row in offered):
        chat.press("new")
    done = chat.press(chat.button("1"))
    reference = done[-1].split("référence ")[1].split(".")[0]

    with tg.uow_factory() as uow:
        filed = uow.session.exec(select(Submission)).one()
        photo = uow.session.exec(select(Attachment).where(
            Attachment.submission_id == filed.id)).one()
        admin = moderation.add_moderator(uow=uow, name="awa", role=Role.ADMIN)
        token = moderation.issue_token(uow=uow, moderator=admin).token
        uow.commit()
    assert filed.reference == reference and filed.latitude == pytest.approx(6.3703)
    assert tg.uow_factory.media.absolute(photo.path).read_bytes() == JPEG

    changed = web.post(f"/api/v1/submissions/{reference}/status",
                       headers={"Authorization": f"Bearer {token}"},
                       json={"status": "acknowledged", "public_note": "Équipe en route"})
    assert changed.status_code == 200, changed.text
    told = chat.run()
    assert any(reference in r and "Équipe en route" in r for r in told)


def test_a_voice_note_is_fetched_and_kept(chat, tg, fake) -> None:
    chat.onboard()
    fake.add_file("AwACAgQAAxkBAAIB-voice", OGG)
    chat.send("voice")
    with tg.uow_factory() as uow:
        voice = uow.session.exec(select(Attachment)).one()
    assert voice.kind == "voice" and voice.content_type == "audio/ogg"
    assert tg.uow_factory.media.absolute(voice.path).read_bytes() == OGG


def test_a_file_over_20_mb_gets_a_polite_refusal_and_is_kept(chat, tg, fake) -> None:
    _to_location_step(chat)
    chat.send("location")
    fake.add_file("BQACAgQAAxkBAAIB-doc", b"x", file_size=25_000_000)
    replies = chat.send("document_image")
    assert any("trop lourd" in r for r in replies)
    with tg.uow_factory() as uow:
        kept = uow.session.exec(select(Attachment)).one()
        assert kept.remote == "BQACAgQAAxkBAAIB-doc" and kept.fetch_error
        assert len(uow.session.exec(select(InboundRecord)).all()) >= 1


@pytest.mark.parametrize(("name", "expected"), [
    ("sticker", "Je n'ai rien reçu à lire. Répondez par un numéro ou quelques mots."),
    ("edited_message", "J'ai vu que vous avez modifié un message"),
])
def test_what_palabre_cannot_read_gets_a_helpful_reply(chat, name, expected) -> None:
    chat.onboard()
    replies = chat.send(name)
    assert replies[-1].startswith(expected)
    assert replies[-1].endswith("que voulez-vous faire ?")  # and the question again


def test_a_group_command_answers_with_a_private_link_and_runs_no_flow(chat, tg, fake) -> None:
    chat.post(update("group_text"))
    chat.post(update("group_command"))
    chat.post(update("group_command"))  # Telegram's retry
    chat.run()

    texts = fake.texts(GROUP)
    assert texts == [
        "Pour cela, écrivez-moi en privé, c'est plus simple et discret : "
        "https://t.me/palabre_test_bot?start=report"]  # the username getMe gave
    with tg.uow_factory() as uow:
        assert uow.session.exec(select(ChannelIdentity)).all() == []


def _writing(app: App) -> bool:
    """Whether a transaction of Palabre's holds the database (while the bot asks Telegram)."""
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect() as connection:
            return bool(connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%%'").scalar())
    import sqlite3
    probe = sqlite3.connect(app.engine.url.database, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:  # "database is locked"
        return True
    finally:
        probe.close()


def test_the_bots_name_is_asked_outside_any_transaction(chat, tg, fake) -> None:
    """getMe ran inside the unpacking's transaction: a slow Telegram (up to 15 s) held the
    locks of every body being unpacked. Now it is asked before, and once."""
    seen: list[bool] = []
    answer = fake._get_me

    def get_me(request):
        seen.append(_writing(tg))
        return answer(request)

    fake._get_me = get_me
    chat.post(update("group_command"))
    chat.run()
    asked = len(seen)
    chat.post(update("group_text"))
    chat.run()
    assert asked and seen == [False] * asked  # never while a transaction held the database
    assert fake.texts(GROUP)[-1].endswith("https://t.me/palabre_test_bot?start=report")


def test_a_group_command_is_answered_at_once_when_telegram_cannot_say_the_bots_name(
        chat, tg, fake) -> None:
    fake.fail_next("getMe", status=500)
    chat.post(update("group_command"))
    chat.run()
    assert fake.texts(GROUP) == [
        "Pour cela, écrivez-moi en privé : ouvrez mon profil et appuyez sur « Démarrer »."]


def test_a_channel_post_is_acknowledged_and_ignored(chat, tg) -> None:
    chat.post(update("channel_post"))
    with tg.uow_factory() as uow:
        assert uow.session.exec(select(InboundRecord)).all() == []


def test_a_long_text_is_split_and_the_buttons_follow_the_last_part(tg, fake) -> None:
    from dialogs.render import split_text

    text = ("Paragraphe. " * 400).strip() + "\n\n" + "Fin."
    parts = split_text(text, 4096)
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).replace("\n\n", " ").split() == text.replace("\n\n", " ").split()


def test_flood_control_waits_and_a_blocked_bot_marks_the_citizen_unreachable(
        chat, tg, fake) -> None:
    chat.text("Bonjour")
    fake.fail_next("sendMessage", status=429, retry_after=7)
    chat.press("lang:fr")
    with tg.uow_factory() as uow:
        waiting = uow.session.exec(select(OutboxRecord).order_by(
            OutboxRecord.id.desc())).first()  # type: ignore[union-attr]
        assert waiting.status == "pending" and waiting.attempts == 0
    chat.clock.advance(seconds=8)
    assert any("commune" in r.lower() for r in chat.run())

    fake.block(CITIZEN)
    chat.text("Cotonou")
    with tg.uow_factory() as uow:
        identity = uow.session.exec(select(ChannelIdentity)).one()
        assert identity.unreachable


def test_flood_control_pauses_every_chat_of_the_bot_until_retry_after(tg, fake, clock) -> None:
    chats = [str(CITIZEN + n) for n in range(15)]
    with tg.uow_factory() as uow:
        for chat_id in chats:
            messages.enqueue(uow=uow, to=messages.Recipient(CHANNEL, BOT, chat_id),
                             text=f"Annonce pour {chat_id}", purpose="announcement")
        uow.commit()
    fake.fail_next("sendMessage", status=429, retry_after=5)
    concurrency = tg.settings.delivery_concurrency

    tg.pipeline.deliver()
    # The sends already in flight beside the refused one arrive; nothing starts after it.
    first = [c.status for c in fake.sent("sendMessage")]
    assert first.count(429) == 1 and len(first) <= concurrency < len(chats)
    clock.advance(seconds=4.5)
    tg.pipeline.deliver()
    assert [c.status for c in fake.sent("sendMessage")] == first  # the bot still waits
    clock.advance(seconds=0.5)
    tg.pipeline.deliver()

    assert sorted(c.chat_id or "" for c in fake.sent("sendMessage", ok=True)) == chats
    assert all(fake.texts(chat_id) == [f"Annonce pour {chat_id}"] for chat_id in chats)
    with tg.uow_factory() as uow:
        sent = uow.session.exec(select(OutboxRecord)).all()
        assert {(r.status, r.attempts) for r in sent} == {("sent", 1)}


def test_polling_skips_an_update_it_could_not_read_and_goes_on(tg, fake, caplog) -> None:
    assert tg.telegram is not None and tg.telegram.receiver is not None
    fake.queue_update(_without(update("text", update_id=800000001), "message", "date"))
    fake.queue_update(update("text", update_id=800000002))
    poller = Poller(tg.telegram.receiver, tg.telegram.config.bots[0], long_poll=0)

    assert poller.poll_once() == 2
    assert poller.offset == 800000003
    assert "malformed update" in caplog.text
    with tg.uow_factory() as uow:
        stored = uow.session.exec(select(ProviderPost)).all()
    assert [p.external_id for p in stored] == [f"{BOT}:800000002"]


def test_polling_feeds_the_same_pipeline(tg, fake, clock) -> None:
    assert tg.telegram is not None and tg.telegram.receiver is not None
    fake.queue_update(update("text", update_id=800000001))
    poller = Poller(tg.telegram.receiver, tg.telegram.config.bots[0], long_poll=0)

    assert poller.poll_once() == 1
    assert poller.poll_once() == 0  # the offset moved past it
    clock.advance(seconds=2)
    tg.pipeline.run_once()
    assert fake.texts(CITIZEN)


def test_a_network_failure_is_retried_with_backoff(chat, tg, fake) -> None:
    chat.text("Bonjour")
    fake.drop_next("sendMessage")
    assert chat.press("lang:fr") == []
    with tg.uow_factory() as uow:
        waiting = uow.session.exec(select(OutboxRecord).order_by(
            OutboxRecord.id.desc())).first()  # type: ignore[union-attr]
        assert waiting.status == "pending" and waiting.attempts == 1 and waiting.last_error
    chat.clock.advance(seconds=10)
    assert any("commune" in r.lower() for r in chat.run())


def test_photos_and_documents_go_as_files_with_their_caption(chat, tg, fake) -> None:
    from core.messages import service as messages

    chat.text("Bonjour")
    with tg.uow_factory() as uow:
        identity = uow.session.exec(select(ChannelIdentity)).one()
        stored = uow.media.put(JPEG, content_type="image/jpeg")
        messages.enqueue(uow=uow, to=messages.Recipient.of(identity), text="Le chantier",
                         media_path=stored.path)
        uow.commit()
    chat.run()

    sent = fake.sent("sendPhoto", CITIZEN, ok=True)
    assert len(sent) == 1 and sent[0].params["caption"] == "Le chantier"
    assert next(iter(sent[0].files.values())) == JPEG


def test_a_bot_bound_to_a_commune_skips_the_commune_question(tg, web, fake, clock,
                                                             settings, messenger) -> None:
    from palabre.bootstrap import prepare

    bound = Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                        "telegram_api_url": fake.url, "telegram_commune": "Bohicon"},
                     _env_file=None)
    app = bootstrap(bound, clock=clock, messengers={"console": messenger})
    try:
        prepare(app)
        bohicon = Chat(app, TestClient(create_web_app(app)), fake, clock)
        bohicon.text("Bonjour")
        replies = bohicon.press("lang:fr")
        assert replies[-1].startswith("Avant de commencer")  # consent: no commune question
        assert replies[-1].endswith("Acceptez-vous ?")
    finally:
        app.close()


class SlowPhotos(FakeTelegramApi):
    """The fake Bot API, a photo's answer taking a real round trip (outside the fake's
    lock): how many photos are in flight at once."""

    def __init__(self, tokens: list[str]) -> None:
        super().__init__(tokens)
        self.in_flight = self.most = 0
        self._counting = threading.Lock()

    def answer(self, request):
        if request.method.lower() != "sendphoto":
            return super().answer(request)
        with self._counting:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.2)
        with self._counting:
            self.in_flight -= 1
        return super().answer(request)


def test_a_photo_uploaded_once_then_goes_to_many_chats_side_by_side(app, settings, clock,
                                                                    messenger) -> None:
    """One upload at a time per file held every send of it, after the upload too: a photo
    announcement went out one chat at a time."""
    with SlowPhotos([TOKEN]) as fake:
        configured = Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                                 "telegram_api_url": fake.url}, _env_file=None)
        sending = bootstrap(configured, clock=clock, messengers={"console": messenger})
        try:
            with sending.uow_factory() as uow:
                stored = uow.media.put(JPEG, content_type="image/jpeg")
                for chat_id in range(5000, 5006):
                    messages.enqueue(uow=uow, to=messages.Recipient(
                        CHANNEL, TOKEN.split(":")[0], str(chat_id)), text="La salle",
                        media_path=stored.path, purpose="announcement")
                uow.commit()
            report = sending.pipeline.deliver()
            sent = fake.sent("sendPhoto", ok=True)
        finally:
            sending.close()
    assert report.sent == 6
    assert sum(1 for call in sent if call.files) == 1  # uploaded once
    assert fake.most >= 2  # then sent by its file id side by side


def test_a_long_text_split_in_parts_counts_each_part_in_the_bots_second(app, settings,
                                                                       messenger) -> None:
    """Twelve replies of three parts each: the bot's 30 a second counted 12 messages where
    Telegram received 36, and answered 429 to the six beyond 30."""
    from bench.broadcast.telegram import RateLimitedTelegram

    with RateLimitedTelegram([TOKEN], rate=30) as fake:
        configured = Settings(**{**settings.model_dump(), "telegram_token": TOKEN,
                                 "telegram_api_url": fake.url}, _env_file=None)
        sending = bootstrap(configured, messengers={"console": messenger})  # real time
        try:
            with sending.uow_factory() as uow:
                for chat_id in range(6000, 6012):
                    messages.enqueue(uow=uow, to=messages.Recipient(
                        CHANNEL, TOKEN.split(":")[0], str(chat_id)),
                        text=" ".join(f"Paragraphe {n} " + "x" * 3000 for n in range(3)))
                uow.commit()
            deadline = time.monotonic() + 30
            while fake.count() < 36 and time.monotonic() < deadline:
                sending.pipeline.deliver()
                time.sleep(0.05)
            accepted, refused = fake.received(), fake.refused()
        finally:
            sending.close()
    assert refused == []
    assert len(accepted) == 36
    for chat_id in range(6000, 6012):  # each reply whole, once, its parts in order
        whole = "".join(a.text for a in accepted if a.chat_id == str(chat_id))
        assert [whole.index(f"Paragraphe {n}") for n in range(3)] == sorted(
            whole.index(f"Paragraphe {n}") for n in range(3))
        assert whole.count("Paragraphe") == 3

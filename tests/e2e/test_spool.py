"""The database is down and citizens write: each webhook is still acknowledged (Twilio does
not retry a refused one: its message would be lost), its body kept on the web process's disk,
and stored then answered, in the order it came, once the database answers again."""

from __future__ import annotations

import logging
import time

from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.messages.models import InboundRecord, ProviderPost
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.e2e.test_whatsapp import PUBLIC, WEBHOOK, post_form, whatsapp_settings
from tests.fakes.twilio_api import DEFAULT_AUTH_TOKEN, FakeTwilioApi, inbound_form, signed

NOWHERE = "postgresql://palabre@127.0.0.1:1/palabre"  # nothing listens on port 1


def _form(number: int, words: str) -> list[tuple[str, str]]:
    sid = f"SM{number:032x}"
    return inbound_form("text", MessageSid=sid, SmsMessageSid=sid, SmsSid=sid, Body=words)


def test_whatsapp_messages_sent_while_the_database_is_down_are_kept_and_answered_later(
        app, settings, clock, messenger, caplog) -> None:
    with FakeTwilioApi() as twilio:
        configured = whatsapp_settings(settings, twilio)
        down = bootstrap(Settings(**{**configured.model_dump(), "database_url": NOWHERE},
                                  _env_file=None))
        web = TestClient(create_web_app(down))
        words = ["Bonjour", "1", "Cotonou"]
        with caplog.at_level(logging.WARNING):
            answers = [post_form(web, WEBHOOK, form, signed(PUBLIC + WEBHOOK, form,
                                                            DEFAULT_AUTH_TOKEN))
                       for form in (_form(n, w) for n, w in enumerate(words))]
        down.close()
        assert [a.status_code for a in answers] == [200, 200, 200]  # acknowledged, all
        assert len(list(settings.spool_dir.glob("*.json"))) == 3
        assert "webhook bodies kept in" in caplog.text

        # The database answers again: the next process (or this one, at its next body)
        # stores what waited, first and in order, and the citizen is answered.
        back = bootstrap(configured, clock=clock, messengers={"console": messenger})
        try:
            deadline = time.monotonic() + 20
            while (_stored(back) < 3 or list(settings.spool_dir.glob("*.json"))) \
                    and time.monotonic() < deadline:
                time.sleep(0.05)  # stored, then their files removed
            assert _stored(back) == 3
            assert not list(settings.spool_dir.glob("*.json"))
            for _ in words:
                clock.advance(seconds=2)
                back.pipeline.run_once()
            with back.uow_factory() as uow:
                stored = uow.session.exec(select(InboundRecord.text).where(
                    InboundRecord.channel == "whatsapp").order_by(col(InboundRecord.id))).all()
            assert stored == words
            replies = twilio.sent()
            assert len(replies) >= 3 and "Cotonou" not in (replies[0].param("Body") or "")
        finally:
            back.close()


def test_a_body_that_came_twice_while_the_database_was_down_is_stored_once(
        app, settings, clock, messenger) -> None:
    with FakeTwilioApi() as twilio:
        configured = whatsapp_settings(settings, twilio)
        down = bootstrap(Settings(**{**configured.model_dump(), "database_url": NOWHERE},
                                  _env_file=None))
        web = TestClient(create_web_app(down))
        form = _form(7, "Bonjour")
        for _ in range(2):  # a provider's retry
            assert post_form(web, WEBHOOK, form, signed(
                PUBLIC + WEBHOOK, form, DEFAULT_AUTH_TOKEN)).status_code == 200
        down.close()
        back = bootstrap(configured, clock=clock, messengers={"console": messenger})
        try:
            deadline = time.monotonic() + 20
            while list(settings.spool_dir.glob("*.json")) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _stored(back) == 1
        finally:
            back.close()


def _stored(app) -> int:
    with app.uow_factory() as uow:
        return len(uow.session.exec(select(ProviderPost.id)).all())


def test_a_spooled_body_another_process_stored_meanwhile_is_skipped(tmp_path) -> None:
    from core.messages.spool import Spool

    ours, theirs = Spool(tmp_path / "spool"), Spool(tmp_path / "spool")  # one shared folder
    ours.keep([{"channel": "whatsapp", "account": "", "external_id": "SM1", "payload": {}}])
    [listed] = ours.waiting()
    theirs.remove(theirs.waiting())  # the other process stored it and removed its file
    assert ours.read(listed) is None  # not an error that would stop the intake
    assert not list((tmp_path / "spool").glob("*.unreadable"))

"""WhatsApp end to end: recorded Twilio forms (tests/fixtures/twilio) signed with Twilio's
RequestValidator and posted to the webhooks, the pipeline run, media fetched from a fake Twilio
on loopback behind Basic auth, and what reached the fake Twilio REST API."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import select

from core.citizens.models import ChannelIdentity, Citizen
from core.messages.models import Attachment, InboundRecord, OutboxRecord, ProviderPost
from core.moderation import service as moderation
from core.moderation.models import Role
from core.submissions.models import Submission
from palabre.bootstrap import App, bootstrap
from palabre.channels import whatsapp_config
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account
from tests.fakes.twilio_api import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    FakeTwilioApi,
    inbound_form,
    signed,
)

PUBLIC = "https://palabre.example.bj"
SENDER = "whatsapp:+14155238886"
CITIZEN = "whatsapp:+22997123456"
STATUS_TEMPLATE = "HXb5b62575e6e4ff6129ad7c8efe1f983e"
WEBHOOK = "/webhooks/twilio/whatsapp"
STATUS = "/webhooks/twilio/status"
JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)
OGG = b"OggS" + bytes(3000)
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.fixture
def fake():
    with FakeTwilioApi() as api:
        yield api


def whatsapp_settings(settings: Settings, fake: FakeTwilioApi, **more: object) -> Settings:
    return Settings(**{**settings.model_dump(), "public_url": PUBLIC,
                       "twilio_account_sid": DEFAULT_ACCOUNT_SID,
                       "twilio_auth_token": DEFAULT_AUTH_TOKEN, "twilio_api_url": fake.url,
                       "twilio_content_url": fake.url,
                       "whatsapp_senders": SENDER.removeprefix("whatsapp:"),
                       "whatsapp_templates": f"status_update={STATUS_TEMPLATE}", **more},
                    _env_file=None)


@pytest.fixture
def wa(app, settings, clock, messenger, fake) -> App:
    """Palabre with one WhatsApp sender talking to the fake Twilio (clean database)."""
    application = bootstrap(whatsapp_settings(settings, fake), clock=clock,
                            messengers={"console": messenger})
    yield application
    application.close()


@pytest.fixture
def web(wa) -> TestClient:
    return TestClient(create_web_app(wa))


def post_form(web: TestClient, path: str, form: list[tuple[str, str]],
              signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return web.post(path, content=urlencode(form), headers=headers)


class Phone:
    """The citizen's WhatsApp: signed forms to the webhook, the worker run, replies read."""

    def __init__(self, app: App, web: TestClient, fake: FakeTwilioApi, clock) -> None:
        self.app, self.web, self.fake, self.clock = app, web, fake, clock
        self.count = 0
        self.seen = 0

    def form(self, kind: str = "text", **overrides: object) -> list[tuple[str, str]]:
        self.count += 1
        sid = f"{'MM' if kind in ('image', 'voice') else 'SM'}{self.count:032x}"
        ids = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid}
        return inbound_form(kind, **{**ids, **overrides})

    def post(self, form: list[tuple[str, str]], path: str = WEBHOOK) -> httpx.Response:
        answer = post_form(self.web, path, form, signed(PUBLIC + path, form, DEFAULT_AUTH_TOKEN))
        assert answer.status_code in (200, 204), answer.text
        return answer

    def send(self, kind: str = "text", **overrides: object) -> list[str]:
        answer = self.post(self.form(kind, **overrides))
        assert answer.text == TWIML and answer.headers["content-type"].startswith("text/xml")
        return self.run()

    def text(self, words: str) -> list[str]:
        return self.send("text", Body=words)

    def run(self) -> list[str]:
        self.clock.advance(seconds=1)  # the sender's pace
        self.app.pipeline.run_once()
        bodies = self.fake.bodies(CITIZEN)
        fresh, self.seen = bodies[self.seen:], len(bodies)
        return fresh

    def onboard(self) -> None:
        self.text("Bonjour")
        self.text("1")  # Français
        self.text("Cotonou")
        self.text("1")  # consent
        self.text("5")  # skip the inclusion questions

    def voice_note(self, data: bytes = OGG, content_type: str = "audio/ogg",
                   **declared: int) -> list[str]:
        url = self.fake.add_media(DEFAULT_ACCOUNT_SID, data, content_type, **declared)
        return self.send("voice", MediaUrl0=url, MediaContentType0=content_type)


@pytest.fixture
def phone(wa, web, fake, clock) -> Phone:
    return Phone(wa, web, fake, clock)


def stored_posts(app: App) -> list[ProviderPost]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(ProviderPost)).all())


def last_outbox(app: App) -> OutboxRecord:
    with app.uow_factory() as uow:
        record = uow.session.exec(select(OutboxRecord).order_by(
            OutboxRecord.id.desc())).first()  # type: ignore[union-attr]
        assert record is not None
        return record


def staff_token(app: App) -> dict[str, str]:
    with app.uow_factory() as uow:
        admin = moderation.add_moderator(uow=uow, name="awa", role=Role.ADMIN)
        token = moderation.issue_token(uow=uow, moderator=admin).token
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


# ---- trust ------------------------------------------------------------------------------


def test_unsigned_forged_and_replayed_requests_are_refused(phone, web, wa, caplog) -> None:
    form = phone.form("text")
    good = signed(PUBLIC + WEBHOOK, form, DEFAULT_AUTH_TOKEN)
    assert post_form(web, WEBHOOK, form, None).status_code == 403
    assert post_form(web, WEBHOOK, form, "bm90IGEgc2lnbmF0dXJl").status_code == 403
    wrong_key = signed(PUBLIC + WEBHOOK, form, "0" * 32)
    assert post_form(web, WEBHOOK, form, wrong_key).status_code == 403
    # Replayed to another URL: signed for the status webhook, or for another host.
    assert post_form(web, STATUS, form, good).status_code == 403
    elsewhere = signed("https://attacker.example" + WEBHOOK, form, DEFAULT_AUTH_TOKEN)
    assert post_form(web, WEBHOOK, form, elsewhere).status_code == 403
    # A field changed after signing.
    tampered = [(k, "Rien" if k == "Body" else v) for k, v in form]
    assert post_form(web, WEBHOOK, tampered, good).status_code == 403

    assert "wrong signature" in caplog.text
    assert stored_posts(wa) == []
    assert post_form(web, WEBHOOK, form, good).status_code == 200  # the genuine one passes


def test_a_repeated_field_is_part_of_the_signature(phone, web, wa) -> None:
    form = [*phone.form("text"), ("Extra", "a")]
    repeated = [*form, ("Extra", "b")]
    only_first = signed(PUBLIC + WEBHOOK, form, DEFAULT_AUTH_TOKEN)
    assert post_form(web, WEBHOOK, repeated, only_first).status_code == 403
    both = signed(PUBLIC + WEBHOOK, repeated, DEFAULT_AUTH_TOKEN)
    assert post_form(web, WEBHOOK, repeated, both).status_code == 200


@pytest.mark.parametrize("overrides", [
    {"MessageSid": None, "SmsMessageSid": None, "SmsSid": None},
    {"From": None},
    {"From": "+22997123456"},  # not a WhatsApp address
    {"Latitude": "95.0", "Longitude": "2.39"},
    {"NumMedia": "2"},  # MediaUrl1 missing
    {"NumMedia": "beaucoup"},
])
def test_a_form_with_missing_or_bad_fields_gets_400_and_a_log_line(
        phone, web, wa, overrides, caplog) -> None:
    caplog.set_level(logging.WARNING)
    form = phone.form("image", MediaUrl0="https://api.twilio.com/x", **overrides)
    answer = post_form(web, WEBHOOK, form, signed(PUBLIC + WEBHOOK, form, DEFAULT_AUTH_TOKEN))
    assert answer.status_code == 400 and answer.json()["detail"].startswith("Bad Request")
    assert "malformed message form" in caplog.text
    assert stored_posts(wa) == []


@pytest.mark.parametrize("to", [None, "", "+14155238886", "whatsapp:"])
def test_a_signed_form_without_a_whatsapp_to_gets_400_and_a_log_line(
        phone, web, wa, to, caplog) -> None:
    caplog.set_level(logging.WARNING)
    form = phone.form("text", To=to)
    answer = post_form(web, WEBHOOK, form, signed(PUBLIC + WEBHOOK, form, DEFAULT_AUTH_TOKEN))
    assert answer.status_code == 400 and "To" in answer.json()["detail"]
    assert "malformed message form" in caplog.text
    assert stored_posts(wa) == []


def test_a_messaging_service_form_needs_its_to_as_well(settings, fake, clock, messenger,
                                                        caplog) -> None:
    service = "MG" + "e" * 32
    app = bootstrap(whatsapp_settings(settings, fake, whatsapp_senders=service), clock=clock,
                    messengers={"console": messenger})
    try:
        phone = Phone(app, TestClient(create_web_app(app)), fake, clock)
        for to, status in ((None, 400), (SENDER, 200)):
            form = phone.form("text", MessagingServiceSid=service, To=to)
            answer = post_form(phone.web, WEBHOOK, form,
                               signed(PUBLIC + WEBHOOK, form, DEFAULT_AUTH_TOKEN))
            assert answer.status_code == status, answer.text
        assert [p.account for p in stored_posts(app)] == [service]
    finally:
        app.close()


def test_a_duplicate_message_sid_is_handled_once(phone, wa, fake) -> None:
    form = phone.form("text", Body="Bonjour")
    phone.post(form)
    phone.post(form)  # Twilio's retry
    phone.run()

    with wa.uow_factory() as uow:
        assert len(uow.session.exec(select(InboundRecord)).all()) == 1
    assert len(fake.sent(CITIZEN)) == 1


def test_a_message_for_a_sender_not_configured_is_acknowledged_and_dropped(
        phone, wa, caplog) -> None:
    phone.post(phone.form("text", To="whatsapp:+22990000000"))
    assert stored_posts(wa) == []
    assert "not a configured sender" in caplog.text


# ---- conversation -----------------------------------------------------------------------


def test_a_first_message_gets_a_menu_from_the_sender(phone, fake) -> None:
    replies = phone.text("Bonjour")

    assert len(replies) == 1 and "Bienvenue" in replies[0]
    assert "1. Français" in replies[0]  # a row of the list (test_whatsapp_menus.py)
    call = fake.sent(CITIZEN)[0]
    assert call.param("From") == SENDER and call.username == DEFAULT_ACCOUNT_SID
    assert call.param("StatusCallback") == PUBLIC + STATUS
    assert call.param("ContentSid") == fake.contents[0].sid  # made for it, not a template


def test_a_button_reply_counts_as_the_choice(phone) -> None:
    phone.text("Bonjour")
    replies = phone.send("button_reply", ButtonPayload="lang:fr", ButtonText="Français",
                         Body="Français")
    assert any("commune" in r.lower() for r in replies)


def test_a_group_link_phrase_opens_its_flow_after_onboarding(phone) -> None:
    from urllib.parse import parse_qs, urlsplit

    from bots.whatsapp.config import Sender
    from bots.whatsapp.links import wa_link

    link = wa_link(Sender(SENDER), "report")
    phrase = parse_qs(urlsplit(link).query)["text"][0]
    phone.text(phrase)
    phone.text("1")
    phone.text("Cotonou")
    phone.text("1")
    replies = phone.text("5")
    assert "De quel problème s'agit-il ?" in replies[-1]


def test_a_report_with_a_pin_a_photo_and_a_voice_note_gets_its_reference(
        phone, wa, fake) -> None:
    phone.onboard()
    assert "De quel problème" in phone.text("1")[-1]
    phone.text("2")  # a category
    pinned = phone.send("location")
    assert any("Marché de Zogbo" in r or "Position reçue" in r for r in pinned)
    photo_url = fake.add_media(DEFAULT_ACCOUNT_SID, JPEG, "image/jpeg")
    assert any("Photo reçue" in r for r in phone.send("image", MediaUrl0=photo_url, Body=""))
    summary = phone.voice_note()[-1]
    assert "vocal" in summary.lower()
    done = phone.text("1")[-1]
    reference = done.split("référence ")[1].split(".")[0]

    with wa.uow_factory() as uow:
        filed = uow.session.exec(select(Submission)).one()
        files = {a.kind: a for a in uow.session.exec(select(Attachment).where(
            Attachment.submission_id == filed.id)).all()}
    assert filed.reference == reference and filed.latitude == pytest.approx(6.3729)
    assert "Marché de Zogbo" in (filed.place_text or "")
    assert wa.uow_factory.media.absolute(files["photo"].path).read_bytes() == JPEG
    voice = files["voice"]
    assert voice.content_type == "audio/ogg"
    assert wa.uow_factory.media.absolute(voice.path).read_bytes() == OGG
    # Twilio's media URL took the account's credentials; its storage, on another origin, not.
    stages = {(d.stage, d.authorization, d.status) for d in fake.downloads}
    assert ("api", True, 307) in stages and ("storage", False, 200) in stages


def test_opt_out_words_stop_broadcasts_and_start_resumes(phone, wa) -> None:
    phone.onboard()
    for word in ("STOP", "ARRÊT"):
        assert "ne recevrez plus les annonces" in phone.text(word)[-1]
        with wa.uow_factory() as uow:
            assert uow.session.exec(select(Citizen)).one().broadcast_opt_out
    assert "reprennent" in phone.text("START")[0]
    with wa.uow_factory() as uow:
        assert not uow.session.exec(select(Citizen)).one().broadcast_opt_out
    phone.text("ARRET")
    assert "reprennent" in phone.text("Reprendre")[0]


# ---- media failures ---------------------------------------------------------------------


def test_a_media_download_failure_keeps_the_message_and_retries(phone, wa, fake) -> None:
    phone.onboard()
    fake.fail_media_next(status=503)
    assert phone.voice_note() == []  # nothing said yet: the note waits for its audio
    with wa.uow_factory() as uow:
        waiting = uow.session.exec(select(InboundRecord).order_by(
            InboundRecord.id.desc())).first()  # type: ignore[union-attr]
        assert waiting is not None and waiting.attempts == 1 and waiting.last_error

    phone.clock.advance(minutes=5)
    replies = phone.run()
    assert replies  # the retry fetched it and the dialog answered
    with wa.uow_factory() as uow:
        voice = uow.session.exec(select(Attachment)).one()
    assert wa.uow_factory.media.absolute(voice.path).read_bytes() == OGG


def test_media_over_the_limit_is_refused_politely_and_kept(phone, wa, fake) -> None:
    phone.onboard()
    phone.text("1")
    phone.text("2")
    phone.send("location")
    replies = phone.voice_note(declared_size=17_000_000)  # the default limit is 16 MB
    assert any("trop lourd" in r for r in replies)
    with wa.uow_factory() as uow:
        kept = uow.session.exec(select(Attachment)).one()
    assert kept.remote and kept.remote.startswith(fake.url) and kept.fetch_error


# ---- outbound rules ---------------------------------------------------------------------


def _filed_report(phone: Phone) -> str:
    phone.onboard()
    phone.text("1")
    phone.text("2")
    phone.send("location")
    phone.text("Pas de photo")
    phone.text("Le caniveau déborde devant le marché")
    done = phone.text("1")[-1]
    return done.split("référence ")[1].split(".")[0]


def test_outside_the_window_a_status_change_goes_as_its_template(phone, wa, web, fake) -> None:
    reference = _filed_report(phone)
    phone.clock.advance(hours=25)

    changed = web.post(f"/api/v1/submissions/{reference}/status", headers=staff_token(wa),
                       json={"status": "acknowledged", "public_note": "Équipe en route"})
    assert changed.status_code == 200, changed.text
    phone.run()

    call = fake.sent(CITIZEN)[-1]
    assert call.param("ContentSid") == STATUS_TEMPLATE and call.param("Body") is None
    variables = json.loads(call.param("ContentVariables") or "{}")
    assert reference in variables["1"] and "Équipe en route" in variables["1"]
    assert "\n" not in variables["1"]  # WhatsApp refuses new lines in a variable


def test_outside_the_window_without_a_template_the_reply_waits_for_the_citizen(
        phone, wa, web, fake) -> None:
    reference = _filed_report(phone)
    phone.clock.advance(hours=25)
    sent_before = len(fake.sent(CITIZEN))

    answered = web.post(f"/api/v1/submissions/{reference}/replies", headers=staff_token(wa),
                        json={"text": "Merci, pouvez-vous préciser la rue ?"})
    assert answered.status_code == 200, answered.text
    phone.run()
    assert len(fake.sent(CITIZEN)) == sent_before  # no template for replies: held
    assert last_outbox(wa).status == "held"

    replies = phone.text("Bonjour")
    assert any("préciser la rue" in r for r in replies)  # released by the citizen's message


def test_63016_from_the_api_sends_the_template_instead(phone, wa, web, fake) -> None:
    reference = _filed_report(phone)
    fake.fail_next(code=63016)  # Twilio's clock says the window closed
    changed = web.post(f"/api/v1/submissions/{reference}/status", headers=staff_token(wa),
                       json={"status": "in_progress", "public_note": "Travaux lundi"})
    assert changed.status_code == 200
    phone.run()
    refused, then = fake.calls[-2], fake.calls[-1]
    assert refused.status == 400 and refused.param("Body")
    assert then.ok and then.param("ContentSid") == STATUS_TEMPLATE


def test_status_callbacks_record_delivery_and_63016_resends_as_a_template(
        phone, wa, web, fake) -> None:
    reference = _filed_report(phone)
    web.post(f"/api/v1/submissions/{reference}/status", headers=staff_token(wa),
             json={"status": "acknowledged", "public_note": "Vu"})
    phone.run()
    notice = last_outbox(wa)
    assert notice.external_id and notice.external_id.startswith("SM")

    phone.post(inbound_form("status_delivered", MessageSid=notice.external_id,
                            SmsSid=notice.external_id), path=STATUS)
    with wa.uow_factory() as uow:
        assert uow.session.get_one(OutboxRecord, notice.id).status == "delivered"

    phone.post(inbound_form("status_failed_63016", MessageSid=notice.external_id,
                            SmsSid=notice.external_id), path=STATUS)
    phone.run()
    again = fake.sent(CITIZEN)[-1]
    assert again.param("ContentSid") == STATUS_TEMPLATE
    assert "Vu" in json.loads(again.param("ContentVariables") or "{}")["1"]


def test_21610_in_a_status_callback_or_from_the_api_opts_the_citizen_out(
        phone, wa, fake) -> None:
    phone.text("Bonjour")
    first = last_outbox(wa)
    phone.post(inbound_form("status_undelivered_21610", MessageSid=first.external_id,
                            SmsSid=first.external_id), path=STATUS)
    with wa.uow_factory() as uow:
        citizen = uow.session.exec(select(Citizen)).one()
        assert citizen.broadcast_opt_out
        citizen.broadcast_opt_out = False  # to see the API's 21610 do it again
        uow.session.add(citizen)
        uow.commit()

    fake.fail_next(code=21610)
    phone.text("1")
    with wa.uow_factory() as uow:
        assert uow.session.exec(select(Citizen)).one().broadcast_opt_out
        assert uow.session.exec(select(ChannelIdentity)).one().unreachable
    assert last_outbox(wa).status == "failed"


def test_a_status_callback_must_be_signed(web, wa) -> None:
    form = inbound_form("status_delivered")
    assert post_form(web, STATUS, form, None).status_code == 403
    good = signed(PUBLIC + STATUS, form, DEFAULT_AUTH_TOKEN)
    assert post_form(web, STATUS, form, good).status_code == 204


def test_a_network_failure_toward_twilio_is_retried(phone, wa, fake) -> None:
    phone.text("Bonjour")
    fake.drop_next()
    assert phone.text("1") == []
    waiting = last_outbox(wa)
    assert waiting.status == "pending" and waiting.attempts == 1
    phone.clock.advance(seconds=30)
    assert any("commune" in r.lower() for r in phone.run())


# ---- links for mairie groups ------------------------------------------------------------


def test_the_link_command_prints_a_wa_me_link_and_writes_its_qr_code(
        wa, settings, fake, tmp_path, monkeypatch) -> None:
    from palabre.cli import main

    configured = whatsapp_settings(settings, fake)
    for name, value in configured.model_dump().items():
        if value not in (None, "") and name in {
                "database_url", "public_url", "twilio_account_sid", "twilio_api_url",
                "whatsapp_senders", "enabled_communes"}:
            monkeypatch.setenv(f"PALABRE_{name.upper()}", str(value))
    monkeypatch.setenv("PALABRE_TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
    png = tmp_path / "cotonou.png"

    result = CliRunner().invoke(main, ["whatsapp", "link", "--commune", "Cotonou",
                                       "--flow", "idea", "--qr", str(png)])
    assert result.exit_code == 0, result.output
    link = result.output.splitlines()[0]
    assert link == "https://wa.me/14155238886?text=Proposer%20une%20id%C3%A9e"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 500

    unknown = CliRunner().invoke(main, ["whatsapp", "link", "--commune", "Atlantis"])
    assert unknown.exit_code != 0 and "No enabled commune" in unknown.output


def test_the_window_counts_from_the_citizens_last_message(phone, wa, web, fake) -> None:
    reference = _filed_report(phone)
    phone.clock.advance(hours=23)
    phone.text("Bonjour")  # the citizen writes again: the window opens for 24 hours more
    phone.clock.advance(hours=2)  # 25 hours after the report, 2 after the last message

    web.post(f"/api/v1/submissions/{reference}/status", headers=staff_token(wa),
             json={"status": "acknowledged", "public_note": "Vu"})
    told = phone.run()
    assert any(reference in r and "Vu" in r for r in told)
    assert fake.sent(CITIZEN)[-1].param("ContentSid") is None


def test_a_body_too_large_for_a_twilio_form_is_refused(web, wa, caplog) -> None:
    form = [("Body", "x" * 70_000)]
    answer = post_form(web, WEBHOOK, form, signed(PUBLIC + WEBHOOK, form, DEFAULT_AUTH_TOKEN))
    assert answer.status_code == 413
    assert "refused a" in caplog.text and stored_posts(wa) == []


# ---- Benin's ten-digit numbers (2024) ----------------------------------------------------
# A citizen known under a number's eight-digit form who now writes from its ten-digit form
# (or the other way round) stays one citizen, is answered where they write from, and
# moderators read the number in the new plan, masked alike.

OLD = "whatsapp:+22997123456"
NEW = "whatsapp:+2290197123456"


class NumberedPhone(Phone):
    """The citizen's WhatsApp, writing from `address` (which may change)."""

    def __init__(self, *args: object, address: str) -> None:
        super().__init__(*args)
        self.address = address

    def form(self, kind: str = "text", **overrides: object) -> list[tuple[str, str]]:
        return super().form(kind, **{"From": self.address, **overrides})

    def run(self) -> list[str]:
        self.clock.advance(seconds=1)
        self.app.pipeline.run_once()
        bodies = self.fake.bodies(self.address)
        fresh, self.seen = bodies[self.seen:], len(bodies)
        return fresh

    def moves_to(self, address: str) -> None:
        self.address, self.seen = address, len(self.fake.bodies(address))


def _identities(app) -> list[ChannelIdentity]:
    with app.uow_factory() as uow:
        return list(uow.session.exec(select(ChannelIdentity).where(
            ChannelIdentity.channel == "whatsapp")).all())


def test_a_citizen_who_moved_to_the_ten_digit_form_stays_one_citizen(wa, web, fake,
                                                                     clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=OLD)
    reference = _filed_report(phone)
    phone.moves_to(NEW)

    replies = phone.text("Bonjour")
    assert replies and not any("Choisissez votre langue" in r for r in replies)
    assert not any("Dans quelle commune" in r for r in replies)  # not a stranger
    [identity] = _identities(wa)
    assert identity.address == NEW.removeprefix("whatsapp:")
    assert any("Mairie de Cotonou" in r for r in replies)  # the commune chosen before
    followed = phone.text("5")  # "Mon suivi": the report filed under the old form
    assert any(reference in r for r in followed), followed


def test_what_waited_for_the_old_form_goes_to_the_new_one(wa, web, fake, clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=OLD)
    reference = _filed_report(phone)
    clock.advance(hours=25)  # WhatsApp's window closed: a reply waits for the citizen
    answered = web.post(f"/api/v1/submissions/{reference}/replies", headers=staff_token(wa),
                        json={"text": "Merci, pouvez-vous préciser la rue ?"})
    assert answered.status_code == 200, answered.text
    phone.run()
    assert last_outbox(wa).status == "held"

    phone.moves_to(NEW)
    replies = phone.text("Bonjour")
    assert any("préciser la rue" in r for r in replies)
    assert not any("préciser la rue" in b for b in fake.bodies(OLD))


def test_a_citizen_still_on_the_eight_digit_form_is_answered_there(wa, web, fake,
                                                                   clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=NEW)
    phone.onboard()
    phone.moves_to(OLD)  # a WhatsApp account registered before the change
    replies = phone.text("Bonjour")
    assert replies and not any("Choisissez votre langue" in r for r in replies)
    [identity] = _identities(wa)
    assert identity.address == OLD.removeprefix("whatsapp:")
    with wa.uow_factory() as uow:
        last = uow.session.exec(select(OutboxRecord).order_by(
            OutboxRecord.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.address == OLD.removeprefix("whatsapp:")


def test_moderators_read_either_form_in_the_new_plan(wa, web, fake, clock) -> None:
    phone = NumberedPhone(wa, web, fake, clock, address=OLD)
    reference = _filed_report(phone)
    client = TestClient(web.app)
    headers = _account(wa, "sena", Role.MODERATOR, ["BJ-LI-COT"], contacts=True)
    shown = client.get(f"/api/v1/submissions/{reference}", headers=headers).json()
    assert shown["citizen"]["address"] == "+229 01 •• •• •• 56"
    revealed = client.post(f"/api/v1/submissions/{reference}/citizen/contact",
                           headers=headers, json={"reason": "Rappeler le citoyen"})
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["address"] == "+2290197123456"  # as it is dialled now


def test_a_sender_typed_with_spaces_answers_as_twilio_writes_it(settings, fake) -> None:
    typed = whatsapp_settings(settings, fake, whatsapp_senders=(
        "+229 01 90 00 00 01=BJ-LI-COT, 00229 61 00 00 02, MG9752274e9e519418a7406176694466fa"))
    config = whatsapp_config(typed)
    assert config is not None
    assert [s.address for s in config.senders] == [
        "+2290190000001", "+22961000002", "MG9752274e9e519418a7406176694466fa"]
    assert config.senders[0].commune == "BJ-LI-COT"

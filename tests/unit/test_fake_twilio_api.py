"""The fake Twilio REST API, driven through the real twilio client, httpx and urllib."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import aiohttp
import httpx
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.twilio_api import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DROPPED,
    SANDBOX_NUMBER,
    Call,
    FakeTwilioApi,
    fixture_kinds,
    inbound_form,
    signed,
)

ACCOUNT, TOKEN = DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
OTHER_ACCOUNT, OTHER_TOKEN = "AC" + "1" * 32, "2" * 32
CITIZEN = "whatsapp:+22997123456"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"
WEBHOOK = "https://palabre.example.bj/webhooks/twilio/whatsapp"


def make_client(
    fake: FakeTwilioApi, username: str = ACCOUNT, password: str = TOKEN, **kw: str
) -> Client:
    """A real twilio Client pointed at the fake (environment={} keeps TWILIO_* vars out)."""
    http = TwilioHttpClient(timeout=5)
    client = Client(username, password, http_client=http, environment={}, **kw)
    client.api.base_url = fake.url
    return client


def raw(url: str, auth: tuple[str, str] | None = None, data: bytes | None = None) -> tuple:
    """A request without any client library: (status, headers, decoded JSON body)."""
    request = urllib.request.Request(url, data=data)
    if auth:
        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers, json.loads(err.read())


def creations(calls: list[Call]) -> list[Call]:
    """The message creations among calls."""
    return [call for call in calls if call.is_create]


@pytest.fixture
def fake() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(accounts={ACCOUNT: TOKEN, OTHER_ACCOUNT: OTHER_TOKEN}) as api:
        yield api


@pytest.fixture
def client(fake: FakeTwilioApi) -> Client:
    return make_client(fake)


@pytest.fixture
async def async_client(fake: FakeTwilioApi) -> AsyncIterator[Client]:
    async with AsyncTwilioHttpClient(timeout=5) as http:
        client = Client(ACCOUNT, TOKEN, http_client=http, environment={})
        client.api.base_url = fake.url
        yield client


# ---- Messages API ------------------------------------------------------------------------------


def test_create_message_answers_twilio_json_and_records_the_form(
    fake: FakeTwilioApi, client: Client
) -> None:
    message = client.messages.create(
        to=CITIZEN,
        from_=SANDBOX_NUMBER,
        body="Votre signalement est enregistré.",
        media_url=["https://palabre.example.bj/a.jpg", "https://palabre.example.bj/b.jpg"],
        status_callback="https://palabre.example.bj/webhooks/twilio/status",
    )

    assert re.fullmatch(r"MM[0-9a-f]{32}", message.sid)
    assert (message.status, message.num_media, message.account_sid) == ("queued", "2", ACCOUNT)
    assert (message.to, message.from_) == (CITIZEN, SANDBOX_NUMBER)
    assert message.direction == "outbound-api" and message.price is None
    assert isinstance(message.date_created, datetime) and message.date_created.tzinfo is not None
    assert message.error_code is None and message.uri.endswith(f"/Messages/{message.sid}.json")
    [call] = fake.sent(CITIZEN)
    assert (call.status, call.sid, call.username) == (201, message.sid, ACCOUNT)
    assert call.account == ACCOUNT
    assert call.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert call.params["MediaUrl"] == [
        "https://palabre.example.bj/a.jpg",
        "https://palabre.example.bj/b.jpg",
    ]
    assert call.param("StatusCallback") == "https://palabre.example.bj/webhooks/twilio/status"
    assert fake.bodies(CITIZEN) == ["Votre signalement est enregistré."]


def test_template_through_a_messaging_service_is_accepted(
    fake: FakeTwilioApi, client: Client
) -> None:
    message = client.messages.create(
        to=CITIZEN,
        messaging_service_sid="MG" + "a" * 32,
        content_sid="HX" + "b" * 32,
        content_variables=json.dumps({"1": "Afiavi", "2": "PAL-0042"}),
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.from_, message.body) == ("accepted", None, "")
    [call] = fake.sent()
    assert json.loads(call.param("ContentVariables") or "") == {"1": "Afiavi", "2": "PAL-0042"}
    assert fake.bodies(CITIZEN) == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"from_": SANDBOX_NUMBER}, 21602),
        ({"body": "Bonjour"}, 21603),
        ({"from_": SANDBOX_NUMBER, "body": "x" * 1601}, 21617),
        ({"from_": SANDBOX_NUMBER, "content_sid": "HX1", "content_variables": "{1:"}, 21656),
    ],
)
def test_invalid_creations_fail_like_twilio(
    fake: FakeTwilioApi, client: Client, kwargs: dict, code: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=CITIZEN, **kwargs)

    assert (caught.value.status, caught.value.code) == (400, code)
    assert fake.sent() == [] and [c.status for c in fake.calls] == [400]


def test_63016_is_a_twilio_rest_exception_with_its_code(
    fake: FakeTwilioApi, client: Client
) -> None:
    fake.fail_next(code=63016)

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Rappel")
    client.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Rappel")

    err = caught.value
    assert (err.status, err.code, err.method) == (400, 63016, "POST")
    assert err.msg.startswith("Unable to create record: Failed to send freeform message")
    assert err.uri == f"/Accounts/{ACCOUNT}/Messages.json"
    assert [c.status for c in fake.calls] == [400, 201]
    assert fake.bodies(CITIZEN) == ["Rappel"]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        (21610, 400, "Attempt to send to unsubscribed recipient"),
        (20429, 429, "Too Many Requests"),
        (20500, 500, "Internal Server Error"),
        (30001, 400, "Queue overflow"),
    ],
)
def test_scripted_errors_carry_twilios_error_body(
    fake: FakeTwilioApi, code: int, status: int, message: str
) -> None:
    fake.fail_next(code=code, status=status, message="Queue overflow" if code == 30001 else None)

    got_status, _, body = raw(
        f"{fake.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        auth=(ACCOUNT, TOKEN),
        data=b"To=whatsapp%3A%2B22997123456&From=whatsapp%3A%2B14155238886&Body=Salut",
    )

    assert got_status == status
    assert body == {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def test_fail_next_times_then_success(fake: FakeTwilioApi, client: Client) -> None:
    fake.fail_next(code=20429, status=429, times=2)

    for _ in range(2):
        with pytest.raises(TwilioRestException, match="Too Many Requests"):
            client.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut")
    client.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut")

    assert [c.status for c in fake.calls] == [429, 429, 201]


def test_wrong_or_missing_credentials_get_401_20003(fake: FakeTwilioApi) -> None:
    with pytest.raises(TwilioRestException) as caught:
        make_client(fake, password="wrong").messages.create(
            to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut"
        )
    status, headers, body = raw(f"{fake.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json", data=b"")

    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert caught.value.msg == "Unable to create record: Authenticate"
    assert (status, headers["WWW-Authenticate"]) == (401, 'Basic realm="Twilio API"')
    assert body == {
        "code": 20003,
        "message": "Authentication Error - No credentials provided",
        "detail": "Your AccountSid or AuthToken was incorrect.",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert [(c.status, c.username) for c in fake.calls] == [(401, ACCOUNT), (401, None)]
    assert fake.sent() == []


def test_credentials_of_another_account_do_not_open_this_one(fake: FakeTwilioApi) -> None:
    other = make_client(fake, OTHER_ACCOUNT, OTHER_TOKEN)

    with pytest.raises(TwilioRestException) as caught:
        other.api.v2010.accounts(ACCOUNT).messages.create(
            to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut"
        )
    other.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut")

    assert caught.value.status == 401
    assert [(c.account, c.status) for c in fake.calls] == [(ACCOUNT, 401), (OTHER_ACCOUNT, 201)]


def test_api_key_and_secret_authenticate_for_their_account(fake: FakeTwilioApi) -> None:
    key = "SK" + "c" * 32
    fake.add_api_key(key, "s3cret", ACCOUNT)

    message = make_client(fake, key, "s3cret", account_sid=ACCOUNT).messages.create(
        to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut"
    )
    with pytest.raises(TwilioRestException):
        make_client(fake, key, "wrong", account_sid=ACCOUNT).messages.create(
            to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut"
        )

    assert message.account_sid == ACCOUNT
    assert [(c.username, c.status) for c in fake.calls] == [(key, 201), (key, 401)]


def test_dropped_connection_is_a_requests_error_not_a_twilio_one(
    fake: FakeTwilioApi, client: Client
) -> None:
    fake.drop_next()

    with pytest.raises(requests.exceptions.ConnectionError):
        client.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut")
    client.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Salut")

    assert [c.status for c in fake.calls] == [DROPPED, 201]
    assert not issubclass(requests.exceptions.ConnectionError, TwilioRestException)


def test_unknown_resource_is_twilios_404(fake: FakeTwilioApi) -> None:
    status, _, body = raw(f"{fake.url}/2010-04-01/Accounts/{ACCOUNT}/Calls.json", (ACCOUNT, TOKEN))

    assert (status, body["code"], body["status"]) == (404, 20404, 404)
    assert [c.status for c in fake.calls] == [404]


def test_region_or_edge_rewrites_the_fake_host(fake: FakeTwilioApi) -> None:
    plain = make_client(fake)
    regional = make_client(fake, region="ie1", edge="dublin")

    assert plain.get_hostname(f"{fake.url}/x") == f"{fake.url}/x"
    assert regional.get_hostname(f"{fake.url}/x") != f"{fake.url}/x"
    twilio_api = regional.get_hostname("https://api.twilio.com/x")
    assert twilio_api == "https://api.dublin.ie1.twilio.com/x"


def test_wait_for_sees_a_call_made_from_another_thread(fake: FakeTwilioApi, client: Client) -> None:
    def send() -> None:
        client.messages.create(to=CITIZEN, from_=SANDBOX_NUMBER, body="Plus tard")

    timer = threading.Timer(0.05, send)
    timer.start()
    calls = fake.wait_for(lambda calls: len(creations(calls)) == 1, timeout=2)
    timer.join()

    assert calls[0].param("Body") == "Plus tard"
    with pytest.raises(TimeoutError, match="POST"):
        fake.wait_for(lambda calls: len(calls) == 2, timeout=0.1)


# ---- async client ------------------------------------------------------------------------------


# twilio 9.13's async client passes aiohttp.BasicAuth, which aiohttp 3.14 deprecates.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_async_client_creates_and_sees_63016(
    fake: FakeTwilioApi, async_client: Client
) -> None:
    message = await async_client.messages.create_async(
        to=CITIZEN, from_=SANDBOX_NUMBER, body="Bonjour", media_url=["https://x.example/a.jpg"]
    )
    fake.fail_next(code=63016)
    with pytest.raises(TwilioRestException) as caught:
        await async_client.messages.create_async(to=CITIZEN, from_=SANDBOX_NUMBER, body="Rappel")
    fake.drop_next()
    with pytest.raises(aiohttp.ClientError):
        await async_client.messages.create_async(to=CITIZEN, from_=SANDBOX_NUMBER, body="Rappel")
    await fake.wait_for_async(lambda calls: len(calls) == 3, timeout=1)

    assert message.status == "queued" and caught.value.code == 63016
    assert fake.sent()[0].params["MediaUrl"] == ["https://x.example/a.jpg"]
    assert [c.status for c in fake.calls] == [201, 400, DROPPED]


# ---- media ---------------------------------------------------------------------------------------


def test_media_needs_basic_auth_then_redirects_to_storage(fake: FakeTwilioApi) -> None:
    url = fake.add_media(ACCOUNT, JPEG, "image/jpeg")

    anonymous = httpx.get(url, timeout=5)
    with httpx.Client(auth=(ACCOUNT, TOKEN), follow_redirects=True, timeout=5) as http:
        response = http.get(url)

    assert re.fullmatch(
        rf"{fake.url}/2010-04-01/Accounts/{ACCOUNT}/Messages/MM[0-9a-f]{{32}}/Media/ME[0-9a-f]{{32}}",
        url,
    )
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, 20003)
    assert (response.status_code, response.content) == (200, JPEG)
    assert response.headers["content-type"] == "image/jpeg"
    [redirect] = response.history
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith(f"{fake.storage_url}/storage/")
    assert "authorization" not in response.request.headers  # httpx drops it across origins
    assert [(d.stage, d.status, d.authorization) for d in fake.downloads] == [
        ("api", 401, False),
        ("api", 307, True),
        ("storage", 200, False),
    ]


def test_storage_refuses_forwarded_credentials(fake: FakeTwilioApi) -> None:
    url = fake.add_media(ACCOUNT, b"OggS-voice", "audio/ogg")
    with httpx.Client(auth=(ACCOUNT, TOKEN), timeout=5) as http:
        location = http.get(url).headers["location"]
        leaked = http.get(location)  # a client that re-sends the credentials to the storage
    clean = httpx.get(location, timeout=5)

    assert leaked.status_code == 400
    assert (clean.status_code, clean.content, clean.headers["content-type"]) == (
        200,
        b"OggS-voice",
        "audio/ogg",
    )
    assert [d.status for d in fake.downloads if d.stage == "storage"] == [400, 200]


def test_media_json_describes_the_media(fake: FakeTwilioApi) -> None:
    url = fake.add_media(ACCOUNT, JPEG, "image/jpeg", message_sid="MM" + "d" * 32)

    status, _, body = raw(f"{url}.json", (ACCOUNT, TOKEN))

    assert status == 200
    assert body["content_type"] == "image/jpeg" and body["parent_sid"] == "MM" + "d" * 32
    assert url.endswith(body["sid"]) and body["uri"] == url.removeprefix(fake.url) + ".json"


def test_media_of_another_account_or_unknown_is_refused(fake: FakeTwilioApi) -> None:
    url = fake.add_media(ACCOUNT, JPEG, "image/jpeg")
    missing = re.sub(r"ME[0-9a-f]{32}$", "ME" + "0" * 32, url)

    assert httpx.get(url, auth=(OTHER_ACCOUNT, OTHER_TOKEN), timeout=5).status_code == 401
    assert httpx.get(missing, auth=(ACCOUNT, TOKEN), timeout=5).json()["code"] == 20404
    with pytest.raises(ValueError, match="unknown account"):
        fake.add_media("AC" + "9" * 32, JPEG, "image/jpeg")


def test_fail_and_drop_media_next(fake: FakeTwilioApi) -> None:
    url = fake.add_media(ACCOUNT, JPEG, "image/jpeg")
    fake.fail_media_next(404)
    fake.fail_media_next(500, times=2)
    fake.drop_media_next()

    with httpx.Client(auth=(ACCOUNT, TOKEN), follow_redirects=True, timeout=5) as http:
        answers = [http.get(url) for _ in range(3)]
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(url)
        last = http.get(url)

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (404, 20404),
        (500, 20500),
        (500, 20500),
    ]
    assert last.content == JPEG
    assert [d.status for d in fake.downloads if d.stage == "api"] == [404, 500, 500, DROPPED, 307]


def test_huge_declared_size_is_announced_and_streamed(fake: FakeTwilioApi) -> None:
    huge = 512 * 1024 * 1024
    url = fake.add_media(ACCOUNT, b"OggS", "audio/ogg", declared_size=huge)
    small = fake.add_media(ACCOUNT, b"OggS", "audio/ogg", declared_size=100_000)

    with httpx.Client(auth=(ACCOUNT, TOKEN), follow_redirects=True, timeout=5) as http:
        with http.stream("GET", url) as response:
            declared = int(response.headers["content-length"])
            head = next(response.iter_bytes())
        padded = http.get(small).content

    assert declared == huge and head.startswith(b"OggS")
    assert len(padded) == 100_000 and padded.startswith(b"OggS") and padded[4:] == bytes(99_996)
    with pytest.raises(ValueError, match="declared_size"):
        fake.add_media(ACCOUNT, JPEG, "image/jpeg", declared_size=3)


# ---- webhook payload helpers ----------------------------------------------------------------


def test_signed_is_what_request_validator_accepts() -> None:
    form = inbound_form("text")

    signature = signed(WEBHOOK, form, TOKEN)

    assert RequestValidator(TOKEN).validate(WEBHOOK, dict(form), signature)
    assert not RequestValidator("another-token").validate(WEBHOOK, dict(form), signature)
    assert signed(WEBHOOK, dict(form), TOKEN) == signature
    assert RequestValidator(TOKEN).validate(
        "https://palabre.example.bj:443/webhooks/twilio/whatsapp", dict(form), signature
    )


def test_signed_keeps_repeated_fields() -> None:
    pairs = [("MediaUrl", "https://b.example"), ("Body", "x"), ("MediaUrl", "https://a.example")]
    payload = f"{WEBHOOK}Bodyx" + "MediaUrlhttps://a.example" + "MediaUrlhttps://b.example"
    expected = base64.b64encode(
        hmac.new(TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    ).decode()

    assert signed(WEBHOOK, pairs, TOKEN) == expected


def test_fixtures_are_twilio_forms_of_strings() -> None:
    assert fixture_kinds() == sorted(
        [
            "button_reply",
            "image",
            "list_reply",
            "location",
            "status_delivered",
            "status_failed_63016",
            "status_undelivered_21610",
            "text",
            "voice",
        ]
    )
    for kind in fixture_kinds():
        fields = dict(inbound_form(kind))
        assert all(isinstance(value, str) for value in fields.values()), kind
        assert fields["AccountSid"] == ACCOUNT and fields["ApiVersion"] == "2010-04-01", kind
        assert re.fullmatch(r"(SM|MM)[0-9a-f]{32}", fields["MessageSid"]), kind
        assert {fields["From"], fields["To"]} == {CITIZEN, SANDBOX_NUMBER}, kind


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("text", {"NumMedia": "0", "MessageType": "text", "WaId": "22997123456"}),
        ("location", {"Body": "", "Latitude": "6.3729", "Longitude": "2.3912"}),
        ("image", {"NumMedia": "1", "MediaUrl0": "MEDIA_URL_0", "MediaContentType0": "image/jpeg"}),
        ("voice", {"NumMedia": "1", "MediaContentType0": "audio/ogg", "MessageType": "audio"}),
        ("button_reply", {"ButtonText": "Oui", "ButtonPayload": "confirm_yes"}),
        ("status_delivered", {"MessageStatus": "delivered", "ChannelPrefix": "whatsapp"}),
        ("status_failed_63016", {"MessageStatus": "failed", "ErrorCode": "63016"}),
        ("status_undelivered_21610", {"MessageStatus": "undelivered", "ErrorCode": "21610"}),
    ],
)
def test_fixture_kinds_carry_their_fields(kind: str, expected: dict[str, str]) -> None:
    fields = dict(inbound_form(kind))

    assert {name: fields.get(name) for name in expected} == expected


def test_inbound_form_overrides_adds_and_drops_fields(fake: FakeTwilioApi) -> None:
    media = fake.add_media(ACCOUNT, JPEG, "image/jpeg")

    form = inbound_form("image", MediaUrl0=media, Body=None, MessagingServiceSid="MG" + "e" * 32)

    fields = dict(form)
    assert fields["MediaUrl0"] == media and "Body" not in fields
    assert form[-1] == ("MessagingServiceSid", "MG" + "e" * 32)
    with pytest.raises(ValueError, match="known: button_reply"):
        inbound_form("sticker")


def test_lifecycle() -> None:
    api = FakeTwilioApi()
    with pytest.raises(RuntimeError, match="not started"):
        _ = api.url
    with api:
        assert api.url.startswith("http://127.0.0.1:") and api.storage_url != api.url
        assert api.start() is api
    api.stop()
    assert api.accounts == {DEFAULT_ACCOUNT_SID: DEFAULT_AUTH_TOKEN}


# ---- the Content API --------------------------------------------------------------------


def _content(client: Client, kind: str, layout: dict) -> object:
    from twilio.rest.content.v1.content import ContentList

    return client.content.v1.contents.create(ContentList.ContentCreateRequest(
        {"friendly_name": "palabre_fr_x", "language": "fr", "variables": {"1": "Palabre"},
         "types": {kind: layout}}))


def test_a_content_created_with_the_twilio_library_is_read_back_and_sent(
        fake: FakeTwilioApi, client: Client) -> None:
    client.content.base_url = fake.url
    created = _content(client, "twilio/quick-reply", {
        "body": "{{1}}", "actions": [{"title": "1. Oui", "id": "yes"},
                                     {"title": "2. Non", "id": "no"}]})

    sid = created.sid  # type: ignore[attr-defined]
    assert re.fullmatch(r"HX[0-9a-f]{32}", sid)
    assert client.content.v1.contents(sid).fetch().types["twilio/quick-reply"]["actions"][0] \
        == {"title": "1. Oui", "id": "yes"}
    client.messages.create(to="whatsapp:+22997123456", from_="whatsapp:+14155238886",
                           content_sid=sid, content_variables=json.dumps({"1": "D'accord ?"}))
    assert fake.bodies("whatsapp:+22997123456") == ["D'accord ?\n\n1. Oui\n2. Non"]


@pytest.mark.parametrize(("kind", "layout"), [
    ("twilio/quick-reply", {"body": "{{1}}", "actions": [{"title": "x" * 21, "id": "a"}]}),
    ("twilio/list-picker", {"body": "{{1}}", "button": "", "items": [{"item": "a", "id": "a"}]}),
    ("twilio/list-picker", {"body": "{{1}}", "button": "Choisir",
                            "items": [{"item": f"{n}", "id": f"{n}"} for n in range(11)]}),
    ("twilio/card", {"title": "x"}),
])
def test_a_layout_twilio_documents_as_invalid_is_refused(
        fake: FakeTwilioApi, client: Client, kind: str, layout: dict) -> None:
    client.content.base_url = fake.url

    with pytest.raises(TwilioRestException) as refused:
        _content(client, kind, layout)
    assert refused.value.status == 400 and fake.contents == []


def test_a_deleted_content_and_four_buttons_are_refused_when_sent(fake: FakeTwilioApi,
                                                                 client: Client) -> None:
    client.content.base_url = fake.url
    four = _content(client, "twilio/quick-reply", {"body": "{{1}}", "actions": [
        {"title": f"{n}", "id": f"{n}"} for n in range(4)]}).sid  # type: ignore[attr-defined]
    two = _content(client, "twilio/quick-reply", {"body": "{{1}}", "actions": [
        {"title": f"{n}", "id": f"{n}"} for n in range(2)]}).sid  # type: ignore[attr-defined]
    fake.delete_content(two)

    for sid, code in ((four, 20001), (two, 21655)):
        with pytest.raises(TwilioRestException) as refused:
            client.messages.create(to="whatsapp:+22997123456", from_="whatsapp:+14155238886",
                                   content_sid=sid, content_variables='{"1": "?"}')
        assert refused.value.code == code

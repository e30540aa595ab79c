"""A fake Twilio REST API (Messages and Media) on 127.0.0.1 that speaks the real wire format.

Point the ``twilio`` 9.x client at it with ``client.api.base_url = fake.url`` (and no region or
edge: those rewrite the host). ``POST /2010-04-01/Accounts/{sid}/Messages.json`` is recorded as a
:class:`Call`; the test scripts failures (``fail_next``, ``drop_next``), registers media behind
Basic auth (``add_media``) and builds signed webhook forms (``inbound_form``, ``signed``).

The Content API (``/v1/Content``, tests/fakes/twilio_content.py) answers on the same server:
point the client's ``content.base_url`` at ``fake.url`` too. A message sent with a content it
created is read back by ``bodies`` as the citizen sees it (its words, then its buttons or
rows); ``contents`` lists them, ``delete_content`` and ``fail_content_next`` script trouble.

Media URLs answer ``307`` to a second loopback server (``storage_url``), a different origin like
Twilio's media CDN, which serves the bytes without auth and, by default, refuses requests that
still carry an ``Authorization`` header (credentials must not follow the redirect).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.twilio_content import CONTENT_PATH, ContentRefused, ContentStore, StoredContent

JsonDict = dict[str, Any]
Params = dict[str, list[str]]

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "ACcf9e7bc2eaab4c36ab3232e7e686e5e9"  # also the AccountSid of the fixtures
DEFAULT_AUTH_TOKEN = "a11ac1879cbb481cbdc90300c5a9da32"
SANDBOX_NUMBER = "whatsapp:+14155238886"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "twilio"
DROPPED = 0  # Call.status / Download.status of a request whose connection was closed unanswered
MAX_BODY_LENGTH = 1600
CHUNK = 64 * 1024

# Twilio's messages for the error codes tests use most (https://www.twilio.com/docs/errors/<code>).
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21656: "The ContentVariables Parameter is invalid.",
    63016: (
        "Failed to send freeform message because you are outside the allowed window. "
        "If you are using WhatsApp, please use a Message Template."
    ),
}
STATUS_CODES = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
NO_CREDENTIALS = "Authentication Error - No credentials provided"
BAD_CREDENTIALS = "Your AccountSid or AuthToken was incorrect."


@dataclass(frozen=True)
class Call:
    """One REST request the fake received: form params (repeatable), credentials, answer."""

    account: str
    method: str
    path: str
    params: Params
    at: float
    status: int
    username: str | None = None
    sid: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the fake answered this call with success."""
        return 200 <= self.status < 300

    @property
    def is_create(self) -> bool:
        """Whether this call is a Messages creation (POST …/Messages.json)."""
        return self.method == "POST" and self.path.endswith("/Messages.json")

    def param(self, name: str) -> str | None:
        """The first value of a form param, or None when absent."""
        values = self.params.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Download:
    """One request on a media URL ("api" stage) or on its redirect target ("storage" stage)."""

    path: str
    stage: str
    status: int
    at: float
    authorization: bool  # whether the request carried an Authorization header


@dataclass(frozen=True)
class StoredMedia:
    """A media file the fake serves: Twilio URL parts, bytes and the size it declares."""

    account_sid: str
    message_sid: str
    media_sid: str
    data: bytes
    content_type: str
    size: int
    token: str
    created: str

    @property
    def path(self) -> str:
        """The media's path on the API server, without extension."""
        message = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.message_sid}"
        return f"{message}/Media/{self.media_sid}"

    def as_json(self) -> JsonDict:
        """The Media resource JSON Twilio answers for ``<media url>.json``."""
        return {
            "account_sid": self.account_sid,
            "content_type": self.content_type,
            "date_created": self.created,
            "date_updated": self.created,
            "parent_sid": self.message_sid,
            "sid": self.media_sid,
            "uri": f"{self.path}.json",
        }


class TwilioError(Exception):
    """An error answer of the Twilio REST API: HTTP status, Twilio code and message."""

    def __init__(self, status: int, code: int, message: str, detail: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> JsonDict:
        """The JSON body Twilio sends for this error."""
        body: JsonDict = {"code": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        body["more_info"] = f"https://www.twilio.com/docs/errors/{self.code}"
        body["status"] = self.status
        return body


class _Dropped(Exception):
    """Raised inside the fake to close the connection without answering."""


@dataclass
class _Script:
    """A scripted misbehaviour for the next requests of one kind ("messages" or "media")."""

    error: TwilioError | None  # None: drop the connection
    remaining: int


@dataclass(frozen=True)
class _Request:
    """A parsed HTTP request."""

    method: str
    path: str
    params: Params
    credentials: tuple[str, str] | None
    authorization: bool
    at: float
    raw: bytes = b""  # the body as sent (the Content API's is JSON)


@dataclass(frozen=True)
class _Answer:
    """What to write back: status, headers and body."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class _MultiDict(dict[str, list[str]]):
    """Form params grouped by name, with the ``getlist`` RequestValidator looks for."""

    def getlist(self, key: str) -> list[str]:
        """Every value of a param, in order."""
        return self[key]


def error(status: int, code: int | None = None, message: str | None = None) -> TwilioError:
    """A TwilioError, its code and message defaulted from the HTTP status and known codes."""
    code = code if code is not None else STATUS_CODES.get(status, status)
    return TwilioError(status, code, message or ERROR_MESSAGES.get(code, f"Error {code}"))


def not_found(path: str) -> TwilioError:
    """Twilio's 404 for an unknown resource."""
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def unauthorized(credentials: tuple[str, str] | None) -> TwilioError:
    """Twilio's 401 (code 20003) for missing or wrong credentials."""
    message = NO_CREDENTIALS if credentials is None else ERROR_MESSAGES[20003]
    return TwilioError(401, 20003, message, BAD_CREDENTIALS)


def group_params(pairs: Iterable[tuple[str, str]]) -> Params:
    """Form pairs grouped by name, values in order (MediaUrl can repeat)."""
    params: Params = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) of an ``Authorization: Basic`` header, or None."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def rfc2822_now() -> str:
    """The current time as Twilio writes dates: "Thu, 24 Aug 2023 05:01:45 +0000"."""
    return format_datetime(datetime.now(UTC))


def json_answer(status: int, body: JsonDict, *extra: tuple[str, str]) -> _Answer:
    """A JSON answer."""
    headers = (("Content-Type", "application/json; charset=utf-8"), *extra)
    return _Answer(status, json.dumps(body).encode("utf-8"), headers)


def error_answer(err: TwilioError) -> _Answer:
    """The answer for a TwilioError (401s carry the Basic challenge)."""
    if err.status == 401:
        return json_answer(401, err.body(), ("WWW-Authenticate", 'Basic realm="Twilio API"'))
    return json_answer(err.status, err.body())


def fixture_kinds() -> list[str]:
    """Names of the recorded webhook forms under tests/fixtures/twilio/."""
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


def inbound_form(kind: str, **overrides: object) -> list[tuple[str, str]]:
    """The recorded webhook form of a kind with fields overridden (a None value drops the field)."""
    path = FIXTURES / f"{kind}.json"
    if not path.is_file():
        raise ValueError(f"no Twilio fixture {kind!r}; known: {', '.join(fixture_kinds())}")
    fields: dict[str, str] = json.loads(path.read_text("utf-8"))
    for name, value in overrides.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = str(value)
    return list(fields.items())


def signed(url: str, params: Mapping[str, str] | Iterable[tuple[str, str]], auth_token: str) -> str:
    """The X-Twilio-Signature Twilio would send for this form posted to url."""
    from twilio.request_validator import RequestValidator  # the fake's server needs no twilio

    pairs = params.items() if isinstance(params, Mapping) else params
    # A plain dict gives RequestValidator one value per name; getlist() gives it repeated ones.
    grouped = _MultiDict(group_params(pairs))
    return str(RequestValidator(auth_token).compute_signature(url, grouped))


class FakeTwilioApi:
    """A Twilio REST API server on 127.0.0.1 that records calls and follows a test's script."""

    def __init__(
        self,
        accounts: Mapping[str, str] | None = None,
        *,
        storage_rejects_auth: bool = True,
    ):
        self.accounts = dict(accounts or {DEFAULT_ACCOUNT_SID: DEFAULT_AUTH_TOKEN})
        self.storage_rejects_auth = storage_rejects_auth
        self._api_keys: dict[str, tuple[str, str]] = {}
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._downloads: list[Download] = []
        self._scripts: dict[str, list[_Script]] = {}
        self._media: dict[str, StoredMedia] = {}
        self._storage: dict[str, StoredMedia] = {}
        self._contents = ContentStore()
        self._shown: dict[str, str] = {}  # message SID -> what a content message shows
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeTwilioApi:
        """Listen on two free loopback ports (API and media storage) from daemon threads."""
        if self._servers:
            return self
        for role in ("api", "storage"):
            server = _Server(("127.0.0.1", 0), _Handler)
            server.api, server.role = self, role
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-twilio-{role}",
                daemon=True,
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, close the sockets and join the server threads."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> FakeTwilioApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base address of the API, e.g. http://127.0.0.1:54321 (set it as client.api.base_url)."""
        return self._base("api")

    @property
    def storage_url(self) -> str:
        """Base address of the media storage the media URLs redirect to (another origin)."""
        return self._base("storage")

    def _base(self, role: str) -> str:
        """Base address of the server playing a role."""
        for server in self._servers:
            if server.role == role:
                return f"http://127.0.0.1:{server.server_port}"
        raise RuntimeError("FakeTwilioApi is not started")

    # ---- test-side setup -------------------------------------------------------------------

    def add_api_key(self, key_sid: str, secret: str, account_sid: str | None = None) -> None:
        """Accept an API key (SK…) and its secret as Basic credentials for an account."""
        account = account_sid or next(iter(self.accounts))
        if account not in self.accounts:
            raise ValueError(f"unknown account {account}")
        with self._cond:
            self._api_keys[key_sid] = (secret, account)

    def add_media(
        self,
        account_sid: str,
        data: bytes,
        content_type: str,
        *,
        declared_size: int | None = None,
        message_sid: str | None = None,
    ) -> str:
        """Store media and return its Twilio URL; declared_size pads the download to that size."""
        if account_sid not in self.accounts:
            raise ValueError(f"unknown account {account_sid}")
        size = len(data) if declared_size is None else declared_size
        if size < len(data):
            raise ValueError("declared_size is smaller than the data")
        stored = StoredMedia(
            account_sid=account_sid,
            message_sid=message_sid or f"MM{uuid.uuid4().hex}",
            media_sid=f"ME{uuid.uuid4().hex}",
            data=data,
            content_type=content_type,
            size=size,
            token=uuid.uuid4().hex,
            created=rfc2822_now(),
        )
        with self._cond:
            self._media[stored.media_sid] = stored
            self._storage[stored.token] = stored
        return f"{self.url}{stored.path}"

    def fail_next(
        self, *, code: int, status: int = 400, message: str | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` message creations with a Twilio error (e.g. 63016, 21610)."""
        self._script("messages", _Script(error(status, code, message), times))

    def fail_content_next(
        self, *, code: int = 20500, status: int = 500, message: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` Content API calls with a Twilio error."""
        self._script("contents", _Script(error(status, code, message), times))

    def delete_content(self, sid: str) -> None:
        """Delete a content as an operator would in Twilio's console."""
        stored = next(c for c in self._contents.all if c.sid == sid)
        self._contents.delete(stored.account_sid, sid)

    def drop_next(self, times: int = 1) -> None:
        """Close the connection without answering the next `times` message creations."""
        self._script("messages", _Script(None, times))

    def fail_media_next(
        self, status: int = 404, times: int = 1, *, code: int | None = None
    ) -> None:
        """Answer the next `times` authenticated media GETs with a Twilio error."""
        self._script("media", _Script(error(status, code), times))

    def drop_media_next(self, times: int = 1) -> None:
        """Close the connection without answering the next `times` authenticated media GETs."""
        self._script("media", _Script(None, times))

    def _script(self, kind: str, script: _Script) -> None:
        """Append a scripted misbehaviour to a kind's queue (scripts run in order)."""
        with self._cond:
            self._scripts.setdefault(kind, []).append(script)

    # ---- test-side inspection --------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every REST call received so far, in order."""
        with self._cond:
            return list(self._calls)

    @property
    def downloads(self) -> list[Download]:
        """A snapshot of every media request (API stage and storage stage), in order."""
        with self._cond:
            return list(self._downloads)

    def sent(self, to: str | None = None) -> list[Call]:
        """Successful message creations, to one recipient (e.g. "whatsapp:+229…") or all."""
        return [
            call
            for call in self.calls
            if call.is_create and call.ok and (to is None or call.param("To") == to)
        ]

    def bodies(self, to: str) -> list[str]:
        """What the recipient read of each message successfully created for them, in order:
        its Body, or the words and options of a content the fake created (not a template's)."""
        with self._cond:
            shown = dict(self._shown)
        return [body for call in self.sent(to)
                if (body := call.param("Body") or shown.get(call.sid or ""))]

    @property
    def contents(self) -> list[StoredContent]:
        """The Content resources created so far."""
        return self._contents.all

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0) -> list[Call]:
        """Block until predicate(calls) holds and return the calls; TimeoutError otherwise."""
        with self._cond:
            if self._cond.wait_for(lambda: predicate(list(self._calls)), timeout=timeout):
                return list(self._calls)
            summary = ", ".join(f"{c.method} {c.path}→{c.status}" for c in self._calls) or "none"
        raise TimeoutError(f"condition not met within {timeout}s; calls: {summary}")

    async def wait_for_async(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0
    ) -> list[Call]:
        """wait_for without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    # ---- request handling (server threads) -------------------------------------------------

    def answer(self, request: _Request) -> _Answer | None:
        """The answer to a REST request (None: drop the connection); records the call."""
        with self._cond:
            sid = None
            try:
                status, body = self._dispatch(request)
                sid = body.get("sid")
                answer: _Answer | None = json_answer(status, body) if status != 204 \
                    else _Answer(204)
            except TwilioError as err:
                answer = error_answer(err)
            except _Dropped:
                answer = None
            self._record(request, DROPPED if answer is None else answer.status, sid)
        return answer

    def media(
        self, request: _Request, account: str, media_sid: str, as_json: bool
    ) -> _Answer | None:
        """The answer to a GET on a media URL: 307 to storage, or its JSON; records it."""
        with self._cond:
            try:
                answer: _Answer | None = self._media_answer(request, account, media_sid, as_json)
            except TwilioError as err:
                answer = error_answer(err)
            except _Dropped:
                answer = None
            self._download(request, "api", DROPPED if answer is None else answer.status)
        return answer

    def stored(self, request: _Request, token: str) -> tuple[int, StoredMedia | None]:
        """Status and media for a storage request (no auth; 400 if credentials came along)."""
        with self._cond:
            stored = self._storage.get(token)
            status = 200 if stored else 404
            if stored and request.authorization and self.storage_rejects_auth:
                status, stored = 400, None
            self._download(request, "storage", status)
        return status, stored

    def _dispatch(self, request: _Request) -> tuple[int, JsonDict]:
        """Authenticate, route, run scripts, then create the message."""
        if (content := CONTENT_PATH.match(request.path)) is not None:
            return self._content_call(request, content["sid"])
        account = account_in(request.path)
        self._authenticate(request, account)
        if request.method != "POST" or not request.path.endswith("/Messages.json") or not account:
            raise not_found(request.path)
        self._run_script("messages")
        created = self._create_message(account, request.params)
        try:
            shown = self._contents.shown(account, first(request.params, "ContentSid"),
                                         first(request.params, "ContentVariables"))
        except ContentRefused as refused:
            raise error(refused.status, refused.code, refused.message) from refused
        if shown is not None:
            self._shown[created["sid"]] = shown
            created["body"] = shown
        return 201, created

    def _content_call(self, request: _Request, sid: str | None) -> tuple[int, JsonDict]:
        """POST /v1/Content, GET or DELETE /v1/Content/HX…, for the caller's account."""
        account = self._authenticate(request, "")
        self._run_script("contents")
        try:
            if sid is None and request.method == "POST":
                return 201, self._contents.create(account, request.raw, rfc2822_now()).as_json(
                    self.url)
            if sid is not None and request.method == "GET":
                return 200, self._contents.get(account, sid).as_json(self.url)
            if sid is not None and request.method == "DELETE":
                self._contents.delete(account, sid)
                return 204, {}
        except ContentRefused as refused:
            raise error(refused.status, refused.code, refused.message) from refused
        raise not_found(request.path)

    def _media_answer(
        self, request: _Request, account: str, media_sid: str, as_json: bool
    ) -> _Answer:
        """Authenticate and find the media, then redirect to storage (or describe it)."""
        self._authenticate(request, account)
        stored = self._media.get(media_sid)
        if stored is None or stored.account_sid != account:
            raise not_found(request.path)
        self._run_script("media")
        if as_json:
            return json_answer(200, stored.as_json())
        location = f"{self.storage_url}/storage/{stored.token}"
        return _Answer(307, b"", (("Location", location),))

    def _authenticate(self, request: _Request, account: str) -> str:
        """Accept Basic credentials of the path's account (its token or an API key), or of
        any account when the path names none; the account they are for; 401 else."""
        credentials = request.credentials
        if credentials is None:
            raise unauthorized(None)
        username, password = credentials
        owner = username if self.accounts.get(username) == password else None
        key = self._api_keys.get(username)
        if key is not None and key[0] == password:
            owner = key[1]
        if owner is None or (account and owner != account):
            raise unauthorized(credentials)
        return owner

    def _run_script(self, kind: str) -> None:
        """Raise the next scripted error or drop for this kind, if any."""
        queue = self._scripts.get(kind)
        if not queue:
            return
        script = queue[0]
        script.remaining -= 1
        if script.remaining <= 0:
            queue.pop(0)
        if script.error is None:
            raise _Dropped
        raise script.error

    def _create_message(self, account: str, params: Params) -> JsonDict:
        """Validate a creation like Twilio does and answer the new Message resource."""
        check_creation(params)
        to, sender, service = (
            first(params, name) for name in ("To", "From", "MessagingServiceSid")
        )
        body, media = first(params, "Body"), params.get("MediaUrl", [])
        sid = f"{'MM' if media else 'SM'}{uuid.uuid4().hex}"
        now = rfc2822_now()
        uri = f"/{API_VERSION}/Accounts/{account}/Messages/{sid}"
        return {
            "account_sid": account,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "num_media": str(len(media)),
            "num_segments": "0" if service else "1",
            "price": None,
            "price_unit": None,
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }

    def _record(self, request: _Request, status: int, sid: str | None) -> None:
        """Append a Call and wake anyone waiting on the calls."""
        username = request.credentials[0] if request.credentials else None
        call = Call(
            account=account_in(request.path),
            method=request.method,
            path=request.path,
            params=request.params,
            at=request.at,
            status=status,
            username=username,
            sid=sid,
        )
        self._calls.append(call)
        self._cond.notify_all()

    def _download(self, request: _Request, stage: str, status: int) -> None:
        """Append a Download and wake anyone waiting."""
        self._downloads.append(
            Download(request.path, stage, status, request.at, request.authorization)
        )
        self._cond.notify_all()


ACCOUNT_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>AC[^/.]+)")


def account_in(path: str) -> str:
    """The AccountSid a REST path names, or ""."""
    match = ACCOUNT_PATH.match(path)
    return match["account"] if match else ""


def first(params: Params, name: str) -> str:
    """The first value of a param, or ""."""
    values = params.get(name)
    return values[0] if values else ""


def check_creation(params: Params) -> None:
    """Raise Twilio's 400 for a message creation missing To, a sender or content."""
    if not first(params, "To"):
        raise error(400, 21604)
    if not (first(params, "From") or first(params, "MessagingServiceSid")):
        raise error(400, 21603)
    if not (first(params, "Body") or params.get("MediaUrl") or first(params, "ContentSid")):
        raise error(400, 21602)
    if len(first(params, "Body")) > MAX_BODY_LENGTH:
        raise error(400, 21617)
    variables = first(params, "ContentVariables")
    if variables:
        try:
            valid = isinstance(json.loads(variables), dict)
        except ValueError:
            valid = False
        if not valid:
            raise error(400, 21656)


class _Server(ThreadingHTTPServer):
    """One HTTP server of the fake, with the role ("api" or "storage") it plays."""

    daemon_threads = True
    api: FakeTwilioApi
    role: str


class _Handler(BaseHTTPRequestHandler):
    """Routes REST calls and media URLs (api server) or media bytes (storage server)."""

    server: _Server
    timeout = 10  # seconds a silent client may hold a handler thread
    MEDIA_PATH = re.compile(
        rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/[^/]+/Media/"
        r"(?P<media>ME[0-9a-f]{32})(?P<json>\.json)?$"
    )
    STORAGE_PATH = re.compile(r"^/storage/(?P<token>[0-9a-f]{32})$")

    def do_POST(self) -> None:
        """Answer a REST call."""
        self._route()

    def do_GET(self) -> None:
        """Answer a REST call, a media URL or a storage download."""
        self._route()

    def do_HEAD(self) -> None:
        """Like GET, without the body."""
        self._route()

    def do_DELETE(self) -> None:
        """Delete a content."""
        self._route()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read fake.calls and fake.downloads, not stderr."""

    def _route(self) -> None:
        """Dispatch on server role and path."""
        request = self._parse()
        if self.server.role == "storage":
            self._storage(request)
        elif self.command in ("GET", "HEAD") and (match := self.MEDIA_PATH.match(request.path)):
            answer = self.server.api.media(
                request, match["account"], match["media"], bool(match["json"])
            )
            self._send(answer)
        else:
            self._send(self.server.api.answer(request))

    def _parse(self) -> _Request:
        """The request's path, form params (body then query) and credentials."""
        at = time.monotonic()
        split = urlsplit(self.path)
        raw = self._read_body()
        pairs = [] if CONTENT_PATH.match(split.path) else parse_qsl(
            raw.decode("utf-8", "replace"), keep_blank_values=True)
        pairs += parse_qsl(split.query, keep_blank_values=True)
        header = self.headers.get("Authorization")
        return _Request(
            method=self.command,
            path=unquote(split.path),
            params=group_params(pairs),
            credentials=basic_credentials(header),
            authorization=header is not None,
            at=at,
            raw=raw,
        )

    def _read_body(self) -> bytes:
        """The request body, by Content-Length (the twilio clients never chunk)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, answer: _Answer | None) -> None:
        """Write an answer, or close the connection without a word when it is None."""
        if answer is None:
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _storage(self, request: _Request) -> None:
        """Serve stored media bytes (padded to the declared size), or an error."""
        match = self.STORAGE_PATH.match(request.path)
        if match is None:
            self._send(_Answer(404, b"NoSuchKey", (("Content-Type", "text/plain"),)))
            return
        status, stored = self.server.api.stored(request, match["token"])
        if stored is None:
            text = b"Only one auth mechanism allowed" if status == 400 else b"NoSuchKey"
            self._send(_Answer(status, text, (("Content-Type", "text/plain"),)))
            return
        self.send_response(200)
        self.send_header("Content-Type", stored.content_type)
        self.send_header("Content-Length", str(stored.size))
        self.end_headers()
        if self.command != "HEAD":
            self._stream(stored)

    def _stream(self, stored: StoredMedia) -> None:
        """Write the bytes then zero padding up to the declared size, until the client leaves."""
        try:
            self.wfile.write(stored.data)
            remaining = stored.size - len(stored.data)
            padding = bytes(CHUNK)
            while remaining > 0:
                self.wfile.write(padding[: min(remaining, CHUNK)])
                remaining -= CHUNK
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

"""A fake Telegram Bot API on 127.0.0.1 that speaks the real wire format, for tests.

Point python-telegram-bot at it with
``telegram.Bot(token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")``.
Every request to ``/bot<TOKEN>/<method>`` is recorded as a :class:`Call`; the test queues
updates, registers files, scripts failures (``fail_next``, ``drop_next``) and blocks chats.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message as MimeHeaders
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

JsonDict = dict[str, Any]

DEFAULT_TOKEN = "123:ABC"
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files, like the real Bot API
BOT_USERNAME = "palabre_test_bot"
DROPPED = 0  # Call.status of a request whose connection was closed without an answer

# Parameters the Bot API takes as JSON-serialised objects; the fake decodes them.
JSON_PARAMS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "permissions",
        "reply_markup",
        "reply_parameters",
        "results",
        "scope",
    }
)

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

# Extension and folder of a file's path, guessed from its first bytes.
MAGIC_KINDS = (
    (b"\xff\xd8\xff", "photos", ".jpg"),
    (b"\x89PNG", "photos", ".png"),
    (b"OggS", "voice", ".oga"),
    (b"%PDF", "documents", ".pdf"),
    (b"ID3", "music", ".mp3"),
)


@dataclass(frozen=True)
class Call:
    """One request the fake received: decoded params, uploaded files and the status answered."""

    token: str
    method: str
    params: dict[str, object]
    files: dict[str, bytes]
    at: float
    status: int = 200
    filenames: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the fake answered this call with success."""
        return self.status == 200

    @property
    def chat_id(self) -> str | None:
        """The chat_id parameter as sent on the wire (a string), if any."""
        value = self.params.get("chat_id")
        return None if value is None else str(value)


@dataclass(frozen=True)
class StoredFile:
    """A file the fake can hand out through getFile and serve for download."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_size: int
    file_path: str

    def as_json(self) -> JsonDict:
        """The Bot API File object for this file."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: JsonDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JsonDict:
        """The JSON body Telegram sends for this error."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _Dropped(Exception):
    """Raised inside the fake to close the connection without answering."""


@dataclass
class _Script:
    """A scripted misbehaviour for the next calls of one method."""

    error: ApiError | None  # None: drop the connection
    remaining: int


@dataclass
class _Request:
    """A parsed API request."""

    token: str
    method: str
    params: dict[str, object]
    files: dict[str, bytes]
    filenames: dict[str, str]
    at: float


# Canonical method name -> name of the FakeTelegramApi method that answers it.
METHODS = {
    "getMe": "_get_me",
    "getUpdates": "_get_updates",
    "sendMessage": "_send_message",
    "sendPhoto": "_send_photo",
    "sendDocument": "_send_document",
    "sendAudio": "_send_audio",
    "sendVoice": "_send_voice",
    "sendLocation": "_send_location",
    "answerCallbackQuery": "_answer_callback_query",
    "editMessageReplyMarkup": "_edit_message_reply_markup",
    "setWebhook": "_set_webhook",
    "deleteWebhook": "_delete_webhook",
    "getWebhookInfo": "_get_webhook_info",
    "setMyCommands": "_set_my_commands",
    "getMyCommands": "_get_my_commands",
    "getFile": "_get_file",
}
_CANONICAL = {name.lower(): name for name in METHODS}


def canonical_method(name: str) -> str:
    """The Bot API's spelling of a method name given in any case (unknown names unchanged)."""
    return _CANONICAL.get(name.lower(), name)


def bad_request(detail: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: ..." description."""
    return ApiError(400, f"Bad Request: {detail}")


def decode_params(raw: Iterable[tuple[str, object]]) -> dict[str, object]:
    """Wire params with the JSON-valued ones (reply_markup, entities...) decoded."""
    params: dict[str, object] = {}
    for name, value in raw:
        if name in JSON_PARAMS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[name] = value
    return params


def parse_multipart(
    body: bytes, boundary: str
) -> tuple[list[tuple[str, object]], dict[str, bytes], dict[str, str]]:
    """Split a multipart/form-data body into plain fields, file contents and file names."""
    fields: list[tuple[str, object]] = []
    files: dict[str, bytes] = {}
    filenames: dict[str, str] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = MimeHeaders()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip()] = value.strip()
        name = str(headers.get_param("name", header="content-disposition") or "")
        filename = headers.get_filename()
        if filename is None:
            fields.append((name, content.decode("utf-8")))
        else:
            files[name] = content
            filenames[name] = filename
    return fields, files, filenames


def int_param(params: dict[str, object], name: str, default: int) -> int:
    """An integer parameter, or default when absent; 400 when not a number."""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(cast(str, value))
    except ValueError as err:
        raise bad_request(f"invalid {name} specified") from err


def float_param(params: dict[str, object], name: str, default: float | None = None) -> float:
    """A float parameter (required unless a default is given); 400 when not a number."""
    value = params.get(name)
    if (value is None or value == "") and default is not None:
        return default
    try:
        return float(cast(str, value))
    except (TypeError, ValueError) as err:
        raise bad_request(f"invalid {name} specified") from err


def chat_id_param(params: dict[str, object]) -> int:
    """The chat_id of a request as an integer; 400 like Telegram when empty or unknown."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    try:
        return int(cast(str, value))
    except ValueError as err:
        raise bad_request("chat not found") from err


def guess_path(index: int, data: bytes) -> str:
    """A Telegram-like file_path ("photos/file_3.jpg") chosen from the file's first bytes."""
    for magic, folder, extension in MAGIC_KINDS:
        if data.startswith(magic):
            return f"{folder}/file_{index}{extension}"
    return f"documents/file_{index}"


class FakeTelegramApi:
    """A Telegram Bot API server on 127.0.0.1 that records calls and follows a test's script."""

    def __init__(self, tokens: Iterable[str] = (DEFAULT_TOKEN,), *, long_poll_cap: float = 1.0):
        self.tokens = frozenset(tokens)
        self.long_poll_cap = long_poll_cap
        self.downloads: list[str] = []
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._updates: list[JsonDict] = []
        self._next_update_id = 1000
        self._message_ids: dict[int, int] = {}
        self._chat_kinds: dict[int, tuple[str, str | None]] = {}
        self._blocked: set[int] = set()
        self._scripts: dict[str, list[_Script]] = {}
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._webhook: JsonDict = {}
        self._commands: list[JsonDict] = []
        self._stopping = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeTelegramApi:
        """Listen on a free loopback port and serve from a daemon thread."""
        if self._server is not None:
            return self
        self._stopping = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-telegram-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake long polls, stop serving, close the socket and join the server thread."""
        server, thread = self._server, self._thread
        if server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTelegramApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base address of the running fake, e.g. http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError("FakeTelegramApi is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    # ---- test-side setup -------------------------------------------------------------------

    def queue_update(self, update: JsonDict) -> JsonDict:
        """Queue an Update for getUpdates (an update_id is given when missing); returns it."""
        with self._cond:
            update = dict(update)
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
            self._updates.append(update)
            self._cond.notify_all()
            return update

    def queue_message(
        self, chat_id: int, text: str | None = None, *, user: JsonDict | None = None, **fields: Any
    ) -> JsonDict:
        """Queue an Update carrying a message from a user in a chat (extra Message fields ok)."""
        with self._cond:
            message = {
                "message_id": self._next_message_id(chat_id),
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": user or self._user(chat_id),
                **fields,
            }
            if text is not None:
                message["text"] = text
            return self.queue_update({"message": message})

    def queue_callback_query(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user: JsonDict | None = None,
    ) -> JsonDict:
        """Queue an Update with a button press on a bot message (the last one by default)."""
        with self._cond:
            pressed = message_id or self._message_ids.get(chat_id, 1)
            query_id = f"cbq-{self._next_update_id}"
            message = {
                "message_id": pressed,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": self._bot_user(next(iter(self.tokens), DEFAULT_TOKEN)),
                "text": "…",
            }
            query = {
                "id": query_id,
                "from": user or self._user(chat_id),
                "chat_instance": f"ci-{chat_id}",
                "message": message,
                "data": data,
            }
            return self.queue_update({"callback_query": query})

    def add_file(
        self,
        file_id: str,
        data: bytes,
        *,
        file_size: int | None = None,
        file_unique_id: str | None = None,
        file_path: str | None = None,
    ) -> StoredFile:
        """Register a file for getFile and download; file_size > 20 MB makes getFile refuse it."""
        with self._cond:
            index = next(self._file_counter)
            stored = StoredFile(
                file_id=file_id,
                file_unique_id=file_unique_id or f"uniq{index}",
                data=data,
                file_size=len(data) if file_size is None else file_size,
                file_path=file_path or guess_path(index, data),
            )
            self._files[file_id] = stored
            self._paths[stored.file_path] = stored
            return stored

    def set_chat(self, chat_id: int, *, kind: str, title: str | None = None) -> None:
        """Give a chat a type ("private", "group", "supergroup", "channel") and a title."""
        with self._cond:
            self._chat_kinds[chat_id] = (kind, title)

    def block(self, chat_id: int) -> None:
        """Answer every later send to this chat with 403 "bot was blocked by the user"."""
        with self._cond:
            self._blocked.add(chat_id)

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of method with this error (429 carries retry_after)."""
        if description is None:
            description = DEFAULT_DESCRIPTIONS.get(status, "Error")
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after or 0}"
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        self._script(method, _Script(ApiError(status, description, parameters), times))

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next `times` calls of method."""
        self._script(method, _Script(None, times))

    def _script(self, method: str, script: _Script) -> None:
        """Append a scripted misbehaviour to a method's queue (scripts run in order)."""
        with self._cond:
            self._scripts.setdefault(canonical_method(method).lower(), []).append(script)

    # ---- test-side inspection --------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every API call received so far, in order."""
        with self._cond:
            return list(self._calls)

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Queued updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return list(self._updates)

    def sent(
        self, method: str | None = None, chat_id: int | str | None = None, *, ok: bool | None = None
    ) -> list[Call]:
        """Calls of a method (any case) to a chat; ok=True keeps only the successful ones."""
        wanted = None if method is None else method.lower()
        return [
            call
            for call in self.calls
            if (wanted is None or call.method.lower() == wanted)
            and (chat_id is None or call.chat_id == str(chat_id))
            and (ok is None or call.ok == ok)
        ]

    def texts(self, chat_id: int | str) -> list[str]:
        """Texts delivered to a chat in order: sendMessage's text, media captions."""
        texts: list[str] = []
        for call in self.sent(chat_id=chat_id, ok=True):
            value = call.params.get("text" if call.method == "sendMessage" else "caption")
            if isinstance(value, str):
                texts.append(value)
        return texts

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0) -> list[Call]:
        """Block until predicate(calls) holds and return the calls; TimeoutError otherwise."""
        with self._cond:
            if self._cond.wait_for(lambda: predicate(list(self._calls)), timeout=timeout):
                return list(self._calls)
            summary = ", ".join(f"{c.method}→{c.status}" for c in self._calls) or "none"
        raise TimeoutError(f"condition not met within {timeout}s; calls: {summary}")

    async def wait_for_async(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0
    ) -> list[Call]:
        """wait_for without blocking the event loop (for adapters running in the same loop)."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    # ---- request handling (server threads) -------------------------------------------------

    def answer(self, request: _Request) -> tuple[int, JsonDict | None]:
        """Status and JSON body for an API request (body None: drop the connection); records it."""
        with self._cond:
            try:
                result = self._dispatch(request)
                status, body = 200, {"ok": True, "result": result}
            except ApiError as err:
                status, body = err.status, err.body()
            except _Dropped:
                status, body = DROPPED, None
            self._record(request, status)
        return status, body

    def download(self, token: str, path: str) -> bytes | None:
        """The bytes behind a file_path for a known token, or None."""
        with self._cond:
            stored = self._paths.get(path) if token in self.tokens else None
            if stored is not None:
                self.downloads.append(path)
            return None if stored is None else stored.data

    def _dispatch(self, request: _Request) -> Any:
        """Check token, method and scripts, then run the method's handler."""
        if request.token not in self.tokens:
            raise ApiError(401, "Unauthorized")
        handler_name = METHODS.get(request.method)
        if handler_name is None:
            raise ApiError(404, "Not Found")
        self._run_script(request.method)
        return getattr(self, handler_name)(request)

    def _run_script(self, method: str) -> None:
        """Raise the next scripted error or drop for this method, if any."""
        queue = self._scripts.get(method.lower())
        if not queue:
            return
        script = queue[0]
        script.remaining -= 1
        if script.remaining <= 0:
            queue.pop(0)
        if script.error is None:
            raise _Dropped
        raise script.error

    def _record(self, request: _Request, status: int) -> None:
        """Append a Call and wake anyone waiting on the calls."""
        call = Call(
            token=request.token,
            method=request.method,
            params=request.params,
            files=request.files,
            at=request.at,
            status=status,
            filenames=request.filenames,
        )
        self._calls.append(call)
        self._cond.notify_all()

    # ---- Bot API objects -------------------------------------------------------------------

    def _bot_user(self, token: str) -> JsonDict:
        """The User object of the bot behind a token."""
        prefix = token.split(":", 1)[0]
        return {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": "Palabre",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _user(self, user_id: int) -> JsonDict:
        """A human User object for a private chat's id."""
        return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}

    def _chat(self, chat_id: int) -> JsonDict:
        """The Chat object: private for positive ids, supergroup for -100…, else group."""
        if chat_id in self._chat_kinds:
            kind, title = self._chat_kinds[chat_id]
        elif chat_id > 0:
            kind, title = "private", None
        else:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            title = f"Chat {chat_id}"
        if kind == "private":
            return {"id": chat_id, "type": kind, "first_name": f"User {chat_id}"}
        return {"id": chat_id, "type": kind, "title": title or f"Chat {chat_id}"}

    def _next_message_id(self, chat_id: int) -> int:
        """The next message_id in a chat (ids are per chat, shared by both directions)."""
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _message(self, request: _Request, **content: Any) -> JsonDict:
        """A Message from the bot to the request's chat, with the given content fields."""
        chat_id = chat_id_param(request.params)
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        message: JsonDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user(request.token),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        caption = request.params.get("caption")
        if caption:
            message["caption"] = caption
        markup = request.params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        return message

    def _media(self, request: _Request, name: str, kind: str) -> StoredFile:
        """The file a send* call refers to: an upload, attach://, a known file_id or a URL."""
        value = request.params.get(name)
        upload_name = name
        if isinstance(value, str) and value.startswith("attach://"):
            upload_name = value.removeprefix("attach://")
        if upload_name in request.files:
            index = next(self._file_counter)
            return self.add_file(f"{kind}-{index}", request.files[upload_name])
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            index = next(self._file_counter)
            return self.add_file(f"{kind}-{index}", b"")
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _upload_name(self, request: _Request, name: str, default: str) -> str:
        """The file name an upload was sent with."""
        return request.filenames.get(name) or default

    # ---- method handlers -------------------------------------------------------------------

    def _get_me(self, request: _Request) -> JsonDict:
        """getMe: the bot's User."""
        return self._bot_user(request.token)

    def _send_message(self, request: _Request) -> JsonDict:
        """sendMessage: a text Message; 400 when the text is empty."""
        chat_id_param(request.params)
        text = request.params.get("text")
        if not text:
            raise bad_request("message text is empty")
        return self._message(request, text=text)

    def _send_photo(self, request: _Request) -> JsonDict:
        """sendPhoto: a Message with a thumbnail and a full-size PhotoSize."""
        chat_id_param(request.params)
        stored = self._media(request, "photo", "photo")
        thumb = self.add_file(f"{stored.file_id}-s", stored.data)
        sizes = [
            {**self._file_fields(thumb), "width": 90, "height": 68},
            {**self._file_fields(stored), "width": 1280, "height": 960},
        ]
        return self._message(request, photo=sizes)

    def _send_document(self, request: _Request) -> JsonDict:
        """sendDocument: a Message with a Document."""
        chat_id_param(request.params)
        stored = self._media(request, "document", "document")
        document = {
            **self._file_fields(stored),
            "file_name": self._upload_name(request, "document", "document"),
            "mime_type": "application/octet-stream",
        }
        return self._message(request, document=document)

    def _send_audio(self, request: _Request) -> JsonDict:
        """sendAudio: a Message with an Audio."""
        chat_id_param(request.params)
        stored = self._media(request, "audio", "audio")
        audio = {
            **self._file_fields(stored),
            "duration": int_param(request.params, "duration", 1),
            "file_name": self._upload_name(request, "audio", "audio.mp3"),
            "mime_type": "audio/mpeg",
        }
        return self._message(request, audio=audio)

    def _send_voice(self, request: _Request) -> JsonDict:
        """sendVoice: a Message with a Voice."""
        chat_id_param(request.params)
        stored = self._media(request, "voice", "voice")
        voice = {
            **self._file_fields(stored),
            "duration": int_param(request.params, "duration", 1),
            "mime_type": "audio/ogg",
        }
        return self._message(request, voice=voice)

    def _send_location(self, request: _Request) -> JsonDict:
        """sendLocation: a Message with a Location."""
        chat_id_param(request.params)
        location = {
            "latitude": float_param(request.params, "latitude"),
            "longitude": float_param(request.params, "longitude"),
        }
        return self._message(request, location=location)

    def _file_fields(self, stored: StoredFile) -> JsonDict:
        """The fields every file object (PhotoSize, Document…) shares."""
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }

    def _answer_callback_query(self, request: _Request) -> bool:
        """answerCallbackQuery: true; 400 without a query id."""
        if not request.params.get("callback_query_id"):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return True

    def _edit_message_reply_markup(self, request: _Request) -> JsonDict | bool:
        """editMessageReplyMarkup: true for inline messages, else the edited Message."""
        if request.params.get("inline_message_id"):
            return True
        chat_id = chat_id_param(request.params)
        message_id = int_param(request.params, "message_id", 0)
        if not 0 < message_id <= self._message_ids.get(chat_id, 0):
            raise bad_request("message to edit not found")
        message: JsonDict = {
            "message_id": message_id,
            "from": self._bot_user(request.token),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "text": "…",
        }
        markup = request.params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        return message

    def _set_webhook(self, request: _Request) -> bool:
        """setWebhook: remember the url (an empty url removes the webhook)."""
        url = str(request.params.get("url") or "")
        self._webhook = {"url": url} if url else {}
        if url and request.params.get("allowed_updates"):
            self._webhook["allowed_updates"] = request.params["allowed_updates"]
        return True

    def _delete_webhook(self, request: _Request) -> bool:
        """deleteWebhook: forget the url; drop_pending_updates empties the queue."""
        self._webhook = {}
        if str(request.params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        return True

    def _get_webhook_info(self, request: _Request) -> JsonDict:
        """getWebhookInfo: the WebhookInfo object."""
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
            **self._webhook,
        }

    def _set_my_commands(self, request: _Request) -> bool:
        """setMyCommands: remember the command list."""
        commands = request.params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        self._commands = commands
        return True

    def _get_my_commands(self, request: _Request) -> list[JsonDict]:
        """getMyCommands: the last command list set."""
        return list(self._commands)

    def _get_file(self, request: _Request) -> JsonDict:
        """getFile: the File object; 400 for unknown ids and files over 20 MB."""
        stored = self._files.get(str(request.params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return stored.as_json()

    def _get_updates(self, request: _Request) -> list[JsonDict]:
        """getUpdates: confirm below offset, long-poll up to min(timeout, long_poll_cap)."""
        if self._webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int_param(request.params, "offset", 0)
        limit = min(max(int_param(request.params, "limit", 100), 1), 100)
        wait = min(max(float_param(request.params, "timeout", 0.0), 0.0), self.long_poll_cap)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._cond.wait_for(lambda: self._stopping or bool(self._pending(offset)), timeout=wait)
        return self._pending(offset)[:limit]

    def _pending(self, offset: int) -> list[JsonDict]:
        """Queued updates at or after offset (a negative offset counts from the end)."""
        if offset < 0:
            return self._updates[offset:]
        return [u for u in self._updates if u["update_id"] >= offset]


class _Server(ThreadingHTTPServer):
    """The HTTP server, holding the fake its handlers answer for."""

    daemon_threads = True
    api: FakeTelegramApi


class _Handler(BaseHTTPRequestHandler):
    """Routes /bot<TOKEN>/<method> to the fake and serves /file/bot<TOKEN>/<path>."""

    server: _Server
    timeout = 10  # seconds a silent client may hold a handler thread
    API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[^/]+)$")
    FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")

    def do_POST(self) -> None:
        """Answer an API call."""
        self._route()

    def do_GET(self) -> None:
        """Answer an API call sent as GET, or a file download."""
        self._route()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read fake.calls, not stderr."""

    def _route(self) -> None:
        """Dispatch on the path: API call, file download or 404."""
        split = urlsplit(self.path)
        path = unquote(split.path)
        if match := self.API_PATH.match(path):
            self._api_call(match["token"], match["method"], split.query)
        elif self.command == "GET" and (match := self.FILE_PATH.match(path)):
            self._file(match["token"], match["path"])
        else:
            self._read_body()
            self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def _api_call(self, token: str, method: str, query: str) -> None:
        """Parse the request, let the fake answer it, then reply or drop the connection."""
        at = time.monotonic()
        raw, files, filenames = self._read_params()
        raw = parse_qsl(query, keep_blank_values=True) + raw
        request = _Request(
            token=token,
            method=canonical_method(method),
            params=decode_params(raw),
            files=files,
            filenames=filenames,
            at=at,
        )
        status, body = self.server.api.answer(request)
        if body is None:
            self.close_connection = True  # nothing written: the client sees a disconnect
            return
        self._send_json(status, body)

    def _file(self, token: str, path: str) -> None:
        """Serve a registered file's bytes, or 404."""
        data = self.server.api.download(token, path)
        if data is None:
            self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_params(self) -> tuple[list[tuple[str, object]], dict[str, bytes], dict[str, str]]:
        """Fields, files and file names of the body, whatever its content type."""
        body = self._read_body()
        content_type = self.headers.get_content_type()
        if content_type == "multipart/form-data":
            boundary = str(self.headers.get_param("boundary") or "")
            return parse_multipart(body, boundary)
        if content_type == "application/json" and body:
            return list(json.loads(body).items()), {}, {}
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        return list(pairs), {}, {}

    def _read_body(self) -> bytes:
        """The request body, by Content-Length or chunked transfer encoding."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        """A chunked request body, reassembled."""
        chunks: list[bytes] = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass  # trailers
        return b"".join(chunks)

    def _send_json(self, status: int, body: JsonDict) -> None:
        """Write a JSON answer with the given HTTP status."""
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

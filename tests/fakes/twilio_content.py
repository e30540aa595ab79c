"""The Content API of the fake Twilio (``https://content.twilio.com/v1/Content``): layouts
created, read and deleted as Twilio documents them, and what a WhatsApp message sent with one
shows the citizen.

Checked as https://www.twilio.com/docs/content documents the two types WhatsApp sends inside a
conversation without approval: ``twilio/quick-reply`` (a body of at most 1,024 characters and
1 to 10 actions of a title of at most 20 characters and an id of at most 200; WhatsApp shows 3
at most without approval) and ``twilio/list-picker`` (a body, a button of at most 20
characters, 1 to 10 items of at most 24 characters, an id of at most 200 and an optional
description of at most 72). The JSON body may carry ``null`` for the types it does not use, as
the twilio helper library writes it.

A ContentSid the fake did not create stands for a template approved in Twilio's console; one
it created and then deleted answers 21655 when a message names it.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]
CONTENT_PATH = re.compile(r"^/v1/Content(?:/(?P<sid>HX[0-9a-f]{32}))?$")
INVALID_PARAMETER = 20001  # a layout Twilio refuses (types, lengths, counts)
NOT_FOUND = 20404
INVALID_CONTENT_SID = 21655
SESSION_TYPES = ("twilio/quick-reply", "twilio/list-picker", "twilio/text")
VARIABLE = re.compile(r"{{\s*(\w{1,16})\s*}}")
WHATSAPP_BUTTONS = 3  # quick replies WhatsApp shows in a conversation without approval


class ContentRefused(Exception):
    """Twilio's error answer to a Content API call or to a message naming a content."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class StoredContent:
    """One Content resource of an account."""

    sid: str
    account_sid: str
    friendly_name: str
    language: str
    variables: dict[str, str]
    kind: str
    layout: JsonDict
    created: str

    def as_json(self, base: str) -> JsonDict:
        """The Content resource as Twilio answers it."""
        url = f"{base}/v1/Content/{self.sid}"
        return {"account_sid": self.account_sid, "date_created": self.created,
                "date_updated": self.created, "friendly_name": self.friendly_name,
                "language": self.language, "links": {
                    "approval_create": f"{url}/ApprovalRequests/whatsapp",
                    "approval_fetch": f"{url}/ApprovalRequests"},
                "sid": self.sid, "types": {self.kind: self.layout}, "url": url,
                "variables": self.variables}

    def options(self) -> list[tuple[str, str, str]]:
        """(id, title, description) of each button or list row."""
        if self.kind == "twilio/quick-reply":
            return [(a["id"], a["title"], "") for a in self.layout["actions"]]
        if self.kind == "twilio/list-picker":
            return [(i["id"], i["item"], i.get("description") or "")
                    for i in self.layout["items"]]
        return []

    def shown(self, values: dict[str, str]) -> str:
        """The words the citizen reads: the body with its variables, then each option (a
        list row's description beneath it)."""
        body = VARIABLE.sub(lambda m: values.get(m[1], self.variables.get(m[1], "")),
                            self.layout["body"])
        lines = [title + (f"\n{more}" if more else "") for _, title, more in self.options()]
        return "\n\n".join([body, "\n".join(lines)]) if lines else body


class ContentStore:
    """The contents every account of the fake created, and the checks Twilio makes."""

    def __init__(self) -> None:
        self._contents: dict[str, StoredContent] = {}
        self._deleted: set[str] = set()
        self._lock = threading.Lock()

    @property
    def all(self) -> list[StoredContent]:
        with self._lock:
            return list(self._contents.values())

    def create(self, account: str, raw: bytes, now: str) -> StoredContent:
        """A new content from the JSON body of ``POST /v1/Content``."""
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise ContentRefused(400, INVALID_PARAMETER, "Invalid JSON body") from exc
        if not isinstance(body, dict):
            raise ContentRefused(400, INVALID_PARAMETER, "Invalid JSON body")
        kind, layout = check_types(body.get("types"))
        language = body.get("language")
        if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}(_[A-Z]{2})?", language):
            raise ContentRefused(400, INVALID_PARAMETER, "language: a two-letter code")
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise ContentRefused(400, INVALID_PARAMETER, "variables: an object")
        stored = StoredContent(sid=f"HX{uuid.uuid4().hex}", account_sid=account,
                               friendly_name=str(body.get("friendly_name") or ""),
                               language=language, variables=dict(variables), kind=kind,
                               layout=layout, created=now)
        with self._lock:
            self._contents[stored.sid] = stored
        return stored

    def get(self, account: str, sid: str) -> StoredContent:
        with self._lock:
            found = self._contents.get(sid)
        if found is None or found.account_sid != account:
            raise ContentRefused(404, NOT_FOUND, "The requested resource was not found")
        return found

    def delete(self, account: str, sid: str) -> None:
        self.get(account, sid)
        with self._lock:
            self._contents.pop(sid)
            self._deleted.add(sid)

    def shown(self, account: str, sid: str, variables: str) -> str | None:
        """What a message sent with this ContentSid shows; None for a template the fake did
        not create; 21655 for a content deleted or another account's."""
        with self._lock:
            found = self._contents.get(sid)
            deleted = sid in self._deleted
        if deleted or (found is not None and found.account_sid != account):
            raise ContentRefused(400, INVALID_CONTENT_SID, "The ContentSid is Invalid")
        if found is None:
            return None
        if found.kind == "twilio/quick-reply" and len(found.options()) > WHATSAPP_BUTTONS:
            raise ContentRefused(400, INVALID_PARAMETER, "WhatsApp shows 3 quick replies at "
                                 "most in a conversation without an approved template")
        values = json.loads(variables) if variables else {}
        text = found.shown({str(k): str(v) for k, v in values.items()})
        if len(text.split("\n\n")[0]) > 1024 and found.kind != "twilio/text":
            raise ContentRefused(400, 21656, "The ContentVariables Parameter is invalid.")
        return text


def check_types(types: object) -> tuple[str, JsonDict]:
    """The one type a content of Palabre's kinds holds, checked; 20001 otherwise."""
    if not isinstance(types, dict):
        raise ContentRefused(400, INVALID_PARAMETER, "types: required")
    given = {k: v for k, v in types.items() if v is not None}
    if len(given) != 1 or next(iter(given)) not in SESSION_TYPES:
        raise ContentRefused(400, INVALID_PARAMETER,
                             f"types: one of {', '.join(SESSION_TYPES)} (fake)")
    kind, layout = next(iter(given.items()))
    layout = {k: v for k, v in layout.items() if v is not None}
    _text(layout, "body", 1024 if kind != "twilio/text" else 1600)
    if kind == "twilio/quick-reply":
        layout["actions"] = _items(layout, "actions")
        for action in layout["actions"]:
            _text(action, "title", 20)
            _text(action, "id", 200)
    elif kind == "twilio/list-picker":
        _text(layout, "button", 20)
        layout["items"] = _items(layout, "items")
        for item in layout["items"]:
            _text(item, "item", 24)
            _text(item, "id", 200)
            if item.get("description") is not None:
                _text(item, "description", 72, required=False)
    return kind, layout


def _items(layout: JsonDict, name: str) -> list[JsonDict]:
    items = layout.get(name)
    if not isinstance(items, list) or not 1 <= len(items) <= 10 \
            or not all(isinstance(i, dict) for i in items):
        raise ContentRefused(400, INVALID_PARAMETER, f"{name}: 1 to 10 objects")
    return [{k: v for k, v in i.items() if v is not None} for i in items]


def _text(holder: JsonDict, name: str, limit: int, *, required: bool = True) -> None:
    value = holder.get(name)
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise ContentRefused(400, INVALID_PARAMETER,
                             f"{name}: {'required, ' if required else ''}at most {limit} "
                             "characters")

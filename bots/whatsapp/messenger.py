"""Sending the outbox on WhatsApp through Twilio's REST API, and fetching citizens' media.

WhatsApp's rule: free-form messages only within 24 hours of the citizen's last message.
Outside it, a message goes as the Content template configured for its kind, or waits for the
citizen's next message (held). Twilio's error 63016 (outside the window) takes the same path.
Inside it, a question's options go as buttons or a list (bots/whatsapp/menus.py), or as
numbered lines when Twilio cannot make or send them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from bots.telegram.throttle import Throttle
from bots.whatsapp import menus
from bots.whatsapp.config import CHANNEL, PREFIX, Sender, WhatsAppConfig
from bots.whatsapp.menus import Menu
from core.messages.contents import ContentBook
from core.messages.neutral import OutboundMessage
from core.messages.pace import SharedPace, Window, book_patiently, settle
from core.ports import (
    Clock,
    DeliveryError,
    FetchedFile,
    FetchError,
    SendReceipt,
)
from dialogs.render import numbered_text, split_text

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=5)  # the citizen's clock and ours, and Twilio's queue
BODY_LIMIT = 1600  # Twilio's limit for a WhatsApp body
OUTSIDE_WINDOW = 63016
UNSUBSCRIBED = 21610
RETRYABLE_CODES = {20429, 20500, 20503, 63018, 63038}  # rate limits, Twilio outages
CONTENT_UNKNOWN = {20404, 21655}  # the ContentSid is not (or no longer) the account's
MENU_REFUSED_FOR_S = 3600.0  # a layout Twilio refused to create is not asked for again soon
MENUS_PAUSED_FOR_S = 60.0  # after the Content API failed, no layout is created for a minute
CONTENT_TIMEOUT_S = 5.0  # a layout waits this long at most: numbered lines go instead
TEMPLATE_FOR = {"status_update": "status_update", "reply_waiting": "reply",
                "council_reminder": "council_reminder", "announcement": "announcement",
                "followup": "followup"}
SLEEPABLE_S = 1.0  # a wait for the sender's next second is slept, not given back
SHARED_PATIENCE_S = 2.0  # how long a sender keeps trying to book before giving it back
# A template to fall back on when the deployment has not registered the first one.
TEMPLATE_FALLBACK = {"followup": "status_update"}


class WhatsAppMessenger:
    """Numbered text menus, free-form inside the window, templates outside, per-sender pace."""

    channel = "whatsapp"

    def __init__(self, config: WhatsAppConfig, clock: Clock,
                 client: Client | None = None, pace: SharedPace | None = None,
                 contents: ContentBook | None = None) -> None:
        self.config = config
        self.clock = clock
        self.client = client or twilio_client(config)
        # The layouts of buttons and lists created at Twilio (none: numbered lines only),
        # through a client of their own: a slow Content API never holds the messages' calls
        self.contents = contents if config.buttons else None
        self.content_client = twilio_client(config, timeout=CONTENT_TIMEOUT_S) \
            if self.contents is not None else None
        self._refused_menus: dict[str, float] = {}  # key -> until when it is not tried
        self._menus_paused_until = 0.0  # after a failure of the Content API
        self._menus_lock = threading.Lock()
        # Each sender's pace shared by every process (PostgreSQL), else kept here.
        self.pace = pace
        self.throttles: dict[str, Throttle] = {}
        self._throttles_lock = threading.Lock()
        # The twilio client keeps each response on itself before returning it: one call at a
        # time, or a thread could read another's message SID (or error).
        self._calls = threading.Lock()

    def send(self, message: OutboundMessage) -> SendReceipt:
        sender = self.config.sender(message.account) or self.config.senders[0]
        if message.hints.get("voice"):
            return self._send_voice(sender, message)
        with self._turn(sender):
            return self._send_text(sender, message)

    def _send_text(self, sender: Sender, message: OutboundMessage) -> SendReceipt:
        if self._in_window(message) and not message.hints.get("template"):
            try:
                return self._send_menu(sender, message) or self._send_numbered(
                    sender, message, message.text)
            except TwilioRestException as exc:
                if exc.code != OUTSIDE_WINDOW:
                    raise delivery_error(exc) from exc
                logger.info("outbox %s: outside WhatsApp's window, as a template",
                            message.outbox_id)
        return self._as_template(sender, message)

    def _send_numbered(self, sender: Sender, message: OutboundMessage,
                       text: str) -> SendReceipt:
        """The words with the options as numbered lines, in as many messages as they need."""
        parts = split_text(numbered_text(text, message.choices).text, BODY_LIMIT)
        for part in parts[:-1]:
            self._create(sender, message, body=part)
        return self._create(sender, message, body=parts[-1], **self._media(message))

    def _send_menu(self, sender: Sender, message: OutboundMessage) -> SendReceipt | None:
        """The question with its options to tap; None when they go as numbered lines (no
        options, or a layout Twilio could not make). Twilio refusing the layout when it is
        sent sends the numbered lines instead."""
        menu = self._menu(message)
        content_sid = self._content_sid(menu) if menu is not None else None
        if menu is None or content_sid is None:
            return None
        parts = split_text(message.text, menus.BODY_LIMIT)
        for part in parts[:-1]:
            self._create(sender, message, body=part)
        variables = json.dumps({"1": parts[-1]}, ensure_ascii=False)
        try:
            return self._create(sender, message, content_sid=content_sid,
                                content_variables=variables)
        except TwilioRestException as exc:
            if exc.code == OUTSIDE_WINDOW or delivery_error(exc).retryable \
                    or exc.code == UNSUBSCRIBED:
                raise
            logger.warning("outbox %s: Twilio refused the menu %s (%s: %s), numbered lines "
                           "instead", message.outbox_id, content_sid, exc.code, exc.msg)
            if exc.code in CONTENT_UNKNOWN and self.contents is not None:
                self.contents.forget(channel=CHANNEL, account=self.config.account_sid,
                                     key=menu.key, external_id=content_sid)
            return self._send_numbered(sender, message, parts[-1])

    def _menu(self, message: OutboundMessage) -> Menu | None:
        if self.contents is None or not message.choices or not message.text.strip() \
                or self._media(message):
            return None
        return menus.menu_for(message.choices, language=message.hints.get("language", ""),
                              button=message.hints.get("choose", ""))

    def _content_sid(self, menu: Menu) -> str | None:
        """The layout's ContentSid, created at Twilio the first time; None when Twilio
        cannot create it now (it is tried again later; an hour later if it refused it)."""
        assert self.contents is not None
        where = {"channel": CHANNEL, "account": self.config.account_sid, "key": menu.key}
        found = self.contents.find(**where)
        if found is not None:
            return found
        now = self.clock.now().timestamp()
        if now < self._menus_paused_until:
            return None
        with self._menus_lock:  # one creation at a time in this process
            found = self.contents.find(**where)
            if found is not None or self._refused_menus.get(menu.key, 0.0) > now:
                return found
            created = self._create_content(menu, now)
            return None if created is None else self.contents.keep(**where, external_id=created)

    def _create_content(self, menu: Menu, now: float) -> str | None:
        """The new ContentSid, or None: Twilio unreachable, slow or overloaded (no layout is
        tried for a minute), or refusing this one (not asked again for an hour)."""
        assert self.content_client is not None
        request = ContentList.ContentCreateRequest(menu.creation())
        try:
            created = self.content_client.content.v1.contents.create(request)
        except TwilioRestException as exc:
            logger.warning("WhatsApp menu not created (Twilio %s: %s): numbered lines instead",
                           exc.code, exc.msg)
            if delivery_error(exc).retryable:
                self._menus_paused_until = now + MENUS_PAUSED_FOR_S
            else:
                self._refused_menus[menu.key] = now + MENU_REFUSED_FOR_S
            return None
        except (TwilioException, httpx.HTTPError, OSError) as exc:
            logger.warning("WhatsApp menus paused a minute (Twilio unreachable: %s)", exc)
            self._menus_paused_until = now + MENUS_PAUSED_FOR_S
            return None
        return created.sid

    def _send_voice(self, sender: Sender, message: OutboundMessage) -> SendReceipt:
        """A recorded prompt as audio, fetched by Twilio from Palabre's public address; only
        inside the 24-hour window (no template carries it), and only with a public address:
        otherwise it is dropped, the text beside it says the same."""
        media = self._media(message)
        if not media or not self._in_window(message):
            why = "no PALABRE_PUBLIC_URL for Twilio to fetch it" if not media \
                else "outside WhatsApp's 24-hour window"
            raise DeliveryError(f"recorded prompt not sent: {why}", retryable=False)
        with self._turn(sender):
            try:
                return self._create(sender, message, **media)
            except TwilioRestException as exc:
                raise delivery_error(exc) from exc

    def _as_template(self, sender: Sender, message: OutboundMessage) -> SendReceipt:
        purpose = TEMPLATE_FOR.get(message.purpose) or ""
        content_sid = (self.config.templates.get(purpose)
                       or self.config.templates.get(TEMPLATE_FALLBACK.get(purpose, "")))
        if content_sid is None:
            raise DeliveryError("outside WhatsApp's 24-hour window and no template for "
                                f"'{message.purpose}': waits for the citizen", held=True)
        words = numbered_text(message.text, message.choices).text  # "1 Oui · 2 Non" too
        variables = json.dumps({"1": template_value(words)}, ensure_ascii=False)
        try:
            return self._create(sender, message, content_sid=content_sid,
                                content_variables=variables)
        except TwilioRestException as exc:
            raise delivery_error(exc) from exc

    def _create(self, sender: Sender, message: OutboundMessage, **content: Any) -> SendReceipt:
        origin = ({"messaging_service_sid": sender.address} if sender.is_service
                  else {"from_": PREFIX + sender.address})
        callback = f"{self.config.public_url.rstrip('/')}/webhooks/twilio/status" \
            if self.config.public_url else None
        try:
            with self._calls:
                created = self.client.messages.create(
                    to=PREFIX + message.address, **origin, **content,
                    **({"status_callback": callback} if callback else {}))
        except TwilioRestException:
            raise
        except (TwilioException, httpx.HTTPError, OSError) as exc:  # network trouble: retry
            raise DeliveryError(f"Twilio unreachable: {exc}") from exc
        return SendReceipt(external_id=created.sid)

    def _media(self, message: OutboundMessage) -> dict[str, Any]:
        """A file Palabre serves publicly (a document), as Twilio fetches media: by URL."""
        path = message.hints.get("public_media_url")
        if not path or not self.config.public_url:
            return {}
        return {"media_url": [self.config.public_url.rstrip("/") + path]}

    def _in_window(self, message: OutboundMessage) -> bool:
        last = message.last_inbound_at
        return last is not None and self.clock.now() - last < WINDOW - WINDOW_MARGIN

    @contextmanager
    def _turn(self, sender: Sender) -> Iterator[None]:
        """The sender's pace for one message; a rate limit from Twilio pauses the sender
        (in every process, when the pace is shared)."""
        entry = self._wait_turn(sender)
        try:
            yield
        except DeliveryError as error:
            if error.throttled and error.retry_after and self.pace is not None:
                self.pace.pause(f"{CHANNEL}:{sender.address}",
                                self.clock.now().timestamp() + error.retry_after)
            raise
        finally:  # the message counts in the sender's second from its answer on
            if isinstance(entry, Throttle):
                entry.settle()
            elif entry is not None and self.pace is not None:
                settle(self.pace, entry, self.clock.now().timestamp())

    def _wait_turn(self, sender: Sender) -> Throttle | int | None:
        per_second = max(1, int(sender.messages_per_second))
        if self.pace is not None:
            return self._shared_turn(self.pace, sender, per_second)
        with self._throttles_lock:
            throttle = self.throttles.get(sender.address)
            if throttle is None:
                throttle = Throttle(per_second=per_second, chat_interval=0.0,
                                    now=lambda: self.clock.now().timestamp())
                self.throttles[sender.address] = throttle
        wait = throttle.reserve(sender.address)
        if wait > 0:
            raise DeliveryError(f"sender {sender.address} at its pace", throttled=True,
                                retry_after=wait)
        return throttle

    def _shared_turn(self, pace: SharedPace, sender: Sender, per_second: int) -> int | None:
        """Book the message in the sender's second, kept in the database for every process
        (a short wait is slept); its window entry, to settle once Twilio answered."""
        key = f"{CHANNEL}:{sender.address}"
        booking = book_patiently(pace, lambda: self.clock.now().timestamp(), pause_key=key,
                                 window=Window(key, per_second, 1.0),
                                 sleepable=lambda _: SLEEPABLE_S, patience=SHARED_PATIENCE_S)
        if booking.held_by:
            raise DeliveryError(f"sender {sender.address} at its pace", throttled=True,
                                retry_after=booking.wait)
        return booking.entry


class WhatsAppFetcher:
    """Downloads a media URL with the account's credentials (Twilio redirects to storage)."""

    def __init__(self, config: WhatsAppConfig, http: httpx.Client | None = None) -> None:
        self.config = config
        self.http = http or httpx.Client(timeout=30.0, follow_redirects=True)

    def fetch(self, *, account: str, remote: str, max_bytes: int) -> FetchedFile:
        limit = min(max_bytes, self.config.max_media_bytes)
        auth = (self.config.account_sid, self.config.auth_token)
        try:
            with self.http.stream("GET", remote, auth=auth) as answer:
                if answer.status_code in (401, 403, 404):
                    raise FetchError(f"Twilio media: HTTP {answer.status_code}",
                                     retryable=False)
                answer.raise_for_status()
                declared = int(answer.headers.get("content-length") or 0)
                if declared > limit:
                    raise FetchError(f"{declared} bytes", retryable=False, reason="too_large")
                data = bytearray()
                for chunk in answer.iter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise FetchError(f"over {limit} bytes", retryable=False,
                                         reason="too_large")
                kind = answer.headers.get("content-type")
        except httpx.HTTPError as exc:  # network trouble or a 5xx: the message is retried
            raise FetchError(f"Twilio media: {exc}", retryable=True) from exc
        return FetchedFile(bytes(data), kind.split(";")[0].strip() if kind else None)


def twilio_client(config: WhatsAppConfig, timeout: float = 30.0) -> Client:
    """Twilio's client, at the configured API address (an edge, a region, or a test fake)."""
    client = Client(config.account_sid, config.auth_token,
                    http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = config.api_url.rstrip("/")
    client.content.base_url = config.content_url.rstrip("/")
    return client


def delivery_error(exc: TwilioRestException) -> DeliveryError:
    """What a Twilio error means for the outbox."""
    detail = f"Twilio {exc.code}: {exc.msg}"
    if exc.code == UNSUBSCRIBED:
        return DeliveryError(detail, retryable=False, unreachable=True, unsubscribed=True)
    if exc.status == 429 or exc.code in RETRYABLE_CODES:
        return DeliveryError(detail, throttled=exc.status == 429, retry_after=2.0)
    if exc.status >= 500:
        return DeliveryError(detail)
    return DeliveryError(detail, retryable=False)


def template_value(text: str) -> str:
    """A template variable: WhatsApp refuses new lines, tabs and runs of spaces in one."""
    flat = re.sub(r"\s*\n\s*", " · ", text.strip())
    flat = re.sub(r"[\t ]{2,}", " ", flat.replace("\t", " "))
    return flat[:1000]

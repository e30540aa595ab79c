"""`POST /webhooks/twilio/whatsapp` (citizens' messages) and `POST /webhooks/twilio/status`
(what became of ours): Twilio's signature checked over the public URL Twilio called and every
form field, the message stored under its MessageSid, an empty TwiML answer at once."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bots.whatsapp.config import CHANNEL, WhatsAppConfig
from bots.whatsapp.messenger import OUTSIDE_WINDOW, UNSUBSCRIBED
from bots.whatsapp.parse import NotAMessage, check_ids, form_dict, parse_message
from core.messages import service as messages
from core.messages.intake import Post
from core.messages.models import OutboundStatus, OutboxRecord
from core.uow import UnitOfWork
from dialogs.pipeline import Pipeline

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY = 64_000  # a Twilio form is a few kilobytes; media come by URL
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STATUSES = {"sent": OutboundStatus.SENT, "delivered": OutboundStatus.DELIVERED,
            "read": OutboundStatus.READ, "undelivered": OutboundStatus.UNDELIVERED,
            "failed": OutboundStatus.FAILED}


class WhatsAppReceiver:
    """Checks, stores and answers what Twilio posts."""

    def __init__(self, *, config: WhatsAppConfig, pipeline: Pipeline,
                 uow_factory: Callable[[], UnitOfWork],
                 wake: Callable[[], None] = lambda: None) -> None:
        self.config = config
        self.validator = RequestValidator(config.auth_token)
        self.pipeline = pipeline
        self.uow_factory = uow_factory
        self.wake = wake

    def signed(self, request: Request, form: FormData) -> bool:
        """Whether Twilio signed exactly this URL (as the public address) and these fields."""
        signature = request.headers.get(SIGNATURE_HEADER, "")
        url = self.config.public_url.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        if not signature:
            return False
        # The URL as configured first (one HMAC); then twilio's own check, which also tries
        # the URL with and without its port, as Twilio may have signed either.
        exact = self.validator.compute_signature(url, form)
        return hmac.compare_digest(exact, signature) or self.validator.validate(
            url, form, signature)

    def post_of(self, form: dict[str, str]) -> Post | None:
        """The form as a body to store; None when it is for a sender not configured here.
        Raises NotAMessage for a form the worker could not read (ids, To, pin, media fields)."""
        check_ids(form)  # before the sender: a form without To is malformed, not someone else's
        sender = self.config.sender_for(to=form.get("To", ""),
                                        service=form.get("MessagingServiceSid"))
        if sender is None:
            logger.warning("WhatsApp message for %s, which is not a configured sender",
                           form.get("To"))
            return None
        message = parse_message(form, account=sender.address)  # a malformed form: 400 now
        return Post(CHANNEL, sender.address, message.external_id, dict(form))

    async def message(self, form: dict[str, str]) -> bool:
        """Store a citizen's message as posted (the worker reads it: `unpack`), without
        holding a thread while it waits for the commit; False when it is not for us."""
        post = self.post_of(form)
        if post is None:
            return False
        await self.pipeline.receive_post_async(post)
        self.wake()
        return True

    def unpack(self, uow: UnitOfWork, post: Post) -> None:
        """A stored form as the citizen's message."""
        messages.store_inbound(uow=uow, message=parse_message(post.payload,
                                                               account=post.account))

    def status(self, form: dict[str, str]) -> None:
        """Record a delivery status; 63016 sends again as a template, 21610 opts out."""
        sid, status = form.get("MessageSid", ""), STATUSES.get(form.get("MessageStatus", ""))
        if not sid or status is None:
            return  # queued, accepted, sending…: nothing to record
        code = form.get("ErrorCode") or None
        with self.uow_factory() as uow:
            record = messages.record_delivery_status(uow=uow, channel=CHANNEL,
                                                     external_id=sid, status=status,
                                                     error_code=code)
            if record is not None and code:
                self._after_error(uow, record, int(code) if code.isdigit() else 0)
            uow.commit()
        if code and code.isdigit() and int(code) == OUTSIDE_WINDOW:
            self.wake()

    def _after_error(self, uow: UnitOfWork, record: OutboxRecord, code: int) -> None:
        if code == OUTSIDE_WINDOW and record.id is not None and not record.hints.get("template"):
            messages.send_again(uow=uow, outbox_id=record.id, hints={"template": "1"})
        if code == UNSUBSCRIBED and record.citizen_id is not None:
            messages.opt_out(uow=uow, citizen_id=record.citizen_id)


def whatsapp_router(receiver: WhatsAppReceiver) -> APIRouter:
    """The two webhook routes, plain Starlette routes: a provider's post needs none of
    FastAPI's parameter solving, and a Twilio form is parsed by the standard library (both
    cost more than storing the message: bench/webhooks.py)."""
    router = APIRouter(tags=["webhooks"], include_in_schema=False)

    async def checked(request: Request) -> FormData | Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            logger.warning("Twilio webhook %s: refused a %s-byte body", request.url.path,
                           len(body))
            return _error(413, "Payload Too Large")
        try:
            form = FormData(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            form = FormData()
        if not receiver.signed(request, form):
            logger.warning("Twilio webhook %s from %s: missing or wrong signature",
                           request.url.path, request.client.host if request.client else "?")
            return _error(403, "Forbidden: the X-Twilio-Signature does not match")
        return form

    async def message(request: Request) -> Response:
        form = await checked(request)
        if isinstance(form, Response):
            return form
        try:
            await receiver.message(form_dict(_pairs(form)))
        except NotAMessage as exc:
            logger.warning("Twilio webhook: refused a malformed message form: %s", exc)
            return _error(400, f"Bad Request: {exc}")
        return Response(EMPTY_TWIML, media_type="text/xml")

    async def status(request: Request) -> Response:
        form = await checked(request)
        if isinstance(form, Response):
            return form
        await run_in_threadpool(receiver.status, form_dict(_pairs(form)))
        return Response(status_code=204)

    router.add_route("/webhooks/twilio/whatsapp", message, methods=["POST"],
                     include_in_schema=False)
    router.add_route("/webhooks/twilio/status", status, methods=["POST"],
                     include_in_schema=False)
    return router


def _pairs(form: FormData) -> list[tuple[str, str]]:
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def _error(status: int, message: str) -> Response:
    body: dict[str, Any] = {"detail": message}
    return JSONResponse(body, status_code=status)

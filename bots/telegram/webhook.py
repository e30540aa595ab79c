"""`POST /webhooks/telegram` (and `/webhooks/telegram/{bot id}`): check the secret, read the
update as the worker will (400 when it cannot), store it, answer at once."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bots.telegram.parse import NotAnUpdate
from bots.telegram.receiver import TelegramReceiver

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # an Update is a few kilobytes; files never come in the body


def telegram_router(receiver: TelegramReceiver) -> APIRouter:
    """The webhook routes for every configured bot."""
    router = APIRouter(tags=["webhooks"], include_in_schema=False)

    async def receive(request: Request, account: str | None = None) -> Response:
        bot = receiver.authenticate(request.headers.get(SECRET_HEADER), account)
        if bot is None:
            logger.warning("Telegram webhook from %s: missing or wrong secret token",
                           request.client.host if request.client else "?")
            return _error(403, "Forbidden: wrong or missing secret token")
        body = await request.body()
        try:
            if len(body) > MAX_BODY:
                raise NotAnUpdate(f"{len(body)} bytes is not an Update")
            reply = await receiver.handle_async(bot, json.loads(body))
        except (NotAnUpdate, json.JSONDecodeError, UnicodeDecodeError) as exc:
            logger.warning("Telegram webhook for bot %s: refused a malformed update: %s",
                           bot.account, exc)
            return _error(400, "Bad Request: the body is not a Telegram Update")
        return JSONResponse(reply) if reply else Response(status_code=200)

    async def webhook(request: Request) -> Response:
        return await receive(request, request.path_params.get("account"))

    # Plain Starlette routes: a provider's post needs none of FastAPI's parameter solving,
    # which cost a tenth of each acknowledgement (bench/webhooks.py).
    for path in ("/webhooks/telegram", "/webhooks/telegram/{account}"):
        router.add_route(path, webhook, methods=["POST"], include_in_schema=False)
    return router


def _error(status: int, message: str) -> Response:
    body: dict[str, Any] = {"detail": message}
    return JSONResponse(body, status_code=status)

"""The HTTP application: health now; webhooks and the admin API mount here."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

import admin_api.app as admin_api
from bots.telegram.webhook import telegram_router
from bots.whatsapp.webhook import whatsapp_router
from palabre.bootstrap import App


def create_web_app(app: App) -> FastAPI:
    web = FastAPI(title="Palabre", version="0.1.0",
                  description="Moderators' API of Palabre (bearer tokens: `palabre moderators`).")
    admin_api.mount(web, uow_factory=app.uow_factory)
    if app.telegram is not None and app.telegram.receiver is not None:
        web.include_router(telegram_router(app.telegram.receiver))
    if app.whatsapp is not None and app.whatsapp.receiver is not None:
        web.include_router(whatsapp_router(app.whatsapp.receiver))

    @web.get("/healthz")
    def health() -> dict[str, str]:
        with app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "database": app.engine.dialect.name}

    return web

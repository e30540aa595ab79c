"""The HTTP application: providers' webhooks, the moderators' API and console, the communes'
public pages, health."""

from __future__ import annotations

import gc
import hmac
import ipaddress
import logging
from functools import partial

from fastapi import FastAPI, Request, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import admin_api.app as admin_api
import portal
from admin_api import console
from bots.telegram.webhook import telegram_router
from bots.whatsapp.webhook import whatsapp_router
from dialogs.preview import survey_preview
from palabre import sharing
from palabre.bootstrap import App
from palabre.metrics import CONTENT_TYPE as METRICS_TYPE
from palabre.metrics import render as render_metrics
from palabre.scheduler import free_text_reaches
from palabre.settings import spoken_codes
from transcription.voice import voice_note

logger = logging.getLogger(__name__)


def create_web_app(app: App) -> FastAPI:
    web = FastAPI(title="Palabre", version="0.1.0",
                  description="Moderators' API of Palabre (bearer tokens: `palabre moderators`).")
    # Webhooks first: routes are matched in order, and providers call them the most.
    if app.telegram is not None and app.telegram.receiver is not None:
        web.include_router(telegram_router(app.telegram.receiver))
    if app.whatsapp is not None and app.whatsapp.receiver is not None:
        web.include_router(whatsapp_router(app.whatsapp.receiver))
    admin_api.mount(web, uow_factory=app.uow_factory)
    console.mount(web, escalation_hours=app.settings.escalation_hours,
                  map_tiles=app.settings.map_tiles, public_url=app.settings.public_url,
                  channels=_channels(app),
                  survey_preview=partial(survey_preview, app.catalogs),
                  share_links=partial(sharing.links, app),
                  make_digest=partial(sharing.make_digest, app),
                  free_text=free_text_reaches,
                  name_languages=tuple(sorted(set(app.catalogs.messages) - {"fr", "en"})),
                  prompt_texts=recordable(app),
                  spoken_languages=spoken_names(app), voice_note=voice_note)
    portal.mount(web, uow_factory=app.uow_factory, links=partial(sharing.links, app),
                 public_url=app.settings.public_url)
    proxies = trusted_proxies(app.settings.trusted_proxies)
    if proxies:  # added last, so outermost: every route and log sees the real client
        web.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)

    @web.get("/healthz", responses={503: {"description": "The database does not answer."}})
    def health(response: Response) -> dict[str, str]:
        database = app.engine.dialect.name
        try:
            with app.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:  # what a monitor or a load balancer must be told
            logger.warning("health check: the database does not answer (%s)",
                           exc.__class__.__name__)
            response.status_code = 503
            return {"status": "unavailable", "database": database}
        return {"status": "ok", "database": database}

    @web.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """The queues of the whole deployment, for Prometheus (PALABRE_METRICS_TOKEN, when
        set, as a bearer token)."""
        token = app.settings.metrics_token.get_secret_value()
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token and not hmac.compare_digest(given.encode(), token.encode()):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        with app.uow_factory() as uow:
            body = render_metrics(uow)
        return Response(body, media_type=METRICS_TYPE)

    return web


def trusted_proxies(value: str) -> list[str]:
    """The networks of PALABRE_TRUSTED_PROXIES (an address is a network of one); a ValueError
    names an entry that is neither."""
    networks = []
    for entry in (item.strip() for item in value.split(",")):
        if not entry:
            continue
        try:
            # uvicorn would silently take a malformed entry for a host name that never matches
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError as exc:
            raise ValueError(f"PALABRE_TRUSTED_PROXIES: {entry!r} is not an address or a "
                             "network such as 10.0.0.0/8") from exc
    return networks


# Young collections every 50,000 allocations rather than 700, and the older generations
# scanned more rarely: with the default thresholds, a full collection over every object the
# application holds (SQLAlchemy's mappers, FastAPI's routes) paused the event loop often
# enough to put the webhooks' p99 above 100 ms (bench/webhooks.py).
GC_THRESHOLDS = (50_000, 50, 50)


def _channels(app: App) -> list[str]:
    """The channels citizens reach this Palabre on (the console's chat is always one)."""
    return [name for name, on in (("telegram", app.telegram is not None),
                                  ("whatsapp", app.whatsapp is not None)) if on] + ["console"]


def settle_memory() -> None:
    """Before serving: what startup built lives as long as the process, so the collector
    stops looking at it (`gc.freeze`), and collects less often (GC_THRESHOLDS)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def spoken_names(app: App) -> list[tuple[str, str]]:
    """(code, name) of the languages citizens are offered to speak, named in French."""
    return app.catalogs.spoken_languages(spoken_codes(app.settings.spoken_languages), "fr")


# Catalog parts a conversation never says as a message of its own (names, labels, what goes to
# groups, staff or notifications): nothing to record for them
NOT_SAID = frozenset({"category", "service", "spoken", "button", "digest", "staff", "status",
                      "notify", "kind", "group", "broadcast", "flow", "submission", "language"})


def recordable(app: App) -> dict[str, str]:
    """The bot's messages a mairie may record (key → French words), as the flows say them."""
    return {key: text for key, text in app.catalogs.messages["fr"].items()
            if key.split(".", 1)[0] not in NOT_SAID or key == "language.ask"}

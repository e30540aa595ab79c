"""Mounting the admin API on the web application."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from admin_api import errors
from admin_api.deps import FailedAuthentications, HoldBackThrottled
from admin_api.routes import (
    alerts,
    broadcasts,
    council,
    documents,
    insight,
    open311,
    projects,
    prompts,
    reference,
    submissions,
    surveys,
)
from core.uow import UnitOfWork


def mount(web: FastAPI, *, uow_factory: Callable[[], UnitOfWork]) -> None:
    """Add the moderators' routes, error handling and authentication throttling to `web`."""
    web.state.uow_factory = uow_factory
    web.state.failed_authentications = FailedAuthentications()
    web.add_middleware(HoldBackThrottled)
    errors.install(web)
    web.include_router(submissions.router)
    web.include_router(alerts.router)
    web.include_router(reference.router)
    web.include_router(insight.router)
    web.include_router(open311.router)
    web.include_router(broadcasts.router)
    web.include_router(council.router)
    web.include_router(council.public)
    web.include_router(prompts.public)
    web.include_router(projects.router)
    web.include_router(documents.router)
    web.include_router(surveys.router)

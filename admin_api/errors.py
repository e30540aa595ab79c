"""Every error is JSON with words a person understands, in one shape ({"detail", "code"});
domain refusals map to HTTP codes; each operation declares the refusals it may answer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from admin_api.console.refusals import is_console, refusal_page
from core import errors

logger = logging.getLogger(__name__)

STATUS = ((errors.NotFound, 404), (errors.Forbidden, 403), (errors.Conflict, 409),
          (errors.Invalid, 422))
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         422: "invalid_request", 429: "too_many_requests"}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorPublic(BaseModel):
    """Every refusal: what a person should read, and a stable code for programs."""

    detail: str
    code: str = Field(description="e.g. not_found, claimed, invalid_transition, "
                                  "invalid_request, unauthorized, too_many_requests")


REFUSALS: dict[int, str] = {
    401: "No valid token ('Authorization: Bearer <token>')",
    403: "This account may not do this (its role or its communes)",
    404: "Not found, or not in this account's communes",
    409: "Clashes with the item's current state (held by another moderator, a move the "
         "lifecycle does not allow, already done…)",
    422: "A value is missing, malformed, or breaks a rule (the detail says which)",
    429: "An invalid token after too many failures; wait for Retry-After",
}


def refusals(methods: Sequence[str]) -> dict[int | str, dict[str, Any]]:
    """What an authenticated operation may refuse: always 401, 403, 404 (what its path,
    query or body names), 422 and 429; 409 when it changes something."""
    codes = [401, 403, 404, 422, 429]
    codes += [409] if WRITES & {m.upper() for m in methods} else []
    return {code: {"model": ErrorPublic, "description": REFUSALS[code]} for code in sorted(codes)}


class DocumentedRoute(APIRoute):
    """An admin API route whose OpenAPI entry declares the refusals it may answer."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        declared = refusals(kwargs.get("methods") or ["GET"])
        kwargs["responses"] = {**declared, **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, _unstorable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def _http(request: Request, exc: HTTPException) -> Response:
    """Refusals raised by routes and by the framework (404 of an unknown path, 405…)."""
    if is_console(request):
        return refusal_page(request, exc.status_code, str(exc.detail))
    return JSONResponse({"detail": str(exc.detail), "code": CODES.get(exc.status_code, "error")},
                        status_code=exc.status_code, headers=dict(exc.headers or {}))


def _domain(request: Request, exc: errors.DomainError) -> Response:
    code = next((http for kind, http in STATUS if isinstance(exc, kind)), 422)
    if is_console(request):
        return refusal_page(request, code, str(exc))
    return JSONResponse({"detail": str(exc), "code": exc.code}, status_code=code)


def _validation(request: Request, exc: RequestValidationError) -> Response:
    problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}"
                for e in exc.errors()]
    if is_console(request):
        return refusal_page(request, 422, "; ".join(problems))
    return JSONResponse({"detail": "; ".join(problems), "code": "invalid_request"},
                        status_code=422)


def _unstorable(request: Request, exc: DataError) -> JSONResponse:
    """A value the database refuses (a NUL character, a number out of range…)."""
    logger.info("refused unstorable input on %s %s: %s", request.method, request.url.path,
                exc.orig)
    return JSONResponse({"detail": "The request holds a value Palabre cannot store or search "
                                   "(for example a NUL character).", "code": "invalid_request"},
                        status_code=422)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Palabre hit an unexpected error; it is logged.",
                         "code": "internal_error"}, status_code=500)

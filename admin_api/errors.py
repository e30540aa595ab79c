"""Every error is JSON with words a person understands; domain refusals map to HTTP codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from core import errors

logger = logging.getLogger(__name__)

STATUS = ((errors.NotFound, 404), (errors.Forbidden, 403), (errors.Conflict, 409),
          (errors.Invalid, 422))


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, _unstorable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def _domain(request: Request, exc: errors.DomainError) -> JSONResponse:
    code = next((http for kind, http in STATUS if isinstance(exc, kind)), 422)
    return JSONResponse({"detail": str(exc), "code": exc.code}, status_code=code)


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}"
                for e in exc.errors()]
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

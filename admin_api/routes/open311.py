"""Open311 GeoReport v2: the report categories (services) and public reports (service requests)
of each enabled commune, in XML and JSON; other systems file reports with an integration key.

The jurisdiction_id is the commune's id (BJ-LI-COT); a service_request_id is our reference
(COT-SIG-26-0042). Reading needs no key; every refusal is the spec's list of errors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from admin_api import open311_format as doc
from admin_api.deps import UowDep, failed_authentication, retry_after
from admin_api.open311_format import Open311Error
from core import errors
from core.communes.models import Commune
from core.communes.service import categories_of, get_commune
from core.geo import Point
from core.moderation.models import Moderator
from core.moderation.service import authenticate
from core.submissions import open311 as reports
from core.submissions.models import Submission
from core.uow import UnitOfWork

logger = logging.getLogger(__name__)

SPAN = timedelta(days=90)  # the longest period one query may cover, and the default one
MAX_BODY = 64 * 1024
MAX_FIELDS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_W3 = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?")
_DOMAIN_STATUS = ((errors.NotFound, 404), (errors.Forbidden, 403))


class Open311Route(APIRoute):
    """A route whose every refusal is the spec's error document, in the format asked for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # the edge: Open311 clients understand only this format
                return _refusal(request, exc)

        return guarded


def _refusal(request: Request, exc: Exception) -> Response:
    fmt = _asked_format(request)
    if isinstance(exc, Open311Error):
        return doc.render_errors(fmt, exc.status, [exc.description], exc.headers)
    if isinstance(exc, errors.DomainError):
        status = next((code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind)), 400)
        return doc.render_errors(fmt, status, [str(exc)])
    if isinstance(exc, RequestValidationError):
        return doc.render_errors(fmt, 400, [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                            for e in exc.errors()])
    if isinstance(exc, HTTPException):
        return doc.render_errors(fmt, exc.status_code, [str(exc.detail)],
                                 dict(exc.headers or {}))
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return doc.render_errors(fmt, 500, ["Palabre hit an unexpected error; it is logged."])


def _asked_format(request: Request) -> str:
    """XML if the client asked for it, else JSON (also for an unknown format)."""
    asked = request.path_params.get("format") or request.url.path.rsplit(".", 1)[-1]
    return "xml" if str(asked).lower() == "xml" else "json"


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Missing or invalid argument (the spec's list of errors)"},
    403: {"description": "Missing or invalid api_key"},
    404: {"description": "Unknown format, jurisdiction_id, service_code or request"},
    429: {"description": "An invalid api_key, after too many from this address or with this "
                         "key; wait and retry (a valid key is always served)"},
}


async def _form(request: Request) -> dict[str, str]:
    """The form-encoded body the spec asks POST to send (without a multipart parser)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Open311Error(400, f"The request body is larger than {MAX_BODY} bytes.")
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise Open311Error(400, f"At most {MAX_FIELDS} form fields.") from exc
    return dict(pairs)


FormDep = Annotated[dict[str, str], Depends(_form)]
ListParam = Annotated[list[str] | None, Query(description="Comma delimited, or repeated")]
router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route,
                   responses=ERRORS)


@router.get("/discovery.{format}")
def discovery(format: str, request: Request) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and how to get a key."""
    fmt = _format(format)
    url = str(request.base_url).rstrip("/") + router.prefix
    return doc.render(fmt, "discovery", doc.discovery(url))


@router.get("/services.{format}")
def list_services(format: str, uow: UowDep, jurisdiction_id: str | None = None) -> Response:
    """GET Service List: the commune's report categories."""
    fmt = _format(format)
    commune = _jurisdiction(uow, jurisdiction_id)
    services = [doc.service(c) for c in categories_of(uow=uow, commune_id=commune.id)]
    return doc.render(fmt, "services", services)


@router.get("/services/{service_code}.{format}")
def get_service_definition(service_code: str, format: str, uow: UowDep,
                           jurisdiction_id: str | None = None) -> Response:
    """GET Service Definition: our services have no extra attributes (metadata is false)."""
    fmt = _format(format)
    commune = _jurisdiction(uow, jurisdiction_id)
    code = _clean(service_code)
    found = next((c for c in categories_of(uow=uow, commune_id=commune.id) if c.code == code),
                 None)
    if found is None:
        raise Open311Error(404, f"service_code {code[:40]!r} was not found in {commune.id}.")
    return doc.render(fmt, "service_definition", doc.service_definition(found))


@router.get("/requests.{format}")
def list_requests(format: str, uow: UowDep, jurisdiction_id: str | None = None,
                  service_request_id: ListParam = None, service_code: ListParam = None,
                  start_date: str | None = None, end_date: str | None = None,
                  status: ListParam = None) -> Response:
    """GET Service Requests: public reports, newest first, at most 1000, over at most 90 days
    (the last 90 by default); service_request_id overrides the other filters."""
    fmt = _format(format)
    commune = _jurisdiction(uow, jurisdiction_id)
    ids = _values(service_request_id)
    if ids:
        wanted = _by_ids(commune, ids)
    else:
        wanted = _by_filters(uow, commune, codes=_values(service_code), start=start_date,
                             end=end_date, statuses=_values(status))
    rows = reports.public_reports(uow=uow, wanted=wanted)
    return doc.render(fmt, "service_requests", _requests(uow, commune, rows))


@router.post("/requests.{format}", status_code=201, openapi_extra={"requestBody": {
    "required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["api_key", "jurisdiction_id", "service_code"],
        "properties": {name: {"type": "string"} for name in (
            "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string",
            "description", "media_url")}}}}}})
def create_request(format: str, request: Request, uow: UowDep, fields: FormDep) -> Response:
    """POST Service Request (form-encoded): file a report; answers its service_request_id."""
    fmt = _format(format)
    integration = _integration(request, uow, fields.get("api_key"))
    commune = _jurisdiction(uow, fields.get("jurisdiction_id"))
    row = reports.file_external_report(uow=uow, integration=integration,
                                       report=_external(commune, fields))
    uow.commit()
    return doc.render(fmt, "service_requests", [doc.created(row)], status_code=201)


@router.get("/requests/{service_request_id}.{format}")
def get_request(service_request_id: str, format: str, uow: UowDep,
                jurisdiction_id: str | None = None) -> Response:
    """GET Service Request: one public report."""
    fmt = _format(format)
    commune = _jurisdiction(uow, jurisdiction_id)
    row = _public_report(uow, commune, service_request_id, "service_request_id")
    return doc.render(fmt, "service_requests", _requests(uow, commune, [row]))


@router.get("/tokens/{token_id}.{format}")
def get_token(token_id: str, format: str, uow: UowDep,
              jurisdiction_id: str | None = None) -> Response:
    """GET service_request_id from a token: requests are created at once (type realtime), so
    the only tokens known are the requests' own ids."""
    fmt = _format(format)
    commune = _jurisdiction(uow, jurisdiction_id)
    row = _public_report(uow, commune, token_id, "token")
    return doc.render(fmt, "service_requests", [doc.token(row, _clean(token_id))])


@router.api_route("/{path:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown_resource(path: str) -> Response:
    raise Open311Error(404, f"There is no Open311 resource {_clean(path)[:80]!r}; "
                            "see discovery.xml or discovery.json.")


def _format(value: str) -> str:
    fmt = _clean(value).lower()
    if fmt not in doc.MEDIA_TYPES:
        raise Open311Error(404, f"No format {fmt[:20]!r}: use .xml or .json.")
    return fmt


def _clean(value: str | None) -> str:
    """Without surrounding spaces and control characters (line breaks and tabs stay)."""
    return _CONTROL.sub("", value or "").strip()


def _values(given: list[str] | None) -> list[str]:
    """A parameter declared several times, each maybe comma delimited; empty ones dropped."""
    return [v for item in given or () for v in (_clean(p) for p in item.split(",")) if v]


def _jurisdiction(uow: UnitOfWork, value: str | None) -> Commune:
    wanted = _clean(value).upper()
    if not wanted:
        raise Open311Error(400, "jurisdiction_id was not provided: it is the commune's id, "
                                "e.g. BJ-LI-COT for Cotonou.")
    commune = get_commune(uow=uow, commune_id=wanted) if len(wanted) <= 16 else None
    if commune is None or not commune.enabled:
        raise Open311Error(404, f"jurisdiction_id {wanted[:40]} was not found among the "
                                "communes using Palabre.")
    return commune


def _by_ids(commune: Commune, ids: list[str]) -> reports.RequestFilter:
    if len(ids) > reports.MAX_REQUESTS:
        raise Open311Error(400, f"At most {reports.MAX_REQUESTS} service_request_id at once.")
    return reports.RequestFilter(commune_id=commune.id, references=ids)


def _by_filters(uow: UnitOfWork, commune: Commune, *, codes: list[str], start: str | None,
                end: str | None, statuses: list[str]) -> reports.RequestFilter:
    created_from, created_to = _period(_date("start_date", start), _date("end_date", end),
                                       uow.clock.now())
    return reports.RequestFilter(
        commune_id=commune.id, category_ids=_category_ids(uow, commune, codes),
        statuses=_statuses(statuses), created_from=created_from, created_to=created_to)


def _category_ids(uow: UnitOfWork, commune: Commune, codes: list[str]) -> set[int]:
    known = reports.categories_by_code(uow=uow, commune_id=commune.id)
    unknown = sorted({code for code in codes if code not in known})
    if unknown:
        shown = ", ".join(repr(code[:40]) for code in unknown[:5])
        raise Open311Error(400, f"Unknown service_code in {commune.id}: {shown}.")
    ids = {known[code].id for code in codes}
    return {i for i in ids if i is not None}


def _statuses(values: list[str]) -> set[str]:
    chosen: set[str] = set()
    for value in values:
        if value.lower() not in reports.STATUSES:
            raise Open311Error(400, f"status {value[:20]!r} is not one of: open, closed.")
        chosen |= reports.STATUSES[value.lower()]
    return chosen


def _date(name: str, value: str | None) -> datetime | None:
    """A w3 date-time with its time zone (a '+' sent unencoded arrives as a space)."""
    text = _clean(value).replace(" ", "+")
    if not text:
        return None
    try:
        if not _W3.fullmatch(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise Open311Error(400, f"{name} must be a w3 date-time with its time zone, e.g. "
                                f"2026-01-01T00:00:00Z (got {text[:40]!r}).") from exc


def _period(start: datetime | None, end: datetime | None,
            now: datetime) -> tuple[datetime, datetime]:
    """The spec's rule: at most 90 days, the most recent 90 when no date is given."""
    if start is not None and end is not None:
        if end < start:
            raise Open311Error(400, "end_date is before start_date.")
        if end - start > SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days.")
        return start, end
    try:
        if start is not None:
            return start, start + SPAN
        if end is not None:
            return end - SPAN, end
    except OverflowError as exc:
        raise Open311Error(400, "start_date or end_date is out of range.") from exc
    return now - SPAN, now


def _requests(uow: UnitOfWork, commune: Commune, rows: list[Submission]) -> list[dict[str, Any]]:
    categories = reports.categories_by_id(uow=uow, ids=(r.category_id for r in rows))
    places = reports.arrondissements_by_id(uow=uow, ids=(r.arrondissement_id for r in rows))
    notes = reports.latest_public_notes(uow=uow, submission_ids=(r.id for r in rows if r.id))
    return [doc.service_request(
        row, commune=commune, category=categories.get(row.category_id or 0),
        arrondissement=places.get(row.arrondissement_id or ""), note=notes.get(row.id or 0))
        for row in rows]


def _public_report(uow: UnitOfWork, commune: Commune, wanted: str, name: str) -> Submission:
    reference = _clean(wanted)
    row = reports.public_report(uow=uow, commune_id=commune.id, reference=reference)
    if row is None:
        raise Open311Error(404, f"{name} {reference[:40]!r} was not found in {commune.id}.")
    return row


def _integration(request: Request, uow: UnitOfWork, api_key: str | None) -> Moderator:
    """The integration account of the api_key; failures past the allowance of the address or
    the key are answered 429 and slowed down (a valid key never is)."""
    key = _clean(api_key)
    account = authenticate(uow=uow, token=key) if key else None
    if account is None:
        wait = failed_authentication(request, key)
        if wait:
            raise Open311Error(429, "Invalid api_key, and too many failures from this address "
                                    "or with this key; try again later.",
                               {"Retry-After": retry_after(wait)})
        raise Open311Error(403, "Missing or invalid api_key: can't proceed with the request.")
    return account


def _external(commune: Commune, fields: dict[str, str]) -> reports.ExternalReport:
    code = _clean(fields.get("service_code"))
    if not code:
        raise Open311Error(400, "service_code was not provided (see services.xml).")
    location, address = _location(fields), _clean(fields.get("address_string")) or None
    if location is None and address is None and _clean(fields.get("address_id")):
        raise Open311Error(400, "address_id is not supported: send lat and long, or "
                                "address_string.")
    return reports.ExternalReport(
        commune_id=commune.id, service_code=code, description=_clean(fields.get("description")),
        location=location, address=address, media_url=_clean(fields.get("media_url")) or None)


def _location(fields: dict[str, str]) -> Point | None:
    lat, long = _clean(fields.get("lat")), _clean(fields.get("long"))
    if not lat and not long:
        return None
    if not lat or not long:
        raise Open311Error(400, "lat and long must both be sent.")
    try:
        return Point(float(lat), float(long))
    except ValueError as exc:
        raise Open311Error(400, "lat and long must be numbers (WGS84 degrees).") from exc

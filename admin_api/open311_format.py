"""Open311 GeoReport v2 documents, in JSON and in XML, with the spec's element names.

JSON follows the spec's examples (the Spark convention): a list is a JSON array, an empty
field is null; in XML a list is an element holding one element per item (`services` holds
`service`, `service_requests` holds `request`), an empty field is an empty element.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import Response

from core.communes.models import Arrondissement, Category, Commune, label
from core.submissions.models import Submission
from core.submissions.open311 import open311_status

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-03-14T00:00:00Z"  # when these endpoints or their definitions last changed
MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
             "endpoints": "endpoint", "formats": "format", "attributes": "attribute"}
LANGUAGE = "fr"  # the language of the mairies

# Characters XML 1.0 cannot carry, even escaped (control characters a citizen may paste).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Open311Error(Exception):
    """A request Open311 refuses: the HTTP status and what a person should read."""

    def __init__(self, status: int, description: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def render(fmt: str, root: str, body: Any, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """The document as XML (`fmt` 'xml') or JSON (anything else), UTF-8."""
    if fmt == "xml":
        return Response(to_xml(root, body), status_code=status_code,
                        media_type=MEDIA_TYPES["xml"], headers=headers)
    return Response(json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    status_code=status_code, media_type=MEDIA_TYPES["json"], headers=headers)


def render_errors(fmt: str, status: int, descriptions: list[str],
                  headers: dict[str, str] | None = None) -> Response:
    """The spec's error document: a list of {code, description}."""
    body = [{"code": status, "description": d} for d in descriptions]
    return render(fmt, "errors", body, status_code=status, headers=headers)


def to_xml(root: str, body: Any) -> bytes:
    """The document under `root`, preceded by the XML declaration the spec asks for."""
    tree = ET.tostring(_element(root, body), encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + tree).encode("utf-8")


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, list):
        element.extend(_element(ITEM_TAGS[tag], item) for item in value)
    elif isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    else:
        element.text = _text(value)
    return element


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def w3(moment: datetime | None) -> str | None:
    """The spec's date format, in UTC: 2026-03-14T09:30:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def discovery(url: str) -> dict[str, Any]:
    """The service discovery document: one production GeoReport v2 endpoint."""
    return {
        "changeset": CHANGESET,
        "contact": "Palabre, the participation platform of Benin's communes: write to the "
                   "mairie of your commune (chargé·e de mission numérique).",
        "key_service": "An api_key is the token of an integration account, created by the "
                       "platform operator for the communes it may write to: "
                       "palabre moderators add NAME --role integration --commune BJ-LI-COT",
        "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }


def service(category: Category) -> dict[str, Any]:
    """A report category as an Open311 service (no extra attributes, created at once)."""
    name = label(category.names, LANGUAGE)
    others = sorted({n for lang, n in category.names.items() if n and n != name})
    return {"service_code": category.code, "service_name": name, "description": name,
            "metadata": False, "type": "realtime", "keywords": ", ".join(others) or None,
            "group": None}


def service_definition(category: Category) -> dict[str, Any]:
    """Our services ask for nothing beyond the spec's fields: no attributes."""
    return {"service_code": category.code, "attributes": []}


def service_request(row: Submission, *, commune: Commune, category: Category | None,
                    arrondissement: Arrondissement | None, note: str | None) -> dict[str, Any]:
    """A report as a service request: nothing about who filed it, no private files; of a
    private report only its category, arrondissement, status and dates (not its words, its
    pin, nor the notes the mairie wrote to its author)."""
    shown = row.public
    return {
        "service_request_id": row.reference,
        "status": open311_status(row),
        "status_notes": note if shown else None,
        "service_name": label(category.names, LANGUAGE) if category else None,
        "service_code": category.code if category else None,
        "description": (row.description or None) if shown else None,
        "agency_responsible": f"Mairie de {commune.name}",
        "service_notice": None,
        "requested_datetime": w3(row.created_at),
        "updated_datetime": w3(row.updated_at),
        "expected_datetime": None,
        "address": _address(row if shown else None, commune, arrondissement),
        "address_id": None,
        "zipcode": None,
        "lat": row.latitude if shown else None,
        "long": row.longitude if shown else None,
        "media_url": None,
    }


def _address(row: Submission | None, commune: Commune,
             arrondissement: Arrondissement | None) -> str:
    """From the most specific to the most general, as the spec asks (the citizen's own words
    about the place only when the report is public)."""
    parts = (row.place_text if row else None, arrondissement.name if arrondissement else None,
             commune.name)
    return ", ".join(p for p in parts if p)


def created(row: Submission) -> dict[str, Any]:
    """What POST answers: the new request's id (we never hand out tokens)."""
    return {"service_request_id": row.reference, "service_notice": None, "account_id": None}


def token(row: Submission, token_id: str) -> dict[str, Any]:
    return {"service_request_id": row.reference, "token": token_id}

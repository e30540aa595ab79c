"""Open311 GeoReport v2 over HTTP: every endpoint in JSON and in XML with the spec's element
names, the filters and defaults of GET requests, POST with integration keys, the spec's error
format, and the open/closed status as moderators move a report along."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import select

from admin_api.routes import open311
from core import errors
from core.citizens.service import identify
from core.communes.seed import PILOT_COMMUNES, geo_communes
from core.communes.service import arrondissements_of, categories_of, services_of
from core.geo import Point
from core.moderation import service as moderation
from core.moderation.models import AuditEntry, Role
from core.submissions import service as submissions
from core.submissions import triage
from core.submissions.models import Kind, Status, Submission
from palabre.web import create_web_app

COT, CAL = "BJ-LI-COT", "BJ-AQ-ABO"
V2 = "/open311/v2"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords",
                  "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url"]
HERE = Point(6.3703, 2.3912)  # Cotonou


@pytest.fixture
def client(app) -> TestClient:
    web = create_web_app(app)
    if not any(getattr(r, "path", "").startswith(V2 + "/") for r in web.routes):
        web.include_router(open311.router)  # until admin_api.app mounts it
    return TestClient(web)


def _report(app, text: str = "Caniveau bouché devant l'école", *, code: str = "drain",
            commune: str = COT, kind: Kind = Kind.REPORT, place: str | None = None,
            arrondissement: str | None = None, citizen_id: int | None = None,
            public: bool = True) -> str:
    """File a submission through the core service, as the citizen flows do (a report the
    citizen agreed to publish, unless told otherwise)."""
    with app.uow_factory() as uow:
        category = next(c for c in categories_of(uow=uow, commune_id=commune) if c.code == code)
        service = services_of(uow=uow, commune_id=commune)[0]
        new = submissions.NewSubmission(
            kind=kind, commune_id=commune, channel="console", citizen_id=citizen_id,
            description=text, title="Idée" if kind == Kind.IDEA else None,
            category_id=category.id if kind == Kind.REPORT else None,
            service_id=service.id if kind in (Kind.COMPLAINT, Kind.SUGGESTION) else None,
            location=HERE, place_text=place, arrondissement_id=arrondissement, public=public)
        reference = submissions.submit(uow=uow, new=new).reference
        uow.commit()
    return reference


def _account(app, name: str, role: Role, communes=(COT,)) -> str:
    with app.uow_factory() as uow:
        account = moderation.add_moderator(uow=uow, name=name, role=role, communes=communes)
        token = moderation.issue_token(uow=uow, moderator=account).token
        uow.commit()
    return token


def _act(app, action, reference: str, **arguments) -> None:
    """A moderator of Cotonou acts on a submission through the core services."""
    with app.uow_factory() as uow:
        try:
            moderator = moderation.get_moderator(uow=uow, name="awa")
        except errors.NotFound:
            moderator = moderation.add_moderator(uow=uow, name="awa", role=Role.MODERATOR,
                                                 communes=[COT])
        action(uow=uow, moderator=moderator, reference=reference, **arguments)
        uow.commit()


def _xml(response: Response) -> ET.Element:
    """The parsed document, after checking the spec's content type and XML declaration."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def _json(response: Response):
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def _errors(response: Response, status: int) -> list[str]:
    """The descriptions of the spec's error list, in whichever format came back."""
    assert response.status_code == status, response.text
    if response.headers["content-type"].startswith("text/xml"):
        root = _xml(response)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"] * len(root)
        assert all([c.tag for c in e] == ["code", "description"] for e in root)
        assert {e.findtext("code") for e in root} == {str(status)}
        return [e.findtext("description") or "" for e in root]
    body = _json(response)
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
    return [e["description"] for e in body]


def _ids(client: TestClient, **params) -> list[str]:
    response = client.get(f"{V2}/requests.json", params={"jurisdiction_id": COT, **params})
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


# Discovery and services


def test_discovery_names_the_endpoint_in_both_formats(client) -> None:
    body = _json(client.get(f"{V2}/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = _xml(client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    formats = root.find("endpoints/endpoint/formats")
    assert formats is not None and [f.text for f in formats.iter("format")] == [
        "text/xml", "application/json"]


def test_services_are_the_communes_report_categories(app, client) -> None:
    services = _json(client.get(f"{V2}/services.json", params={"jurisdiction_id": COT}))
    with app.uow_factory() as uow:
        codes = [c.code for c in categories_of(uow=uow, commune_id=COT)]
    assert [s["service_code"] for s in services] == codes
    drain = services[codes.index("drain")]
    assert list(drain) == SERVICE_FIELDS
    assert drain["service_name"] == "Caniveau, inondation" and drain["metadata"] is False
    assert drain["type"] == "realtime" and "Drain, flooding" in drain["keywords"]
    root = _xml(client.get(f"{V2}/services.xml", params={"jurisdiction_id": COT}))
    assert root.tag == "services" and {c.tag for c in root} == {"service"}
    assert [c.tag for c in root[0]] == SERVICE_FIELDS
    assert [s.findtext("service_code") for s in root] == codes
    assert root[0].findtext("metadata") == "false" and root[0].findtext("type") == "realtime"


def test_a_service_definition_has_no_attributes(client) -> None:
    params = {"jurisdiction_id": COT}
    assert _json(client.get(f"{V2}/services/drain.json", params=params)) == {
        "service_code": "drain", "attributes": []}
    root = _xml(client.get(f"{V2}/services/drain.xml", params=params))
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == "drain" and len(root.find("attributes")) == 0
    assert "nothing" in _errors(client.get(f"{V2}/services/nothing.xml", params=params), 404)[0]


def test_jurisdiction_must_be_an_enabled_commune(client) -> None:
    disabled = next(g.id for g in geo_communes() if g.id not in PILOT_COMMUNES)
    assert "jurisdiction_id" in _errors(client.get(f"{V2}/services.xml"), 400)[0]
    for path in ("services.json", "services/drain.json", "requests.json",
                 "requests/COT-SIG-26-0001.json", "tokens/COT-SIG-26-0001.json"):
        assert _errors(client.get(f"{V2}/{path}"), 400)
        for unknown in (disabled, "BJ-XX-NOPE", "x" * 500):
            assert _errors(client.get(f"{V2}/{path}", params={"jurisdiction_id": unknown}), 404)
    assert client.get(f"{V2}/services.json", params={"jurisdiction_id": "bj-li-cot"}).is_success


# Reading requests


def test_requests_show_public_reports_with_the_spec_fields(app, client, clock) -> None:
    with app.uow_factory() as uow:
        place = arrondissements_of(uow=uow, commune_id=COT)[0]
    reference = _report(app, place="Carrefour Vèdoko", arrondissement=place.id)
    body = _json(client.get(f"{V2}/requests.json", params={"jurisdiction_id": COT}))
    assert [list(r) for r in body] == [REQUEST_FIELDS]
    request = body[0]
    assert request["service_request_id"] == reference and request["status"] == "open"
    assert request["service_code"] == "drain"
    assert request["service_name"] == "Caniveau, inondation"
    assert request["description"] == "Caniveau bouché devant l'école"
    assert request["agency_responsible"] == "Mairie de Cotonou"
    assert request["address"] == f"Carrefour Vèdoko, {place.name}, Cotonou"
    assert request["lat"] == pytest.approx(6.3703) and request["long"] == pytest.approx(2.3912)
    assert request["requested_datetime"] == request["updated_datetime"] == "2026-03-14T09:30:00Z"
    assert request["status_notes"] is request["expected_datetime"] is request["media_url"] is None
    root = _xml(client.get(f"{V2}/requests.xml", params={"jurisdiction_id": COT}))
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    assert [c.tag for c in root[0]] == REQUEST_FIELDS
    assert root[0].findtext("service_request_id") == reference
    assert root[0].findtext("address") == request["address"]
    assert float(root[0].findtext("lat") or 0) == pytest.approx(6.3703)


def test_one_request_by_its_id(app, client) -> None:
    reference = _report(app)
    other = _report(app, "Route coupée", code="road", commune=CAL)
    params = {"jurisdiction_id": COT}
    body = _json(client.get(f"{V2}/requests/{reference}.json", params=params))
    assert [r["service_request_id"] for r in body] == [reference]
    root = _xml(client.get(f"{V2}/requests/{reference}.xml", params=params))
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert root[0].findtext("status") == "open"
    assert reference.lower() in _errors(client.get(f"{V2}/requests/{reference.lower()}x9.json",
                                                   params=params), 404)[0].lower()
    assert _errors(client.get(f"{V2}/requests/{other}.xml", params=params), 404)
    assert _errors(client.get(f"{V2}/requests/COT-SIG-26-9999.json", params=params), 404)


def test_status_follows_what_moderators_do(app, client, clock) -> None:
    reference = _report(app)
    url, params = f"{V2}/requests/{reference}.json", {"jurisdiction_id": COT}
    _act(app, triage.change_status, reference, status=Status.ACKNOWLEDGED)
    assert _json(client.get(url, params=params))[0]["status"] == "open"
    clock.advance(hours=2)
    _act(app, triage.change_status, reference, status=Status.IN_PROGRESS,
         public_note="Équipe jeudi", internal_note="ligne budgétaire 12")
    shown = _json(client.get(url, params=params))[0]
    assert (shown["status"], shown["status_notes"]) == ("open", "Équipe jeudi")
    assert "budgétaire" not in client.get(url, params=params).text
    clock.advance(days=1)
    _act(app, triage.change_status, reference, status=Status.RESOLVED, public_note="Curé")
    shown = _json(client.get(url, params=params))[0]
    assert (shown["status"], shown["status_notes"]) == ("closed", "Curé")
    assert shown["updated_datetime"] == "2026-03-15T11:30:00Z"
    assert shown["requested_datetime"] == "2026-03-14T09:30:00Z"
    _act(app, triage.change_status, reference, status=Status.REOPENED)
    root = _xml(client.get(f"{V2}/requests/{reference}.xml", params=params))
    assert root[0].findtext("status") == "open" and root[0].findtext("status_notes") == "Curé"
    for status in (Status.REJECTED, Status.CLOSED):
        _act(app, triage.change_status, reference, status=status)
        assert _json(client.get(url, params=params))[0]["status"] == "closed"


def test_a_merged_duplicate_is_closed(app, client) -> None:
    first, second = _report(app), _report(app, "Le caniveau déborde")
    _act(app, triage.merge, second, into=first)
    assert _json(client.get(f"{V2}/requests/{second}.json",
                            params={"jurisdiction_id": COT}))[0]["status"] == "closed"


def test_only_visible_reports_are_requests_and_nobody_is_named(app, client) -> None:
    with app.uow_factory() as uow:
        citizen = identify(uow=uow, channel="console", address="22997123456",
                           display_name="Ama Dossou").citizen_id
        uow.commit()
    report = _report(app, citizen_id=citizen)
    complaint = _report(app, "L'agent d'état civil m'a demandé 5000 F", kind=Kind.COMPLAINT,
                        citizen_id=citizen)
    suggestion = _report(app, "Ouvrir le samedi", kind=Kind.SUGGESTION)
    idea = _report(app, "Un jardin public", kind=Kind.IDEA)
    hidden = _report(app, "Insultes")
    _act(app, triage.hide, hidden, hidden=True)
    assert _ids(client) == [report]
    assert _ids(client, service_request_id=",".join([complaint, suggestion, idea, hidden])) == []
    for reference in (complaint, suggestion, idea, hidden):
        assert _errors(client.get(f"{V2}/requests/{reference}.xml",
                                  params={"jurisdiction_id": COT}), 404)
    shown = client.get(f"{V2}/requests.xml", params={"jurisdiction_id": COT}).text
    assert "22997123456" not in shown and "Ama" not in shown and "console" not in shown


def test_filters_by_code_status_and_ids(app, client, clock) -> None:
    drain = _report(app)
    clock.advance(minutes=1)
    road = _report(app, "Nid de poule", code="road")
    clock.advance(minutes=1)
    light = _report(app, "Lampadaire éteint", code="street_light")
    _act(app, triage.change_status, road, status=Status.RESOLVED)
    assert _ids(client) == [light, road, drain]
    assert _ids(client, service_code="drain,road") == [road, drain]
    assert _ids(client, service_code=["drain", "street_light"]) == [light, drain]
    assert _ids(client, status="closed") == [road]
    assert _ids(client, status=["open"], service_code="road") == []
    assert _ids(client, status="open,closed") == [light, road, drain]
    assert _ids(client, status="", service_code="") == [light, road, drain]  # empty = absent
    # service_request_id overrides every other filter
    assert _ids(client, service_request_id=f"{drain},{road}", status="closed",
                service_code="street_light") == [road, drain]
    assert _ids(client, service_request_id=[light, "nothing"]) == [light]


def test_dates_default_to_the_last_90_days(app, client, clock) -> None:
    old = _report(app, "Ancien signalement")
    clock.advance(days=100)
    recent = _report(app, "Nouveau signalement")
    assert _ids(client) == [recent]
    assert _ids(client, start_date="2026-03-01T00:00:00Z") == [old]  # 90 days from the start
    assert _ids(client, end_date="2026-04-01T00:00:00Z") == [old]  # 90 days to the end
    assert _ids(client, start_date="2026-03-14T10:30:00+01:00",
                end_date="2026-03-14T10:30:00+01:00") == [old]
    assert _ids(client, start_date="2026-03-14T10:30:01+01:00",
                end_date="2026-03-15") == []
    assert _ids(client, start_date="2026-06-01", end_date="2026-08-29T23:59:59Z") == [recent]
    # a '+' sent unencoded arrives as a space
    assert client.get(f"{V2}/requests.json?jurisdiction_id={COT}"
                      "&start_date=2026-06-01T00:00:00+01:00").json()[0]["description"] \
        == "Nouveau signalement"


def test_at_most_1000_requests_newest_first(app, client, clock) -> None:
    with app.uow_factory() as uow:
        category = categories_of(uow=uow, commune_id=COT)[0]
        now = clock.now()
        uow.session.add_all(Submission(
            reference=f"COT-SIG-26-{n:04d}", kind=Kind.REPORT, commune_id=COT,
            category_id=category.id, description=f"n°{n}", channel="console",
            created_at=now - timedelta(minutes=n), updated_at=now) for n in range(1, 1002))
        uow.commit()
    body = client.get(f"{V2}/requests.json", params={"jurisdiction_id": COT}).json()
    assert len(body) == 1000
    assert body[0]["service_request_id"] == "COT-SIG-26-0001"
    assert body[-1]["service_request_id"] == "COT-SIG-26-1000"
    assert _ids(client, end_date="2026-03-13T16:00:00Z") == []
    assert _ids(client, end_date="2026-03-13T16:49:00Z") == ["COT-SIG-26-1001"]


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"start_date": "yesterday"}, 400, "start_date"),
    ({"end_date": "2026-13-45T00:00:00Z"}, 400, "end_date"),
    ({"start_date": "2026-03-01T00:00:00"}, 400, "time zone"),
    ({"start_date": "9999-12-31T23:59:59Z"}, 400, "out of range"),
    ({"end_date": "0001-01-01T00:00:00Z"}, 400, "out of range"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400, "90 days"),
    ({"start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, 400, "before"),
    ({"status": "pending"}, 400, "open, closed"),
    ({"service_code": "drain,potholes"}, 400, "potholes"),
    ({"service_code": "\x00"}, 200, ""),
    ({"service_request_id": ",".join(f"COT-SIG-26-{n}" for n in range(1001))}, 400, "1000"),
    ({"service_request_id": "\x00;DROP TABLE submission"}, 200, ""),
    ({"jurisdiction_id": "BJ-LI-COT\x00"}, 200, ""),
])
def test_bad_queries_are_refused_in_the_spec_format(client, params, status, words) -> None:
    for fmt in ("json", "xml"):
        response = client.get(f"{V2}/requests.{fmt}", params={"jurisdiction_id": COT, **params})
        if status == 200:
            assert response.status_code == 200
            continue
        assert words in " ".join(_errors(response, status))


def test_unknown_formats_and_resources_answer_404(client) -> None:
    for path in ("services.yaml", "requests.html", "requests/COT-SIG-26-0001.csv"):
        response = client.get(f"{V2}/{path}", params={"jurisdiction_id": COT})
        assert "use .xml or .json" in _errors(response, 404)[0]
        assert response.headers["content-type"].startswith("application/json")
    assert _errors(client.get(f"{V2}/nothing.xml"), 404)
    assert _errors(client.get(f"{V2}/discovery."), 404)
    assert _errors(client.get(f"{V2}/"), 404)
    assert _errors(client.post(f"{V2}/services.xml"), 404)


def test_xml_leaves_out_characters_it_cannot_carry(app, client) -> None:
    reference = _report(app, "Fuite\x01 d'eau\x1b <b>&</b>")
    root = _xml(client.get(f"{V2}/requests/{reference}.xml", params={"jurisdiction_id": COT}))
    assert root[0].findtext("description") == "Fuite d'eau <b>&</b>"


def test_a_token_is_answered_with_the_request_it_names(app, client) -> None:
    reference = _report(app)
    params = {"jurisdiction_id": COT}
    assert _json(client.get(f"{V2}/tokens/{reference}.json", params=params)) == [
        {"service_request_id": reference, "token": reference}]
    root = _xml(client.get(f"{V2}/tokens/{reference}.xml", params=params))
    assert root.tag == "service_requests"
    assert [c.tag for c in root[0]] == ["service_request_id", "token"]
    assert "token" in _errors(client.get(f"{V2}/tokens/123456.xml", params=params), 404)[0]


# Filing requests


def _post(client: TestClient, fmt: str = "json", **fields) -> Response:
    form = {"jurisdiction_id": COT, "service_code": "drain", "lat": "6.3703", "long": "2.3912",
            "description": "Caniveau bouché au marché Dantokpa", **fields}
    return client.post(f"{V2}/requests.{fmt}", data={k: v for k, v in form.items()
                                                      if v is not None})


def test_an_integration_files_a_report(app, client) -> None:
    key = _account(app, "sigfox-cotonou", Role.INTEGRATION)
    response = _post(client, api_key=key, address_string="Marché Dantokpa",
                     email="agent@example.org", first_name="Koffi", phone="22990000000",
                     media_url="https://example.org/photo.jpg")
    assert response.status_code == 201
    created = _json(response)
    assert [list(c) for c in created] == [["service_request_id", "service_notice", "account_id"]]
    reference = created[0]["service_request_id"]
    assert reference.startswith("COT-SIG-26-")
    shown = _json(client.get(f"{V2}/requests/{reference}.json",
                             params={"jurisdiction_id": COT}))[0]
    assert shown["status"] == "open" and shown["service_code"] == "drain"
    assert shown["address"] == "Marché Dantokpa, Cotonou"
    assert shown["description"] == ("Caniveau bouché au marché Dantokpa\n\n"
                                    "media_url: https://example.org/photo.jpg")
    with app.uow_factory() as uow:
        row = submissions.get_by_reference(uow=uow, reference=reference)
        audit = uow.session.exec(select(AuditEntry)).all()
    assert (row.citizen_id, row.channel, row.kind) == (None, "open311", Kind.REPORT)
    assert [(a.actor, a.action, a.target_id) for a in audit] == [
        ("sigfox-cotonou", "open311_create", reference)]
    assert "Koffi" not in str(row.model_dump()) and "22990000000" not in str(row.model_dump())


def test_filing_in_xml_with_an_address_only(app, client) -> None:
    key = _account(app, "crm", Role.INTEGRATION, communes=(COT, CAL))
    response = _post(client, "xml", api_key=key, jurisdiction_id=CAL, service_code="road",
                     lat=None, long=None, address_string="Carrefour IITA, Godomey")
    assert response.status_code == 201
    root = _xml(response)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert [c.tag for c in root[0]] == ["service_request_id", "service_notice", "account_id"]
    reference = root[0].findtext("service_request_id") or ""
    assert reference.startswith("CAL-SIG-")
    assert _ids(client, jurisdiction_id=CAL) == [reference]


@pytest.mark.parametrize(("key", "fields", "status", "words"), [
    (None, {}, 403, "api_key"),
    ("plb_wrong", {}, 403, "api_key"),
    ("moderator", {}, 403, "not an integration key"),
    ("calavi", {}, 403, "may not file requests for BJ-LI-COT"),
    ("integration", {"jurisdiction_id": ""}, 400, "jurisdiction_id"),
    ("integration", {"jurisdiction_id": "BJ-XX-NOPE"}, 404, "jurisdiction_id"),
    ("integration", {"service_code": None}, 400, "service_code"),
    ("integration", {"service_code": "potholes"}, 404, "potholes"),
    ("integration", {"lat": None, "long": None}, 400, "location"),
    ("integration", {"long": None}, 400, "both"),
    ("integration", {"lat": "nord"}, 400, "numbers"),
    ("integration", {"lat": "48.8566", "long": "2.3522"}, 400, "Benin"),
    ("integration", {"lat": "nan", "long": "inf"}, 400, "Benin"),
    ("integration", {"lat": None, "long": None, "address_id": "42"}, 400, "address_id"),
    ("integration", {"description": "x" * 4001}, 400, "4000"),
    ("integration", {"address_string": "x" * 301}, 400, "300"),
    ("integration", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ("integration", {"description": "\x00\x00", "address_string": "\x00"}, 201, ""),
])
def test_filing_refusals(app, client, key, fields, status, words) -> None:
    keys = {"integration": _account(app, "crm", Role.INTEGRATION),
            "calavi": _account(app, "crm-calavi", Role.INTEGRATION, communes=(CAL,)),
            "moderator": _account(app, "awa", Role.MODERATOR)}
    for fmt in ("json", "xml"):
        response = _post(client, fmt, api_key=keys.get(key or "", key), **fields)
        if status == 201:
            assert response.status_code == 201
            continue
        assert words in " ".join(_errors(response, status))
    with app.uow_factory() as uow:
        filed = uow.session.exec(select(Submission)).all()
    assert len(filed) == (2 if status == 201 else 0)


def test_a_body_that_is_not_a_form_is_refused(app, client) -> None:
    key = _account(app, "crm", Role.INTEGRATION)
    assert _errors(client.post(f"{V2}/requests.json", json={"api_key": key}), 403)
    big = client.post(f"{V2}/requests.xml", content=b"a=" + b"x" * 70_000,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "larger" in _errors(big, 400)[0]
    many = client.post(f"{V2}/requests.xml", content="&".join(f"f{n}=1" for n in range(200)),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "fields" in _errors(many, 400)[0]


def test_repeated_invalid_keys_are_slowed_down_never_a_valid_one(app, client) -> None:
    client.app.state.failed_authentications.delay = 0.0  # throttled answers not held back
    key = _account(app, "crm", Role.INTEGRATION)
    for _ in range(5):
        _errors(_post(client, api_key="plb_guess"), 403)
    slowed = _post(client, "xml", api_key="plb_guess")
    assert "try again later" in _errors(slowed, 429)[0]
    assert int(slowed.headers["Retry-After"]) >= 1
    assert _post(client, api_key=key).status_code == 201  # the same address, a valid key

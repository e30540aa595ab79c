"""The OpenAPI document tells the truth: every status an operation answers is declared, with
the body it really has ({"detail", "code"} for every refusal), and inputs are read strictly
(a 0 is not false, false is not 0)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from core.moderation.models import Role
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account, _report
from tests.talk import Talker

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(create_web_app(app))


def test_every_answer_is_declared_with_the_shape_it_has(app, messenger) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("the document and the answers' shapes are the same on both databases; "
                    "test_api_fuzz.py looks for server errors on PostgreSQL too (saves CI "
                    "half a minute)")
    _report(Talker(app, messenger, "ama"), photo=True)
    headers = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_web_app(app))
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/open311/"):
            continue  # the spec's own formats (XML and JSON error lists), tested on their own
        _check(operation, headers, failures)
    assert failures == []


def _check(operation, headers: dict[str, str], failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              derandomize=True, suppress_health_check=list(HealthCheck))
    def one(case) -> None:
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' failures: one line
            shown = " ".join(str(exc).split())[:300]
            failures.append(f"{case.method} {case.formatted_path} → "
                            f"{response.status_code}: {shown}")

    one()


def test_refusals_have_one_shape(app, client) -> None:
    moderator = _account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"])
    for response in (client.get("/api/v1/submissions"),  # 401
                     client.get("/api/v1/submissions/COT-SIG-26-9999", headers=moderator),
                     client.put("/api/v1/communes/BJ-LI-COT/enabled", headers=moderator,
                                json={"value": False}),  # 403
                     client.get("/api/v1/submissions?limit=0", headers=moderator),  # 422
                     client.get("/api/v1/nothing-here", headers=moderator)):  # 404
        body = response.json()
        assert set(body) == {"detail", "code"}, (response.status_code, body)
        assert isinstance(body["detail"], str) and body["code"]


def test_a_number_is_not_a_yes_nor_a_no_a_number(app, client) -> None:
    admin = _account(app, "root", Role.ADMIN)
    enabled = client.put("/api/v1/communes/BJ-LI-COT/enabled", headers=admin,
                         json={"value": 0})
    assert enabled.status_code == 422
    communes = client.get("/api/v1/communes", headers=admin).json()
    assert next(c for c in communes if c["id"] == "BJ-LI-COT")["enabled"] is True
    project = client.post("/api/v1/projects", headers=admin, json={
        "commune_id": "BJ-LI-COT", "code": "PAI-1", "title": "Pavage", "sector": "voirie",
        "budget_fcfa": 1000})
    assert project.status_code in (200, 201), project.text
    progress = client.post(f"/api/v1/projects/{project.json()['id']}/progress",
                           headers=admin, json={"progress": False})
    assert progress.status_code == 422

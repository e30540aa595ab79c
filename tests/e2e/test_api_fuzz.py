"""Schemathesis sends generated requests to every operation of the OpenAPI schema: whatever
the input, the API answers with a clear 4xx, never a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from core.moderation.models import Role
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account, _report
from tests.talk import Talker

EXAMPLES_PER_OPERATION = 20


def test_no_input_makes_a_server_error(app, messenger) -> None:
    _report(Talker(app, messenger, "ama"), photo=True)
    _report(Talker(app, messenger, "kojo"), "Lampadaire en panne")
    headers = _account(app, "root", Role.ADMIN)
    web = create_web_app(app)
    web.state.failed_authentications.delay = 0.0  # random api_keys: throttled, not held back
    schema = schemathesis.openapi.from_asgi("/openapi.json", web)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:
        _fuzz(operation, headers, failures)
    assert failures == []


def _fuzz(operation, headers: dict[str, str], failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              derandomize=True,
              suppress_health_check=list(HealthCheck))
    def one(case) -> None:
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the test client re-raises what the app did not handle
            failures.append(f"{case.method} {case.formatted_path} {case.query} → {exc!r:.300}")
            return
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} {case.query} "
                            f"{case.body!r:.200} → {response.status_code} {response.text[:200]}")

    one()

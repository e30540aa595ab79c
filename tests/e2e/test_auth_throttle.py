"""Failed authentications are slowed per source address and per presented credential, and a
valid credential is always served: the moderators' bearer tokens, Open311's api_key, and the
client's address as a trusted reverse proxy reports it (and only such a proxy)."""

from __future__ import annotations

import secrets

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from admin_api.deps import FAILURE_WINDOW_S, FAILURES_ALLOWED, FailedAuthentications
from core.moderation.models import Role
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _account
from tests.e2e.test_open311 import V2, _errors, _json, _post
from tests.e2e.test_open311 import _account as _key

SUBMISSIONS = "/api/v1/submissions"
PROXY, INNER_PROXY = "10.0.0.2", "10.0.0.3"  # in the trusted network below
ALICE, BOB = "198.51.100.7", "198.51.100.8"  # clients behind the proxy


@pytest.fixture
def settings(settings):
    """Palabre behind reverse proxies in 10.0.0.0/8."""
    return settings.model_copy(update={"trusted_proxies": "10.0.0.0/8, 192.0.2.254"})


@pytest.fixture
def web(app) -> FastAPI:
    web = create_web_app(app)
    web.state.failed_authentications = FailedAuthentications(delay=0.0)
    return web


def _peer(web: FastAPI, address: str = "testclient") -> TestClient:
    """A client whose connection comes from this address."""
    return TestClient(web, client=(address, 50000))


def _guess() -> dict[str, str]:
    """A bearer token nobody holds, different each time."""
    return {"Authorization": f"Bearer plb_{secrets.token_urlsafe(24)}"}


def _throttled(response: Response) -> bool:
    """429 with a Retry-After within the counting window."""
    return (response.status_code == 429
            and 1 <= int(response.headers["Retry-After"]) <= FAILURE_WINDOW_S + 1)


def _fail_allowance(client: TestClient, headers=None, **forwarded) -> None:
    """As many failures as are answered 401 (then the next failure is throttled)."""
    for _ in range(FAILURES_ALLOWED):
        response = client.get(SUBMISSIONS, headers={**(headers or _guess()), **forwarded})
        assert response.status_code == 401, response.text


def test_a_valid_token_is_served_behind_an_address_that_failed_many_times(app, web) -> None:
    admin = _account(app, "root", Role.ADMIN)
    shared = _peer(web)  # a mairie's one connection
    _fail_allowance(shared)
    refused = [shared.get(SUBMISSIONS, headers=_guess()) for _ in range(3)]
    assert all(_throttled(r) for r in refused)
    assert shared.get(SUBMISSIONS, headers=admin).status_code == 200
    assert "not valid" in refused[0].json()["detail"]
    assert _throttled(shared.get(SUBMISSIONS, headers=_guess()))


def test_the_same_bad_token_is_slowed_from_any_address(app, web) -> None:
    stolen = _guess()
    for n in range(FAILURES_ALLOWED):
        assert _peer(web, f"192.0.2.{n + 1}").get(SUBMISSIONS, headers=stolen).status_code == 401
    elsewhere = _peer(web, "192.0.2.99")
    assert _throttled(elsewhere.get(SUBMISSIONS, headers=stolen))
    assert elsewhere.get(SUBMISSIONS, headers=_guess()).status_code == 401  # a fresh address
    assert elsewhere.get(SUBMISSIONS,
                         headers=_account(app, "root", Role.ADMIN)).status_code == 200


def test_requests_without_a_token_are_refused_but_not_counted(app, web) -> None:
    client = _peer(web)
    for _ in range(3 * FAILURES_ALLOWED):
        assert client.get(SUBMISSIONS).status_code == 401
    assert client.get(SUBMISSIONS, headers=_guess()).status_code == 401


def test_a_valid_api_key_files_after_bad_ones_from_the_same_address(app, web) -> None:
    client = _peer(web)
    for fmt in ("json", "xml", "json", "xml", "json"):
        assert "api_key" in _errors(_post(client, fmt, api_key=f"plb_{secrets.token_hex(8)}"),
                                    403)[0]
    for fmt in ("json", "xml"):
        slowed = _post(client, fmt, api_key="plb_guess")
        assert "try again later" in _errors(slowed, 429)[0]
        assert _throttled(slowed)
    assert _post(client, api_key=_key(app, "crm", Role.INTEGRATION)).status_code == 201
    assert _throttled(client.get(SUBMISSIONS, headers=_guess()))  # one count per source


def test_throttled_refusals_are_held_back_not_valid_requests(app, web) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    web.state.failed_authentications = FailedAuthentications(delay=2.5, sleep=sleep)
    client = _peer(web)
    _fail_allowance(client)
    assert slept == []
    assert _throttled(client.get(SUBMISSIONS, headers=_guess()))
    assert _errors(_post(client, api_key="plb_guess"), 429)
    assert client.get(SUBMISSIONS, headers=_account(app, "root", Role.ADMIN)).status_code == 200
    assert slept == [2.5, 2.5]


def test_forwarded_for_is_ignored_from_an_untrusted_peer(web) -> None:
    client = _peer(web, "192.0.2.1")
    _fail_allowance(client, **{"X-Forwarded-For": ALICE})
    assert _throttled(client.get(SUBMISSIONS, headers={**_guess(), "X-Forwarded-For": BOB}))


def test_forwarded_for_is_believed_from_a_trusted_proxy(app, web) -> None:
    proxy = _peer(web, PROXY)
    _fail_allowance(proxy, **{"X-Forwarded-For": ALICE})
    assert _throttled(proxy.get(SUBMISSIONS, headers={**_guess(), "X-Forwarded-For": ALICE}))
    assert proxy.get(SUBMISSIONS, headers={**_guess(), "X-Forwarded-For": BOB}).status_code == 401
    # Alice cannot pass for someone else by writing an address before her own...
    spoofed = {**_guess(), "X-Forwarded-For": f"{BOB}, {ALICE}"}
    assert _throttled(proxy.get(SUBMISSIONS, headers=spoofed))
    # ...and two proxies in a row still name her, whichever door she came through.
    two_hops = {**_guess(), "X-Forwarded-For": f"{ALICE}, {INNER_PROXY}"}
    assert _throttled(_peer(web, "192.0.2.254").get(SUBMISSIONS, headers=two_hops))
    assert proxy.get(SUBMISSIONS, headers={**_account(app, "root", Role.ADMIN),
                                           "X-Forwarded-For": ALICE}).status_code == 200


def test_forwarded_proto_is_believed_from_a_trusted_proxy_only(web) -> None:
    https = {"X-Forwarded-Proto": "https"}
    trusted = _json(_peer(web, PROXY).get(f"{V2}/discovery.json", headers=https))
    untrusted = _json(_peer(web, "192.0.2.1").get(f"{V2}/discovery.json", headers=https))
    assert trusted["endpoints"][0]["url"] == "https://testserver/open311/v2"
    assert untrusted["endpoints"][0]["url"] == "http://testserver/open311/v2"

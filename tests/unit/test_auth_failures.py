"""Counting failed authentications: the sliding window, the bounded memory, what is kept of a
token, which address a failure counts against, and which proxies are believed."""

from __future__ import annotations

import gc
import secrets
from collections import deque

import pytest

from admin_api.deps import FailedAuthentications, source_of
from palabre.web import trusted_proxies


class Clock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _failures(clock: Clock, **options) -> FailedAuthentications:
    return FailedAuthentications(allowed=3, window=60.0, clock=clock, **options)


def test_failures_past_the_allowance_wait_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    failures = _failures(clock)
    waits = []
    for _ in range(4):
        waits.append(failures.failed(source="192.0.2.1", credential=f"plb_{secrets.token_hex()}"))
        clock.now += 10
    assert waits == [0.0, 0.0, 0.0, 30.0]  # the first failed 30 s before the fourth
    clock.now += 35  # 75 s after the first: of the last three, the oldest left the window
    assert failures.failed(source="192.0.2.1", credential="plb_x") == 0.0
    assert failures.failed(source="192.0.2.1", credential="plb_y") == pytest.approx(5.0)


def test_a_credential_is_counted_whatever_its_source() -> None:
    failures = _failures(Clock())
    waits = [failures.failed(source=f"192.0.2.{n}", credential="plb_stolen") for n in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0
    assert failures.failed(source="192.0.2.200", credential="plb_other") == 0.0


def test_memory_stays_bounded_under_random_tokens_from_many_addresses() -> None:
    clock = Clock()
    failures = _failures(clock, capacity=100)
    for n in range(5_000):
        failures.failed(source=f"10.{n // 256 % 256}.{n % 256}.1",
                        credential=f"plb_{secrets.token_hex()}")
        clock.now += 0.001
    assert len(failures) == 200
    clock.now += 61  # quiet sources and credentials are forgotten as soon as one more fails
    failures.failed(source="192.0.2.1", credential="plb_last")
    assert len(failures) == 2


def test_a_failed_token_is_not_kept_only_a_fingerprint_of_it() -> None:
    failures = _failures(Clock())
    token = f"plb_{secrets.token_urlsafe(24)}"
    failures.failed(source="192.0.2.1", credential=token)
    held = _text_held_by(failures)
    assert "192.0.2.1" in held
    assert not any(token.encode() in (t if isinstance(t, bytes) else t.encode()) for t in held)


def _text_held_by(root: object) -> set[str | bytes]:
    """Every string and bytes reachable from root through its attributes and containers."""
    found: set[str | bytes] = set()
    todo, seen = [root], set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, str | bytes):
            found.add(item)
        elif isinstance(item, dict | list | tuple | set | deque) or \
                type(item).__module__ == "admin_api.deps":
            todo.extend(gc.get_referents(item))
    return found


@pytest.mark.parametrize(("host", "counted_as"), [
    ("192.0.2.1", "192.0.2.1"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),  # one subscriber's network
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("testclient", "testclient"),
    ("x" * 500, "x" * 64),
])
def test_failures_count_against_the_address_or_its_ipv6_network(host, counted_as) -> None:
    assert source_of(host) == counted_as


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert trusted_proxies("") == []
    assert trusted_proxies(" 127.0.0.1, 10.1.2.3/8 ,,::1") == ["127.0.0.1/32", "10.0.0.0/8",
                                                                "::1/128"]
    for wrong in ("*", "nginx", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="PALABRE_TRUSTED_PROXIES"):
            trusted_proxies(f"127.0.0.1,{wrong}")

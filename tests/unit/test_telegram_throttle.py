"""Telegram's sending limits, on a clock the test moves: 30 a second overall, one a second
per chat, 20 a minute per group or channel."""

from __future__ import annotations

from bots.telegram.throttle import Throttle


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_message_a_second_per_chat() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    assert throttle.reserve("42") == 0
    assert throttle.reserve("42") == 1.0
    assert throttle.reserve("43") == 0  # another chat is not held back
    ticks.now += 1.0
    assert throttle.reserve("42") == 0


def test_thirty_a_second_over_all_chats() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    assert all(throttle.reserve(str(chat)) == 0 for chat in range(30))
    ticks.now += 0.25
    assert throttle.reserve("99") == 0.75
    ticks.now += 0.75
    assert throttle.reserve("99") == 0


def test_twenty_a_minute_per_group_or_channel() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    for _ in range(20):
        assert throttle.reserve("-100123") == 0
        ticks.now += 1.0
    assert throttle.reserve("-100123") == 40.0  # the first of the 20 went 20 s ago
    assert throttle.reserve("@mairie_cotonou") == 0  # a public channel: a group of its own

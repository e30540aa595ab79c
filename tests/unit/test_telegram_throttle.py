"""Telegram's sending limits, on a clock the test moves: 30 a second overall, one a second
per chat, 20 a minute per group or channel."""

from __future__ import annotations

import threading

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


def _sent(throttle: Throttle, chat: str) -> bool:
    """Reserved, and answered at once (the messenger settles each message it sent)."""
    reserved = throttle.reserve(chat) == 0
    throttle.settle()
    return reserved


def test_thirty_a_second_over_all_chats() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    assert all(_sent(throttle, str(chat)) for chat in range(30))
    ticks.now += 0.25
    assert throttle.reserve("99") == 0.75
    ticks.now += 0.75
    assert throttle.reserve("99") == 0


def test_a_message_in_flight_counts_until_its_answer_however_long() -> None:
    """A request slower than a second still counted only until a second after it was
    reserved: the 31st could go while the first had not yet reached Telegram."""
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    reserved, answered, settled = threading.Event(), threading.Event(), threading.Event()

    def slow_sender() -> None:  # its own thread, as the messenger's senders are
        assert throttle.reserve("1") == 0
        reserved.set()
        answered.wait(5)
        throttle.settle()
        settled.set()

    sender = threading.Thread(target=slow_sender)
    sender.start()
    assert reserved.wait(5)
    ticks.now += 2.5
    assert all(_sent(throttle, str(chat)) for chat in range(2, 31))  # answered at once
    ticks.now += 0.5  # the first, reserved 3 s ago, still in flight: it counts
    assert throttle.reserve("99") == 0.5  # when the 29 others leave the second
    answered.set()
    assert settled.wait(5)
    sender.join(5)
    ticks.now += 0.6  # the 29 have left; the first counts from its answer
    assert throttle.reserve("99") == 0
    assert throttle.reserve("100") == 0


def test_answered_messages_leave_the_second_behind_one_in_flight() -> None:
    """One slow upload at the front kept the 29 answered after it counted for as long as it
    lasted: every other message waited for it."""
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    reserved, answered = threading.Event(), threading.Event()

    def slow_upload() -> None:
        assert throttle.reserve("1") == 0
        reserved.set()
        answered.wait(5)
        throttle.settle()

    upload = threading.Thread(target=slow_upload)
    upload.start()
    assert reserved.wait(5)
    assert all(_sent(throttle, str(chat)) for chat in range(2, 31))
    ticks.now += 1.0
    assert throttle.reserve("99") == 0  # the 29 have left: one in flight, one now
    answered.set()
    upload.join(5)


def test_twenty_a_minute_per_group_or_channel() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    for _ in range(20):
        assert throttle.reserve("-100123") == 0
        ticks.now += 1.0
    assert throttle.reserve("-100123") == 40.0  # the first of the 20 went 20 s ago
    assert throttle.reserve("@mairie_cotonou") == 0  # a public channel: a group of its own


def test_a_pause_holds_back_every_chat_of_the_bot_until_it_ends() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    assert throttle.reserve("42") == 0
    throttle.pause(5.0)  # Telegram answered 429 "retry after 5"
    assert throttle.reserve("43") == 5.0  # a chat never written to waits too
    assert throttle.reserve("-100123") == 5.0
    assert throttle.holding("43") == "pause"
    ticks.now += 4.5
    assert throttle.reserve("43") == 0.5
    ticks.now += 0.5
    assert throttle.reserve("43") == 0
    assert throttle.reserve("42") == 0


def test_a_shorter_pause_never_cuts_a_longer_one() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    throttle.pause(5.0)
    throttle.pause(1.0)
    assert throttle.reserve("42") == 5.0


def test_what_holds_a_message_back() -> None:
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    assert throttle.reserve("42") == 0
    assert throttle.holding("42") == "chat"
    assert all(_sent(throttle, str(chat)) for chat in range(100, 129))
    assert throttle.holding("99") == "bot"


def test_every_part_of_a_split_message_counts_in_a_groups_twenty_a_minute() -> None:
    """The next parts skip the chat's one a second, never a group's 20 a minute."""
    ticks = Ticks()
    throttle = Throttle(now=ticks)
    assert throttle.reserve("-100123") == 0  # a message's first part
    assert all(throttle.reserve("-100123", chat=False) == 0 for _ in range(19))  # its others
    assert throttle.reserve("-100123", chat=False) == 60.0
    assert throttle.holding("-100123", chat=False) == "chat"
    assert throttle.reserve("42") == 0 and throttle.reserve("42", chat=False) == 0

"""The sending limits kept in the database (core/messages/pace.py): a message held back by a
short wait is booked for the moment it may go, so that its sender sleeps once and sends;
two senders at Telegram's 30 a second reached 27 when each booked again after its wait."""

from __future__ import annotations

from sqlalchemy import select

from core.messages import pace as pace_module
from core.messages import workers
from core.messages.models import SendWindow
from core.messages.pace import Rate, SharedPace, Window, book_patiently

BOT = "telegram:42"
WINDOW = Window(BOT, 3, 1.0)


def _fill(pace: SharedPace, at: float) -> list[int]:
    """Three messages booked and answered at `at`: the window is full until `at + 1`."""
    entries = []
    for _ in range(3):
        booking = pace.book(at, pause_key=BOT, window=WINDOW)
        assert booking.entry is not None and booking.start == at
        pace.settle(booking.entry, at)
        entries.append(booking.entry)
    return entries


def test_a_full_window_holds_a_message_back_until_its_oldest_answer_leaves_it(app) -> None:
    pace = SharedPace(app.engine)
    _fill(pace, 100.0)
    held = pace.book(100.4, pause_key=BOT, window=WINDOW)
    assert held.entry is None and held.held_by == BOT and not held.paused
    assert abs(held.wait - 0.6) < 1e-9


def test_a_short_wait_is_booked_ahead_and_counts_in_the_window_from_then(app) -> None:
    pace = SharedPace(app.engine)
    _fill(pace, 100.0)
    booked = pace.book(100.4, pause_key=BOT, window=WINDOW, ahead=lambda _: 1.0)
    assert booked.entry is not None and not booked.held_by
    assert abs(booked.start - 101.0) < 1e-9  # when the first answer leaves the window
    after = pace.book(100.5, pause_key=BOT, window=WINDOW, ahead=lambda _: 1.0)
    assert abs(after.start - 101.0) < 1e-9  # the second of the three leaves then too
    pace.book(100.5, pause_key=BOT, window=WINDOW, ahead=lambda _: 1.0)
    # Three booked ahead, none answered: nobody knows yet when the next one may go.
    polled = pace.book(100.6, pause_key=BOT, window=WINDOW, ahead=lambda _: 1.0)
    assert polled.entry is None and polled.held_by == BOT and polled.wait < 0.1


def test_a_wait_longer_than_the_sender_sleeps_is_told_not_booked(app) -> None:
    pace = SharedPace(app.engine)
    _fill(pace, 100.0)
    held = pace.book(100.4, pause_key=BOT, window=WINDOW, ahead=lambda _: 0.5)
    assert held.entry is None and abs(held.wait - 0.6) < 1e-9


def test_a_chats_rate_booked_ahead_moves_its_next_slot_from_then(app) -> None:
    pace = SharedPace(app.engine)
    chat = Rate(f"{BOT}:7", 1.0)
    first = pace.book(50.0, pause_key=BOT, rates=[chat], window=WINDOW)
    assert first.start == 50.0
    second = pace.book(50.2, pause_key=BOT, rates=[chat], window=WINDOW,
                       ahead=lambda b: 0.9 if b.held_by == chat.key else 0.0)
    assert abs(second.start - 51.0) < 1e-9
    third = pace.book(50.3, pause_key=BOT, rates=[chat], window=WINDOW,
                      ahead=lambda b: 0.9 if b.held_by == chat.key else 0.0)
    assert third.entry is None and abs(third.wait - 1.7) < 1e-9  # 52.0, beyond 0.9


def test_a_pause_set_while_the_sender_sleeps_gives_the_message_back(app,
                                                                  monkeypatch) -> None:
    pace = SharedPace(app.engine)
    clock = {"now": 200.0}
    _fill(pace, 199.95)  # the window is free again at 200.95
    slept = []

    def sleep(seconds: float) -> None:  # another process meets a 429 during the wait
        slept.append(seconds)
        pace.pause(BOT, 230.0)
        clock["now"] += seconds

    monkeypatch.setattr(pace_module.time, "sleep", sleep)
    booking = book_patiently(pace, lambda: clock["now"], pause_key=BOT, window=WINDOW,
                             sleepable=lambda _: 1.0, patience=2.0)
    assert len(slept) == 1 and abs(slept[0] - 0.95) < 1e-9  # booked ahead, slept once
    assert booking.paused and booking.entry is None and abs(booking.wait - 29.05) < 1e-9
    # The booked entry was taken back: after the pause the window has room for three.
    later = [pace.book(231.0, pause_key=BOT, window=WINDOW) for _ in range(3)]
    assert all(b.entry is not None and b.start == 231.0 for b in later)


def test_a_sender_that_slept_without_a_pause_sends_at_its_slot(app, monkeypatch) -> None:
    pace = SharedPace(app.engine)
    clock = {"now": 300.0}
    _fill(pace, 299.5)
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(pace_module.time, "sleep", sleep)
    booking = book_patiently(pace, lambda: clock["now"], pause_key=BOT, window=WINDOW,
                             sleepable=lambda _: 1.0, patience=2.0)
    assert slept == [0.5] and booking.entry is not None and booking.start == 300.5


def _window_times(app) -> list[float]:
    with app.engine.connect() as connection:
        return sorted(at for (at,) in connection.execute(
            select(SendWindow.at).where(SendWindow.key == BOT)))  # type: ignore[arg-type]


def test_a_dead_senders_messages_in_flight_count_from_its_death_not_for_a_minute(
        app, clock) -> None:
    """Two senders at 30 a second went on at 25 for a minute after one was killed: the eight
    messages it had in flight held their room in the window for their full time in flight."""
    pace = SharedPace(app.engine)
    now = clock.now().timestamp()
    for _ in range(3):  # booked by this process, which has not beaten: as good as dead
        pace.book(now, pause_key=BOT, window=WINDOW)
    assert all(at >= now + WINDOW.in_flight_for - 1 for at in _window_times(app))
    assert pace.book(now, pause_key=BOT, window=WINDOW).held_by == BOT  # full of in flight
    clock.advance(seconds=2)
    with app.uow_factory() as uow:
        workers.release_claims_of_the_dead(uow=uow)
        uow.commit()
    assert _window_times(app) == [now + 2] * 3
    assert pace.book(now + 2.5, pause_key=BOT, window=WINDOW).held_by == BOT
    assert pace.book(now + 3.0, pause_key=BOT, window=WINDOW).entry is not None


def test_a_live_senders_messages_in_flight_keep_counting(app, clock) -> None:
    pace = SharedPace(app.engine)
    with app.uow_factory() as uow:
        workers.beat(uow=uow, roles="deliveries")
        uow.commit()
    now = clock.now().timestamp()
    pace.book(now, pause_key=BOT, window=WINDOW)
    with app.uow_factory() as uow:
        workers.release_claims_of_the_dead(uow=uow)
        uow.commit()
    assert _window_times(app) == [now + WINDOW.in_flight_for]

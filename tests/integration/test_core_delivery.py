"""Delivering the outbox on a real database: sent, retried with backoff and in order per address,
given up, and released after a crash."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core.citizens import service as citizens
from core.citizens.models import ChannelIdentity
from core.messages import service as messages
from core.messages.delivery import release_stale_claims
from core.messages.models import OutboxRecord
from core.ports import DeliveryError


def _queue(app, address: str, *texts: str, channel: str = "console") -> list[int]:
    with app.uow_factory() as uow:
        identity = citizens.identify(uow=uow, channel=channel, address=address)
        records = [messages.enqueue(uow=uow, to=messages.Recipient.of(identity), text=text)
                   for text in texts]
        uow.commit()
    return [record.id for record in records]


def _row(app, outbox_id: int) -> OutboxRecord:
    with app.uow_factory() as uow:
        return uow.session.get_one(OutboxRecord, outbox_id)


def _identity(app, address: str) -> ChannelIdentity:
    with app.uow_factory() as uow:
        query = select(ChannelIdentity).where(ChannelIdentity.address == address)
        return uow.session.exec(query).one()


def test_due_messages_are_sent_and_marked_sent(app, messenger, clock) -> None:
    first, second = _queue(app, "ama", "Bonjour", "Choisissez")
    [third] = _queue(app, "kofi", "Hello")
    clock.advance(seconds=3)

    report = app.pipeline.deliver()

    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert messenger.texts("ama") == ["Bonjour", "Choisissez"]
    assert messenger.texts("kofi") == ["Hello"]
    sent = _row(app, first)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, clock.now())
    # Each its own receipt; different citizens' messages may go side by side, each one's
    # in order.
    assert {_row(app, i).external_id for i in (first, second, third)} == {
        "rec-1", "rec-2", "rec-3"}
    assert [m.outbox_id for m in messenger.sent if m.address == "ama"] == [first, second]
    assert app.pipeline.deliver().sent == 0  # nothing is sent twice


def test_a_retryable_failure_waits_with_backoff_and_holds_back_later_messages(
        app, messenger, clock) -> None:
    first, second = _queue(app, "ama", "Premier", "Deuxième")
    [other] = _queue(app, "kofi", "Pour Kofi")
    messenger.failures_for["ama"] = [DeliveryError("timeout")]

    report = app.pipeline.deliver()

    assert (report.sent, report.retried, report.failed) == (1, 1, 0)
    failed = _row(app, first)
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "timeout")
    assert failed.next_attempt_at == clock.now() + timedelta(seconds=5)
    assert (_row(app, second).status, _row(app, second).attempts) == ("pending", 0)
    assert _row(app, other).status == "sent"

    clock.advance(seconds=4)
    assert app.pipeline.deliver().sent == 0  # the second must not overtake the first
    assert messenger.texts("ama") == []

    clock.advance(seconds=1)
    assert app.pipeline.deliver().sent == 2
    assert messenger.texts("ama") == ["Premier", "Deuxième"]
    assert _row(app, first).attempts == 2


def test_the_wait_doubles_with_each_failure(app, messenger, clock) -> None:
    [outbox_id] = _queue(app, "ama", "Bonjour")
    waits = []
    for _ in range(3):
        messenger.failures.append(DeliveryError("busy"))
        app.pipeline.deliver()
        row = _row(app, outbox_id)
        waits.append(row.next_attempt_at - clock.now())
        clock.current = row.next_attempt_at
    assert waits == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]


def test_the_providers_retry_after_is_honoured(app, messenger, clock) -> None:
    [outbox_id] = _queue(app, "ama", "Bonjour")
    messenger.failures.append(DeliveryError("429 Too Many Requests", retry_after=120))

    app.pipeline.deliver()

    assert _row(app, outbox_id).next_attempt_at == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=119)
    assert app.pipeline.deliver().sent == 0
    clock.advance(seconds=1)
    assert app.pipeline.deliver().sent == 1


def test_a_message_is_given_up_after_the_last_attempt(app, messenger, clock) -> None:
    [outbox_id, later] = _queue(app, "ama", "Bonjour", "Ensuite")
    attempts = app.settings.outbox_max_attempts
    messenger.failures.extend(DeliveryError(f"down {n}") for n in range(attempts))

    reports = []
    for _ in range(attempts):
        reports.append(app.pipeline.deliver())
        clock.advance(hours=1)

    assert [r.retried for r in reports] == [1] * (attempts - 1) + [0]
    assert reports[-1].failed == 1 and reports[-1].sent == 0
    given_up = _row(app, outbox_id)
    assert (given_up.status, given_up.attempts) == ("failed", attempts)
    assert given_up.last_error == f"down {attempts - 1}"
    assert app.pipeline.deliver().sent == 1  # the later message is no longer held back
    assert _row(app, later).status == "sent"


def test_a_permanent_failure_is_given_up_at_once(app, messenger) -> None:
    [outbox_id] = _queue(app, "ama", "Bonjour")
    messenger.failures.append(DeliveryError("message too long", retryable=False))

    report = app.pipeline.deliver()

    assert (report.retried, report.failed) == (0, 1)
    assert (_row(app, outbox_id).status, _row(app, outbox_id).attempts) == ("failed", 1)
    assert not _identity(app, "ama").unreachable


def test_an_unreachable_citizen_is_marked_and_the_message_failed(app, messenger) -> None:
    [outbox_id] = _queue(app, "ama", "Bonjour")
    [kofi] = _queue(app, "kofi", "Hello")
    messenger.failures_for["ama"] = [DeliveryError("bot was blocked by the user",
                                                   unreachable=True)]

    report = app.pipeline.deliver()

    assert (report.sent, report.failed) == (1, 1)
    assert _row(app, outbox_id).status == "failed"
    assert _identity(app, "ama").unreachable
    assert not _identity(app, "kofi").unreachable
    assert _row(app, kofi).status == "sent"


class _Crashing:
    channel = "console"

    def send(self, message):
        raise RuntimeError("bug in the adapter")


def test_a_crashing_messenger_counts_as_a_retryable_failure(app) -> None:
    [outbox_id] = _queue(app, "ama", "Bonjour")
    app.pipeline.messengers["console"] = _Crashing()

    report = app.pipeline.deliver()

    row = _row(app, outbox_id)
    assert report.retried == 1
    assert (row.status, row.attempts) == ("pending", 1)
    assert "bug in the adapter" in row.last_error


def test_messages_on_a_channel_without_messenger_are_left_alone(app, messenger) -> None:
    [telegram] = _queue(app, "555", "Bonjour", channel="telegram")
    [console] = _queue(app, "ama", "Bonjour")

    report = app.pipeline.deliver()

    assert report.sent == 1 and [m.address for m in messenger.sent] == ["ama"]
    assert (_row(app, telegram).status, _row(app, telegram).attempts) == ("pending", 0)
    assert _row(app, console).status == "sent"


def test_deliver_to_one_address_only(app, messenger) -> None:
    _queue(app, "ama", "Bonjour Ama")
    [kofi] = _queue(app, "kofi", "Bonjour Kofi")

    app.pipeline.deliver(address="ama")

    assert messenger.texts() == ["Bonjour Ama"]
    assert _row(app, kofi).status == "pending"


def test_stale_claims_are_released_and_then_delivered(app, messenger) -> None:
    stuck, _ = _queue(app, "ama", "Interrompu", "Suivant")
    with app.uow_factory() as uow:  # a sender died between claiming and recording
        uow.session.get_one(OutboxRecord, stuck).status = "sending"
        uow.commit()

    with app.uow_factory() as uow:
        released = release_stale_claims(uow=uow)
        uow.commit()

    assert released == 1
    assert _row(app, stuck).status == "pending"
    app.pipeline.deliver()
    assert messenger.texts("ama") == ["Interrompu", "Suivant"]


class _SecondSender:
    """A messenger during whose first send another sender runs a round, as a second worker
    process would."""

    channel = "console"

    def __init__(self, app, messenger) -> None:
        self.app, self.messenger = app, messenger
        self.second_round = None

    def send(self, message):
        if self.second_round is None:
            self.second_round = self.app.pipeline.deliver()
        return self.messenger.send(message)


def test_a_message_being_sent_holds_back_later_ones_for_other_senders(app, messenger) -> None:
    _queue(app, "ama", "Premier", "Deuxième")
    sender = _SecondSender(app, messenger)
    app.pipeline.messengers["console"] = sender

    app.pipeline.deliver()

    assert sender.second_round is not None and sender.second_round.sent == 0
    assert messenger.texts("ama") == ["Premier", "Deuxième"]

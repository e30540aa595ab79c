"""Files a channel stores as references (a Telegram file id, a Twilio media URL) are fetched
after the acknowledgement: a network failure retries the message, a file too large or gone is
kept as a reference and the citizen is told, and a fetched photo joins the report."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from core.geo import Point
from core.messages.models import Attachment, InboundRecord, InboundStatus
from core.messages.neutral import InboundMessage, IncomingFile
from core.ports import FetchedFile, FetchError
from palabre.bootstrap import bootstrap
from tests.talk import Talker

JPEG = b"\xff\xd8\xff\xe0" + bytes(64)


class ScriptedFetcher:
    """The channel's side of fetching: answers from a dict, fails as told."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.failures: list[FetchError] = []
        self.asked: list[tuple[str, str, int]] = []

    def fetch(self, *, account: str, remote: str, max_bytes: int) -> FetchedFile:
        self.asked.append((account, remote, max_bytes))
        if self.failures:
            raise self.failures.pop(0)
        if len(self.files[remote]) > max_bytes:
            raise FetchError("too big", retryable=False, reason="too_large")
        return FetchedFile(self.files[remote], "image/jpeg")


@pytest.fixture
def fetcher() -> ScriptedFetcher:
    return ScriptedFetcher()


@pytest.fixture
def fetching_app(app, settings, clock, messenger, fetcher):
    """The test app (on a clean database) with a fetcher for the console's files."""
    app = bootstrap(settings, clock=clock, messengers={"console": messenger},
                    fetchers={"console": fetcher})
    yield app
    app.engine.dispose()


def _at_photo_step(talker: Talker) -> None:
    talker.onboard()
    talker.send("1")  # report
    talker.send("2")  # a category
    talker.send(location=Point(6.3703, 2.3912))


def _photo(remote: str) -> tuple[IncomingFile, ...]:
    return (IncomingFile("photo", "image/jpeg", remote=remote, declared_size=68),)


def test_a_fetched_photo_joins_the_report(fetching_app, messenger, fetcher) -> None:
    talker = Talker(fetching_app, messenger)
    _at_photo_step(talker)
    fetcher.files["file-1"] = JPEG

    reply = talker.send(files=_photo("file-1"))

    assert "Photo reçue" in reply
    with fetching_app.uow_factory() as uow:
        photo = uow.session.exec(select(Attachment)).one()
    assert photo.path and photo.size == len(JPEG) and photo.remote == "file-1"
    assert fetching_app.uow_factory.media.absolute(photo.path).read_bytes() == JPEG
    assert fetcher.asked == [("console", "file-1", 20_000_000)]


def test_a_network_failure_keeps_the_message_and_retries(fetching_app, messenger, fetcher,
                                                         clock) -> None:
    talker = Talker(fetching_app, messenger)
    _at_photo_step(talker)
    fetcher.files["file-1"] = JPEG
    fetcher.failures.append(FetchError("connection reset", retryable=True))

    assert talker.send(files=_photo("file-1")) == ""
    with fetching_app.uow_factory() as uow:
        record = uow.session.exec(select(InboundRecord).order_by(
            InboundRecord.id.desc())).first()  # type: ignore[union-attr]
        assert record.status == InboundStatus.RECEIVED and record.attempts == 1

    clock.advance(minutes=1)
    fetching_app.pipeline.run_once()
    with fetching_app.uow_factory() as uow:
        assert uow.session.exec(select(Attachment)).one().path
    assert "Photo reçue" in talker.replies()


def test_a_file_too_large_is_kept_and_the_citizen_told(fetching_app, messenger, fetcher,
                                                       ) -> None:
    talker = Talker(fetching_app, messenger)
    _at_photo_step(talker)
    fetcher.files["huge"] = bytes(20_000_001)

    reply = talker.send(files=_photo("huge"))

    assert "trop lourd" in reply and "20 Mo" in reply
    assert reply.endswith("Avez-vous une photo ? Envoyez-la maintenant.\n\n1. Pas de photo")
    with fetching_app.uow_factory() as uow:
        kept = uow.session.exec(select(Attachment)).one()
    assert kept.remote == "huge" and kept.path == "" and kept.fetch_error.startswith("too_large")


class SlowFetcher(ScriptedFetcher):
    """A download that lasts until the test lets it end (the first one only)."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.go_on = threading.Event(), threading.Event()

    def fetch(self, *, account: str, remote: str, max_bytes: int) -> FetchedFile:
        if not self.started.is_set():
            self.started.set()
            assert self.go_on.wait(10)
        return super().fetch(account=account, remote=remote, max_bytes=max_bytes)


def test_a_file_being_downloaded_by_one_worker_is_not_downloaded_by_another(
        app, settings, clock, messenger) -> None:
    """Two workers: while the first downloads a photo, outside any transaction, the second
    found the message free again and downloaded it too (each file fetched twice)."""
    fetcher = SlowFetcher()
    fetching = bootstrap(settings, clock=clock, messengers={"console": messenger},
                         fetchers={"console": fetcher})
    try:
        talker = Talker(fetching, messenger)
        _at_photo_step(talker)
        fetcher.files["file-1"] = JPEG
        fetching.pipeline.receive(InboundMessage(
            channel="console", address="ama", account="", external_id="photo-1",
            files=_photo("file-1")))
        first = threading.Thread(target=fetching.pipeline.dialogs.process_pending)
        first.start()
        assert fetcher.started.wait(10)
        assert fetching.pipeline.dialogs.process_pending() == 0  # the second worker
        fetcher.go_on.set()
        first.join(10)
        assert [remote for _, remote, _ in fetcher.asked] == ["file-1"]  # fetched once
        assert "Photo reçue" in talker.replies()
        with fetching.uow_factory() as uow:
            record = uow.session.exec(select(InboundRecord).where(
                InboundRecord.external_id == "photo-1")).one()
        assert record.status == InboundStatus.PROCESSED and record.next_attempt_at is None
    finally:
        fetcher.go_on.set()
        fetching.engine.dispose()


def test_a_failure_counted_late_leaves_a_handled_message_as_it_is(fetching_app, messenger,
                                                                  fetcher) -> None:
    """A worker whose lease ran out while it downloaded, failing after another handled the
    message, counted an attempt on it: past the last, the citizen was told of an error."""
    from core.messages import service as messages

    talker = Talker(fetching_app, messenger)
    talker.send("Bonjour")
    with fetching_app.uow_factory() as uow:
        record = uow.session.exec(select(InboundRecord)).one()
        assert record.status == InboundStatus.PROCESSED and record.id is not None
        attempts = record.attempts
        for _ in range(messages.MAX_PROCESSING_ATTEMPTS):
            assert not messages.record_processing_failure(uow=uow, inbound_id=record.id,
                                                          error="late")
        uow.commit()
    with fetching_app.uow_factory() as uow:
        again = uow.session.exec(select(InboundRecord)).one()
    assert again.status == InboundStatus.PROCESSED and again.attempts == attempts
    assert again.last_error is None

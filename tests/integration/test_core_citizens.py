"""Citizens on a real database: recognising them, storing what they send, erasing their data."""

from __future__ import annotations

import hashlib
import threading

from sqlalchemy import func
from sqlmodel import select

from core.citizens import service as citizens
from core.citizens.models import ChannelIdentity, Citizen
from core.conversations.models import Conversation
from core.geo import Point
from core.messages import service as messages
from core.messages.models import Attachment, InboundRecord, OutboxRecord
from core.messages.neutral import InboundMessage, IncomingFile
from core.submissions import service as submissions
from core.submissions.models import Follower, Kind, Submission
from tests.talk import Talker

VOICE = IncomingFile(kind="voice", content_type="audio/ogg", data=b"OggS voice of ama")
PHOTO = IncomingFile(kind="photo", content_type="image/jpeg", data=b"\xff\xd8 drain photo",
                     name="caniveau.jpg")


def _count(uow, model) -> int:
    return uow.session.exec(select(func.count()).select_from(model)).one()


def _receive(app, external_id: str, *, address: str = "ama", channel: str = "console",
             **content) -> int | None:
    message = InboundMessage(channel=channel, address=address, external_id=external_id,
                             account="console", **content)
    with app.uow_factory() as uow:
        inbound_id = messages.store_inbound(uow=uow, message=message)
        uow.commit()
    return inbound_id


def _handled(app, inbound_id: int | None) -> None:
    """What the worker does first with a stored message: identify its sender."""
    with app.uow_factory() as uow:
        record = uow.session.get_one(InboundRecord, inbound_id)
        messages.identify_sender(uow=uow, record=record)
        uow.commit()


def _identity(app, address: str) -> ChannelIdentity:
    with app.uow_factory() as uow:
        identity = citizens.identify(uow=uow, channel="console", address=address)
        uow.commit()
    return identity


def _report(app, identity: ChannelIdentity, attachment_ids: tuple[int, ...] = ()) -> Submission:
    new = submissions.NewSubmission(
        kind=Kind.REPORT, commune_id="BJ-LI-COT", channel="console",
        citizen_id=identity.citizen_id, identity_id=identity.id, description="Caniveau bouché",
        attachment_ids=attachment_ids)
    with app.uow_factory() as uow:
        submission = submissions.submit(uow=uow, new=new)
        uow.commit()
    return submission


def test_first_contact_creates_a_citizen_and_later_contacts_find_the_same(app, clock) -> None:
    first = _identity(app, "ama")
    clock.advance(hours=2)
    with app.uow_factory() as uow:
        again = citizens.identify(uow=uow, channel="console", address="ama", account="bot",
                                  display_name="Ama")
        uow.commit()
        assert _count(uow, Citizen) == 1 and _count(uow, ChannelIdentity) == 1

    assert (again.id, again.citizen_id) == (first.id, first.citizen_id)
    assert again.created_at == first.created_at
    assert again.last_inbound_at == clock.now()
    assert (again.account, again.display_name) == ("bot", "Ama")


def test_a_citizens_last_message_is_written_at_its_precision_not_at_every_message(
        app, clock, messenger) -> None:
    """An identity's last message (WhatsApp's window) is kept to the minute, a citizen's
    (retention) to the hour: not an UPDATE at every message of a conversation."""
    def last_heard() -> tuple[object, object]:
        with app.uow_factory() as uow:
            identity = uow.session.exec(select(ChannelIdentity)).one()
            citizen = uow.session.get_one(Citizen, identity.citizen_id)
            return identity.last_inbound_at, citizen.last_seen_at

    ama = Talker(app, messenger)
    ama.send("Bonjour")
    first = clock.now()
    assert last_heard() == (first, first)
    clock.advance(seconds=50)
    ama.send("1")
    assert last_heard() == (first, first)  # within the minute: nothing written
    clock.advance(seconds=20)
    ama.send("Cotonou")
    assert last_heard() == (clock.now(), first)  # the minute is past; not the hour
    clock.advance(hours=1)
    ama.send("1")
    assert last_heard() == (clock.now(), clock.now())
    clock.current = first  # a clock put back: written again, never left in the future
    ama.send("menu")
    assert last_heard() == (first, first)


def test_another_address_or_channel_is_another_citizen(app) -> None:
    ama = _identity(app, "ama")
    kofi = _identity(app, "kofi")
    with app.uow_factory() as uow:
        ama_on_telegram = citizens.identify(uow=uow, channel="telegram", address="ama")
        uow.commit()
    assert len({ama.citizen_id, kofi.citizen_id, ama_on_telegram.citizen_id}) == 3


def test_hearing_from_an_unreachable_citizen_makes_them_reachable_again(app) -> None:
    ama = _identity(app, "ama")
    with app.uow_factory() as uow:
        stored = uow.session.get_one(ChannelIdentity, ama.id)
        stored.unreachable = True
        uow.session.add(stored)
        uow.commit()
    assert not _identity(app, "ama").unreachable


def test_store_text_message_then_identify_its_sender(app, clock) -> None:
    inbound_id = _receive(app, "m-1", text="Bonjour", display_name="Ama")
    with app.uow_factory() as uow:
        record = uow.session.get_one(InboundRecord, inbound_id)
        assert (record.kind, record.text, record.status) == ("text", "Bonjour", "received")
        assert (record.address, record.display_name, record.identity_id) == ("ama", "Ama", None)
        assert record.received_at == clock.now()
        clock.advance(minutes=3)  # handled a little later
        identity = messages.identify_sender(uow=uow, record=record)
        uow.commit()
    with app.uow_factory() as uow:
        record = uow.session.get_one(InboundRecord, inbound_id)
        identity = uow.session.get_one(ChannelIdentity, record.identity_id)
    assert record.citizen_id == identity.citizen_id and identity.address == "ama"
    assert identity.display_name == "Ama"
    assert identity.last_inbound_at == record.received_at  # when they wrote, not when handled


def test_store_location_message(app) -> None:
    inbound_id = _receive(app, "m-1", location=Point(6.3703, 2.3912),
                          place_text="Carrefour Vedoko")
    with app.uow_factory() as uow:
        record = uow.session.get_one(InboundRecord, inbound_id)
    assert record.kind == "location"
    assert (record.latitude, record.longitude) == (6.3703, 2.3912)
    assert record.place_text == "Carrefour Vedoko"


def test_store_files_in_the_media_store(app, settings) -> None:
    inbound_id = _receive(app, "m-1", text="Regardez", files=(PHOTO, VOICE))
    assert inbound_id is not None
    with app.uow_factory() as uow:
        record = uow.session.get_one(InboundRecord, inbound_id)
        photo, voice = messages.inbound_attachments(uow=uow, inbound_id=inbound_id)

    assert record.kind == "photo"
    for stored, sent in ((photo, PHOTO), (voice, VOICE)):
        assert (stored.kind, stored.content_type) == (sent.kind, sent.content_type)
        assert stored.sha256 == hashlib.sha256(sent.data).hexdigest()
        assert stored.size == len(sent.data)
        assert (settings.media_dir / stored.path).read_bytes() == sent.data
    assert photo.original_name == "caniveau.jpg"
    assert voice.path.endswith(".ogg") and photo.path.endswith(".jpg")


def test_the_same_provider_message_twice_is_stored_once(app) -> None:
    first = _receive(app, "m-1", text="Bonjour", files=(PHOTO,))
    again = _receive(app, "m-1", text="Bonjour", files=(PHOTO,))
    on_telegram = _receive(app, "m-1", channel="telegram", text="Bonjour")

    assert first is not None and again is None
    assert on_telegram not in (None, first)
    with app.uow_factory() as uow:
        assert _count(uow, InboundRecord) == 2
        assert _count(uow, Attachment) == 1


def test_erasing_a_citizen_removes_their_personal_data(app, settings) -> None:
    voice_id = _receive(app, "m-1", files=(VOICE,))
    photo_id = _receive(app, "m-2", files=(PHOTO,))
    _receive(app, "m-3", text="Une note vocale oubliée",
             files=(IncomingFile(kind="voice", content_type="audio/ogg", data=b"OggS loose"),))
    with app.uow_factory() as uow:
        [voice] = messages.inbound_attachments(uow=uow, inbound_id=voice_id)
        [photo] = messages.inbound_attachments(uow=uow, inbound_id=photo_id)
        ama = citizens.identify(uow=uow, channel="console", address="ama")
        uow.session.add(Conversation(citizen_id=ama.citizen_id, flow="report", state="photo",
                                     updated_at=uow.clock.now()))
        uow.commit()
    report = _report(app, ama, attachment_ids=(voice.id, photo.id))
    other = _report(app, _identity(app, "kofi"))
    with app.uow_factory() as uow:
        submissions.follow(uow=uow, citizen_id=ama.citizen_id, reference=other.reference)
        messages.enqueue(uow=uow, to=messages.Recipient.of(ama), text="Vos données sont effacées",
                         in_reply_to=photo_id)
        uow.commit()

    with app.uow_factory() as uow:
        citizens.erase_citizen(uow=uow, citizen_id=ama.citizen_id)
        uow.commit()

    with app.uow_factory() as uow:
        assert uow.session.get(Citizen, ama.citizen_id) is None
        assert _count(uow, ChannelIdentity) == 1  # Kofi's
        assert uow.session.exec(select(InboundRecord)).all() == []
        assert uow.session.get(Conversation, ama.citizen_id) is None
        assert uow.session.exec(select(Follower)).all() == []
        kept = uow.session.get_one(Submission, report.id)
        assert (kept.citizen_id, kept.identity_id, kept.anonymous) == (None, None, True)
        assert kept.description == "Caniveau bouché"
        assert [a.id for a in submissions.attachments_of(uow=uow, submission_id=report.id)] == [
            photo.id]
        assert _count(uow, Attachment) == 1  # the loose voice note went too
        [outbox] = uow.session.exec(select(OutboxRecord)).all()
        assert (outbox.citizen_id, outbox.identity_id, outbox.in_reply_to) == (None, None, None)
        assert (outbox.address, outbox.text) == ("ama", "Vos données sont effacées")
    assert not (settings.media_dir / voice.path).exists()
    assert (settings.media_dir / photo.path).exists()
    assert [p.name for p in settings.media_dir.rglob("*.ogg")] == []


def test_erasing_one_citizen_leaves_the_others_alone(app) -> None:
    kofi_message = _receive(app, "k-1", address="kofi", text="Bonjour")
    _handled(app, kofi_message)
    _receive(app, "a-1", address="ama", text="Bonjour")  # not handled yet when Ama erases
    with app.uow_factory() as uow:
        kofi = uow.session.get_one(InboundRecord, kofi_message)
    kofi_report = _report(app, _identity(app, "kofi"))
    ama = _identity(app, "ama")

    with app.uow_factory() as uow:
        citizens.erase_citizen(uow=uow, citizen_id=ama.citizen_id)
        uow.commit()

    with app.uow_factory() as uow:
        assert uow.session.get(Citizen, kofi.citizen_id) is not None
        assert [r.id for r in uow.session.exec(select(InboundRecord)).all()] == [kofi_message]
        kept = uow.session.get_one(Submission, kofi_report.id)
        assert (kept.citizen_id, kept.anonymous) == (kofi.citizen_id, False)


def test_a_voice_note_forwarded_by_someone_else_survives_erasure(app, settings) -> None:
    forwarded = IncomingFile(kind="voice", content_type="audio/ogg", data=b"OggS forwarded")
    _receive(app, "a-1", address="ama", files=(forwarded,))
    kept_id = _receive(app, "k-1", address="kofi", files=(forwarded,))
    with app.uow_factory() as uow:
        [kofi_copy] = messages.inbound_attachments(uow=uow, inbound_id=kept_id)
    ama = _identity(app, "ama")

    with app.uow_factory() as uow:
        citizens.erase_citizen(uow=uow, citizen_id=ama.citizen_id)
        uow.commit()

    with app.uow_factory() as uow:
        assert uow.session.get(Attachment, kofi_copy.id) is not None
    assert (settings.media_dir / kofi_copy.path).read_bytes() == forwarded.data


def test_first_messages_arriving_together_make_one_citizen(app) -> None:
    stored = [_receive(app, f"album-{n}", address="nouveau", text="Bonjour") for n in range(4)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def handle(inbound_id: int | None) -> None:  # four workers, one message each
        try:
            start.wait(timeout=10)
            _handled(app, inbound_id)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=handle, args=(i,)) for i in stored]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    with app.uow_factory() as uow:
        assert _count(uow, Citizen) == 1
        assert _count(uow, InboundRecord) == 4
        assert len({r.citizen_id for r in uow.session.exec(select(InboundRecord))}) == 1

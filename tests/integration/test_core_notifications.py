"""A status change tells the author and the followers, each once, in their own language, on a
real database."""

from __future__ import annotations

from sqlmodel import select

from core.citizens import service as citizens
from core.citizens.models import ChannelIdentity
from core.messages.models import OutboxRecord
from core.submissions import service as submissions
from core.submissions.models import Follower, Kind, Status

PUBLIC_NOTE = "Une équipe passe jeudi"
INTERNAL_NOTE = "Budget voirie épuisé, ne pas le dire"


def _citizen(app, address: str, *, language: str | None = None, channel: str = "console",
             blocked: bool = False) -> ChannelIdentity:
    with app.uow_factory() as uow:
        identity = citizens.identify(uow=uow, channel=channel, address=address)
        citizen = citizens.update_profile(uow=uow, citizen_id=identity.citizen_id,
                                          changes={"language": language})
        citizen.blocked = blocked
        uow.commit()
    return identity


def _report(app, author: ChannelIdentity, *followers: ChannelIdentity) -> str:
    """A report its author agreed to publish, so that followers read the mairie's notes too."""
    new = submissions.NewSubmission(kind=Kind.REPORT, commune_id="BJ-LI-COT", channel="console",
                                    citizen_id=author.citizen_id, identity_id=author.id,
                                    description="Caniveau bouché", public=True)
    with app.uow_factory() as uow:
        reference = submissions.submit(uow=uow, new=new).reference
        for follower in followers:
            submissions.follow(uow=uow, citizen_id=follower.citizen_id, reference=reference)
        uow.commit()
    return reference


def _change(app, reference: str, status: Status = Status.IN_PROGRESS,
            public_note: str | None = PUBLIC_NOTE) -> None:
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference=reference, status=status, actor="moderator",
                                  public_note=public_note, internal_note=INTERNAL_NOTE)
        uow.commit()


def _outbox(app) -> dict[str, OutboxRecord]:
    """The queued messages by address; fails if an address got more than one."""
    with app.uow_factory() as uow:
        rows = uow.session.exec(select(OutboxRecord).order_by(OutboxRecord.id)).all()
    by_address = {row.address: row for row in rows}
    assert len(by_address) == len(rows), [row.address for row in rows]
    return by_address


def test_author_and_followers_are_told_in_their_own_language(app) -> None:
    ama = _citizen(app, "ama", language="fr")
    kofi = _citizen(app, "kofi", language="en")
    reference = _report(app, ama, kofi)

    _change(app, reference)

    queued = _outbox(app)
    assert set(queued) == {"ama", "kofi"}
    french, english = queued["ama"].text, queued["kofi"].text
    assert reference in french and "en cours de traitement" in french and PUBLIC_NOTE in french
    assert reference in english and "in progress" in english and PUBLIC_NOTE in english
    assert "Votre demande" in french and "Your request" in english
    assert {row.purpose for row in queued.values()} == {"status_update"}
    assert queued["ama"].citizen_id == ama.citizen_id and queued["ama"].identity_id == ama.id
    assert queued["kofi"].status == "pending"


def test_the_internal_note_is_never_sent(app) -> None:
    reference = _report(app, _citizen(app, "ama"), _citizen(app, "kofi", language="en"))
    _change(app, reference)
    _change(app, reference, Status.RESOLVED, public_note=None)

    with app.uow_factory() as uow:
        texts = [row.text for row in uow.session.exec(select(OutboxRecord)).all()]
    assert len(texts) == 4
    assert [t for t in texts if "Budget" in t or INTERNAL_NOTE in t] == []


def test_without_a_public_note_the_message_has_no_note(app) -> None:
    reference = _report(app, _citizen(app, "ama"))
    _change(app, reference, Status.RESOLVED, public_note=None)

    text = _outbox(app)["ama"].text
    assert "résolu" in text and reference in text
    assert "Message de la mairie" not in text and "None" not in text


def test_a_citizen_is_told_once_even_as_author_and_follower(app) -> None:
    ama = _citizen(app, "ama")
    kofi = _citizen(app, "kofi")
    reference = _report(app, ama, kofi)
    with app.uow_factory() as uow:  # a follow row for the author, as an older version wrote
        submission = submissions.get_by_reference(uow=uow, reference=reference)
        uow.session.add(Follower(submission_id=submission.id, citizen_id=ama.citizen_id,
                                 created_at=uow.clock.now()))
        uow.commit()

    _change(app, reference)

    assert sorted(_outbox(app)) == ["ama", "kofi"]


def test_a_blocked_citizen_is_told_nothing(app) -> None:
    ama = _citizen(app, "ama")
    troll = _citizen(app, "troll", blocked=True)
    reference = _report(app, ama, troll)

    _change(app, reference)

    assert sorted(_outbox(app)) == ["ama"]


def test_a_blocked_author_is_told_nothing(app) -> None:
    reference = _report(app, _citizen(app, "troll", blocked=True), _citizen(app, "kofi"))
    _change(app, reference)
    assert sorted(_outbox(app)) == ["kofi"]


def test_followers_are_still_told_once_the_author_is_erased(app) -> None:
    ama = _citizen(app, "ama")
    reference = _report(app, ama, _citizen(app, "kofi", language="en"))
    with app.uow_factory() as uow:
        citizens.erase_citizen(uow=uow, citizen_id=ama.citizen_id)
        uow.commit()

    _change(app, reference)

    assert sorted(_outbox(app)) == ["kofi"]


def test_an_unreachable_identity_is_replaced_by_a_reachable_one(app, clock) -> None:
    on_console = _citizen(app, "ama")
    reference = _report(app, on_console)
    clock.advance(minutes=5)
    with app.uow_factory() as uow:
        uow.session.get_one(ChannelIdentity, on_console.id).unreachable = True
        uow.session.add(ChannelIdentity(citizen_id=on_console.citizen_id, channel="telegram",
                                        address="555", created_at=clock.now(),
                                        last_inbound_at=clock.now()))
        uow.commit()

    _change(app, reference)

    [row] = _outbox(app).values()
    assert (row.channel, row.address) == ("telegram", "555")


def test_no_message_is_queued_when_the_change_is_not_committed(app) -> None:
    reference = _report(app, _citizen(app, "ama"))
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference=reference, status=Status.IN_PROGRESS,
                                  actor="moderator", public_note=PUBLIC_NOTE)
    assert _outbox(app) == {}

"""Announcements on both databases: the audience (opt-outs, blocked, other communes, an
arrondissement, a topic), their time, quiet hours, cancelling, progress, and the scheduler's
job that queues them, its jobs kept in the database across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core import errors
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Audience, Broadcast
from core.citizens.models import Citizen
from core.geo import Point
from core.messages.models import OutboxRecord
from palabre import scheduler
from tests.talk import Talker

COTONOU = "BJ-LI-COT"


def onboarded(app, messenger, name: str, *, commune: str = "Cotonou",
              language: str = "1") -> Talker:
    talker = Talker(app, messenger, address=name)
    talker.onboard(commune=commune, language=language)
    return talker


def citizen_id(app, talker: Talker) -> int:
    from core.citizens.models import ChannelIdentity

    with app.uow_factory() as uow:
        return uow.session.exec(select(ChannelIdentity.citizen_id).where(
            ChannelIdentity.address == talker.address)).one()


def announce(app, text: str = "Coupure d'eau demain de 8 h à 12 h à Akpakpa.",
             **more) -> Broadcast:
    with app.uow_factory() as uow:
        row = broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
            commune_id=more.pop("commune_id", COTONOU), text=text, created_by="awa", **more))
        uow.commit()
    return row


def run_scheduler_job(app) -> int:
    return scheduler.queue_due_broadcasts(app)


def announcements(messenger, address: str) -> list[str]:
    return [m.text for m in messenger.sent if m.address == address and m.purpose ==
            "announcement"]


def test_an_announcement_reaches_the_communes_citizens_but_not_those_who_opted_out(
        app, messenger) -> None:
    onboarded(app, messenger, "ama")
    onboarded(app, messenger, "kofi", language="2")  # English
    afi = onboarded(app, messenger, "afi")
    afi.send("STOP")
    bio = onboarded(app, messenger, "bio", commune="Bohicon")
    blocked = onboarded(app, messenger, "zed")
    with app.uow_factory() as uow:
        zed = uow.session.get_one(Citizen, citizen_id(app, blocked))
        zed.blocked = True
        uow.session.add(zed)
        uow.commit()

    row = announce(app)
    assert row.recipients == 2
    assert run_scheduler_job(app) == 1
    app.pipeline.deliver()

    (to_ama,) = announcements(messenger, "ama")
    assert to_ama.startswith("📢 Mairie de Cotonou : Coupure d'eau demain")
    assert "Répondez STOP" in to_ama
    (to_kofi,) = announcements(messenger, "kofi")
    assert to_kofi.startswith("📢 Cotonou town hall: Coupure d'eau") and "Reply STOP" in to_kofi
    for other in (afi, bio, blocked):
        assert announcements(messenger, other.address) == []
    with app.uow_factory() as uow:
        done = broadcasts.progress(uow=uow, broadcast_id=row.id)
        stored = uow.session.get_one(Broadcast, row.id)
    assert (done.recipients, done.sent, done.waiting, done.failed) == (2, 2, 0, 0)
    assert stored.status == "queued" and stored.queued_at is not None


def test_a_scheduled_announcement_waits_for_its_time(app, messenger, clock) -> None:
    onboarded(app, messenger, "ama")
    row = announce(app, send_at=clock.now() + timedelta(hours=2))

    assert run_scheduler_job(app) == 0
    clock.advance(hours=2)
    assert run_scheduler_job(app) == 1
    assert run_scheduler_job(app) == 0  # queued once
    app.pipeline.deliver()
    assert len(announcements(messenger, "ama")) == 1
    with app.uow_factory() as uow:
        assert len(uow.session.exec(select(OutboxRecord).where(
            OutboxRecord.broadcast_id == row.id)).all()) == 1


def test_an_announcement_that_cannot_be_queued_is_marked_failed_and_the_others_go(
        app, messenger, clock, caplog) -> None:
    onboarded(app, messenger, "ama")
    early = clock.now() - timedelta(seconds=30)  # the bad one is due first
    bad = announce(app, "Rappel", key="council.reminder_day", send_at=clock.now(),
                   params={"title": "Séance", "starts_at": "demain matin"})  # not a time
    good = announce(app)
    with app.uow_factory() as uow:  # the bad one first in the queue
        row = uow.session.get_one(Broadcast, bad.id)
        row.send_at = early
        uow.session.add(row)
        uow.commit()

    assert run_scheduler_job(app) == 1
    assert f"queueing broadcast {bad.id} failed" in caplog.text
    assert run_scheduler_job(app) == 0  # not tried forever
    with app.uow_factory() as uow:
        statuses = {b.id: b.status for b in uow.session.exec(select(Broadcast)).all()}
        queued = uow.session.exec(select(OutboxRecord.broadcast_id).where(
            OutboxRecord.broadcast_id.is_not(None))).all()
    assert statuses == {bad.id: "failed", good.id: "queued"}
    assert set(queued) == {good.id}
    app.pipeline.deliver()
    assert announcements(messenger, "ama") and "Coupure d'eau" in announcements(
        messenger, "ama")[0]


def test_quiet_hours_hold_announcements_until_seven_but_not_urgent_ones_nor_replies(
        app, messenger, clock) -> None:
    ama = onboarded(app, messenger, "ama")
    ama.replies()
    clock.current = datetime(2026, 3, 14, 21, 30, tzinfo=UTC)  # 22:30 in Benin
    announce(app, "Réunion publique samedi")
    announce(app, "Inondation : évitez la route des pêches", urgent=True)
    run_scheduler_job(app)
    app.pipeline.deliver()
    sent = announcements(messenger, "ama")
    assert len(sent) == 1 and "Inondation" in sent[0]
    answer = ama.send("aide")  # a reply is not held behind the announcement that waits
    assert answer and ama.last_message().purpose == "reply"

    clock.current = datetime(2026, 3, 15, 5, 59, tzinfo=UTC)  # 06:59
    app.pipeline.deliver()
    assert len(announcements(messenger, "ama")) == 1
    clock.current = datetime(2026, 3, 15, 6, 0, 1, tzinfo=UTC)  # 07:00
    app.pipeline.deliver()
    assert "Réunion publique samedi" in announcements(messenger, "ama")[-1]


@pytest.mark.parametrize(("local", "quiet"), [
    ((20, 59), False), ((21, 0), True), ((23, 30), True), ((3, 0), True), ((6, 59), True),
    ((7, 0), False), ((12, 0), False)])
def test_quiet_hours_are_21_to_7_in_benin(local: tuple[int, int], quiet: bool) -> None:
    now = datetime(2026, 6, 1, *local, tzinfo=broadcasts.LOCAL_TZ).astimezone(UTC)
    until = broadcasts.quiet_until(now)
    assert (until is not None) == quiet
    if until is not None:
        ends = until.astimezone(broadcasts.LOCAL_TZ)
        assert (ends.hour, ends.minute) == (7, 0) and timedelta(0) < until - now <= timedelta(
            hours=10)


def test_cancelling_stops_a_scheduled_or_waiting_announcement(app, messenger, clock) -> None:
    onboarded(app, messenger, "ama")
    later = announce(app, send_at=clock.now() + timedelta(hours=1))
    with app.uow_factory() as uow:
        broadcasts.cancel(uow=uow, broadcast_id=later.id)
        uow.commit()
    clock.advance(hours=2)
    assert run_scheduler_job(app) == 0

    clock.current = datetime(2026, 3, 14, 22, 0, tzinfo=UTC)  # quiet: it waits
    waiting = announce(app, "Demain, collecte des ordures")
    run_scheduler_job(app)
    app.pipeline.deliver()
    with app.uow_factory() as uow:
        broadcasts.cancel(uow=uow, broadcast_id=waiting.id)
        uow.commit()
    clock.current = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    app.pipeline.deliver()
    assert announcements(messenger, "ama") == []
    with app.uow_factory() as uow:
        done = broadcasts.progress(uow=uow, broadcast_id=waiting.id)
    assert (done.waiting, done.sent, done.failed) == (0, 0, 1)


def test_an_arrondissement_reaches_who_reported_from_it_and_a_topic_its_followers(
        app, messenger) -> None:
    ama = citizen_id(app, onboarded(app, messenger, "ama"))
    kofi = citizen_id(app, onboarded(app, messenger, "kofi"))
    with app.uow_factory() as uow:
        from core.submissions import service as submissions
        from core.submissions.models import Kind

        first = "BJ-LI-COT-01"
        submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=Kind.REPORT, commune_id=COTONOU, channel="console",
            citizen_id=ama, identity_id=None, description="Route abîmée",
            category_id=None, arrondissement_id=first, location=Point(6.36, 2.39)))
        broadcasts.subscribe(uow=uow, citizen_id=kofi, topic="council")
        uow.commit()

    local = announce(app, "Travaux rue 12", audience=Audience.ARRONDISSEMENT,
                     arrondissement_id=first)
    council = announce(app, "Conseil communal lundi", audience=Audience.TOPIC, topic="council")
    assert (local.recipients, council.recipients) == (1, 1)
    run_scheduler_job(app)
    app.pipeline.deliver()
    assert ["Travaux rue 12" in t for t in announcements(messenger, "ama")] == [True]
    assert ["Conseil communal" in t for t in announcements(messenger, "kofi")] == [True]


@pytest.mark.parametrize(("change", "message"), [
    ({"text": "   "}, "1 to 3000 characters"),
    ({"send_at": datetime(2020, 1, 1, tzinfo=UTC)}, "in the past"),
    ({"send_at": datetime(2030, 1, 1)}, "time zone"),
    ({"audience": Audience.ARRONDISSEMENT, "arrondissement_id": "BJ-ZO-BOH-01"},
     "arrondissement of the commune"),
    ({"audience": Audience.TOPIC}, "needs its topic"),
    ({"commune_id": "BJ-AQ-TOF"}, "audience is empty"),
])
def test_what_cannot_be_announced_is_refused_and_nothing_is_kept(
        app, messenger, change, message) -> None:
    onboarded(app, messenger, "ama")
    change = dict(change)  # the parameters are shared by both databases' runs
    text = change.pop("text", "Un message")
    with pytest.raises(errors.Invalid, match=message):
        announce(app, text, **change)
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Broadcast)).all() == []


def test_the_schedulers_jobs_are_kept_in_the_database_across_a_restart(app) -> None:
    first = scheduler.start(app)
    try:
        assert first.leading and first.jobs is not None
        stored = {job.id: job.next_run_time for job in first.jobs.get_jobs()}
    finally:
        scheduler.stop(first)
    assert set(stored) == {job.id for job in scheduler.JOBS}
    with app.engine.connect() as connection:
        from sqlalchemy import text

        rows = connection.execute(text("SELECT id FROM apscheduler_jobs")).all()
    assert {r[0] for r in rows} == set(stored)

    again = scheduler.make_scheduler(app)  # a new process: the store already has them
    again.start(paused=True)
    try:
        assert {job.id for job in again.get_jobs()} == set(stored)
    finally:
        again.shutdown(wait=False)


def test_a_claim_left_by_a_sender_that_died_is_sent_again_at_once(app, messenger) -> None:
    import uuid

    from sqlalchemy import update

    onboarded(app, messenger, "ama")
    announce(app)
    run_scheduler_job(app)
    with app.uow_factory() as uow:  # a sender claimed it, then died (and its beats are gone)
        uow.session.exec(update(OutboxRecord).where(OutboxRecord.purpose == "announcement")
                         .values(status="sending", claimed_by=str(uuid.uuid4()),
                                 next_attempt_at=datetime(2099, 1, 1, tzinfo=UTC)))
        uow.commit()
    app.pipeline.deliver()
    assert len(announcements(messenger, "ama")) == 1  # not after the 5-minute lease


def _whatsapp_citizen(app, number: str, wrote: datetime) -> None:
    from core.citizens import service as citizens

    with app.uow_factory() as uow:
        identity = citizens.identify(uow=uow, channel="whatsapp", address=number, seen_at=wrote)
        citizen = uow.session.get(Citizen, identity.citizen_id)
        assert citizen is not None
        citizen.commune_id = COTONOU
        uow.session.add(citizen)
        uow.commit()


def test_the_reach_is_told_before_sending_and_nothing_is_kept(app, messenger, clock) -> None:
    onboarded(app, messenger, "ama")
    kofi = onboarded(app, messenger, "kofi")
    with app.uow_factory() as uow:
        uow.session.get_one(Citizen, citizen_id(app, kofi)).broadcast_opt_out = True
        uow.commit()
    now = clock.now()
    _whatsapp_citizen(app, "+2290197000001", now - timedelta(hours=2))
    _whatsapp_citizen(app, "+2290197000002", now - timedelta(hours=30))

    def reach(**more) -> broadcasts.Reach:
        with app.uow_factory() as uow:
            return broadcasts.reach(uow=uow, new=broadcasts.NewBroadcast(
                commune_id=COTONOU, text="Coupure d'eau demain.", created_by="awa", **more),
                free_text=scheduler.free_text_reaches)  # as the console is given it

    told = reach()
    assert told.recipients == 3 and told.by_channel == {"console": 1, "whatsapp": 2}
    assert told.template_only == 1  # the number silent for 30 hours
    assert told.opted_out == 1 and told.starts_at == now
    # Asked for 23:00 in Cotonou: held until 07:00, when the first number's window has
    # closed too; urgent, it goes at 23:00.
    late = datetime(2026, 3, 14, 22, 0, tzinfo=UTC)
    held = reach(send_at=late)
    assert held.starts_at == datetime(2026, 3, 15, 6, 0, tzinfo=UTC)
    assert held.template_only == 1  # 2 h + 20.5 h: still inside 24 hours
    assert reach(send_at=late, urgent=True).starts_at == late
    assert reach(audience=Audience.TOPIC, topic="council").recipients == 0
    with pytest.raises(errors.Invalid):
        reach(send_at=now - timedelta(hours=1))
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Broadcast)).all() == []


def test_following_after_stop_brings_that_topics_news_and_stop_ends_every_follow(
        app, messenger) -> None:
    ama = onboarded(app, messenger, "ama")
    ama.send("STOP")
    ama.send("conseil")
    followed = ama.send("1")  # follow (the only choice with nothing planned)
    assert "vous recevrez les rappels" in followed

    announce(app, "Le conseil se réunit jeudi.", audience=Audience.TOPIC, topic="council")
    with pytest.raises(errors.Invalid):  # still nobody for the commune-wide ones
        announce(app, "Coupure d'eau demain.")
    run_scheduler_job(app)
    app.pipeline.deliver()
    assert [t for t in announcements(messenger, "ama") if "jeudi" in t]

    bio = onboarded(app, messenger, "bio")
    bio.send("conseil")
    bio.send("1")
    assert "ni les nouvelles du conseil" in bio.send("STOP")
    row = announce(app, "Séance reportée.", audience=Audience.TOPIC, topic="council")
    assert row.recipients == 1  # ama, who followed after her STOP; not bio

"""Two citizens made one (core/citizens/linking.py): what each had becomes the survivor's,
without a duplicate, and nothing the absorbed one kept is left pointing at nobody."""

from __future__ import annotations

from sqlmodel import select

from core.broadcasts.models import Subscription
from core.citizens import linking
from core.citizens import service as citizens
from core.citizens.models import ChannelIdentity, Citizen, LinkCode
from core.submissions import service as submissions
from core.submissions.models import Follower, Kind, Submission, Support
from core.surveys.models import Survey, SurveyResponse


def _identity(app, channel: str, address: str, **profile: object) -> ChannelIdentity:
    with app.uow_factory() as uow:
        identity = citizens.identify(uow=uow, channel=channel, address=address)
        if profile:
            citizens.update_profile(uow=uow, citizen_id=identity.citizen_id, changes=profile)
        uow.commit()
    return identity


def _filed(app, author: ChannelIdentity, kind: Kind = Kind.REPORT) -> str:
    new = submissions.NewSubmission(kind=kind, commune_id="BJ-LI-COT", channel=author.channel,
                                    citizen_id=author.citizen_id, identity_id=author.id,
                                    description="Caniveau bouché", public=True)
    with app.uow_factory() as uow:
        reference = submissions.submit(uow=uow, new=new).reference
        uow.commit()
    return reference


def test_everything_of_both_becomes_one_citizens_without_duplicates(app, clock) -> None:
    whatsapp = _identity(app, "whatsapp", "+2290196000001", language="en",
                         broadcast_opt_out=True)
    telegram = _identity(app, "telegram", "5550123", language="fr", consent_at=clock.now(),
                         commune_id="BJ-LI-COT", gender="woman",
                         voice_data_consent_at=clock.now())
    report = _filed(app, telegram)
    idea = _filed(app, whatsapp, Kind.IDEA)
    with app.uow_factory() as uow:
        survey = Survey(commune_id="BJ-LI-COT", title={"fr": "Accueil"}, created_by="awa",
                        created_at=clock.now(), updated_at=clock.now())
        uow.session.add(survey)
        uow.session.flush()
        filed = {s.reference: s.id for s in uow.session.exec(select(Submission)).all()}
        for identity in (whatsapp, telegram):  # both follow the report, the council, a survey
            uow.session.add(Follower(submission_id=filed[report], citizen_id=identity.citizen_id,
                                     created_at=clock.now()))
            uow.session.add(Subscription(citizen_id=identity.citizen_id, topic="council:COT",
                                         created_at=clock.now()))
            done = clock.now() if identity is telegram else None  # begun on WhatsApp only
            uow.session.add(SurveyResponse(survey_id=survey.id, citizen_id=identity.citizen_id,
                                           channel=identity.channel, started_at=clock.now(),
                                           completed_at=done))
        uow.session.add(Support(submission_id=filed[idea], citizen_id=telegram.citizen_id,
                                created_at=clock.now()))  # supported what is now their own
        uow.commit()

    with app.uow_factory() as uow:
        code = linking.issue_code(uow=uow, identity=uow.session.get_one(
            ChannelIdentity, telegram.id)).code
        channels = linking.use_code(uow=uow, identity=uow.session.get_one(
            ChannelIdentity, whatsapp.id), code=code)
        uow.commit()

    assert channels == ["telegram", "whatsapp"]
    with app.uow_factory() as uow:
        [citizen] = uow.session.exec(select(Citizen)).all()
        assert citizen.id == whatsapp.citizen_id  # who sent the code keeps their record
        assert (citizen.language, citizen.commune_id, citizen.gender) == ("en", "BJ-LI-COT",
                                                                          "woman")
        assert citizen.consent_at is not None and citizen.broadcast_opt_out
        assert citizen.voice_data_consent_at is None  # never given on WhatsApp: not assumed
        assert {s.citizen_id for s in uow.session.exec(select(Submission)).all()} == {citizen.id}
        assert len(uow.session.exec(select(Follower)).all()) == 1
        assert len(uow.session.exec(select(Subscription)).all()) == 1
        [kept] = uow.session.exec(select(SurveyResponse)).all()  # counted once
        assert kept.channel == "telegram" and kept.completed_at is not None  # the finished one
        assert uow.session.exec(select(Support)).all() == []  # one's own idea
        assert uow.session.exec(select(LinkCode)).all() == []  # used: gone
        identities = uow.session.exec(select(ChannelIdentity)).all()
        assert {i.citizen_id for i in identities} == {citizen.id} and len(identities) == 2


def test_answers_go_where_the_citizen_wrote_last(app, clock) -> None:
    telegram = _identity(app, "telegram", "5550123")
    with app.uow_factory() as uow:
        code = linking.issue_code(uow=uow, identity=uow.session.get_one(
            ChannelIdentity, telegram.id)).code
        uow.commit()
    clock.advance(minutes=2)
    whatsapp = _identity(app, "whatsapp", "+2290196000001")
    with app.uow_factory() as uow:
        linking.use_code(uow=uow, identity=uow.session.get_one(ChannelIdentity, whatsapp.id),
                         code=code)
        uow.commit()

    def reached(preferred: int | None) -> str:
        with app.uow_factory() as uow:
            found = citizens.reachable_identity(uow=uow, citizen_id=whatsapp.citizen_id,
                                                preferred=preferred)
            assert found is not None
            return found.channel

    assert reached(telegram.id) == "whatsapp"  # the report's channel, written from earlier
    clock.advance(minutes=5)
    _identity(app, "telegram", "5550123")  # writes on Telegram again
    assert reached(None) == "telegram" and reached(whatsapp.id) == "telegram"

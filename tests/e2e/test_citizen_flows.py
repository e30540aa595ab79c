"""Every citizen flow through the whole pipeline (store → turn → outbox → delivery), on each
database backend."""

from __future__ import annotations

from sqlmodel import select

from core.citizens.models import Citizen
from core.geo import Point
from core.messages.models import Attachment, InboundRecord, InboundStatus
from core.messages.neutral import IncomingFile
from core.submissions import service as submissions
from core.submissions.models import Kind, Status, Submission
from tests.talk import Talker

OGG = b"OggS\x00\x02" + bytes(200)
JPEG = b"\xff\xd8\xff\xe0" + bytes(300)
SCHOOL = Point(6.3703, 2.3912)


def _file_report(talker: Talker, *, place: Point = SCHOOL,
                 text: str = "Caniveau bouché devant l'école") -> str:
    talker.send("1")  # report
    talker.send("2")  # drains
    talker.send(location=place)
    talker.send("1")  # no photo
    talker.send(text)
    return talker.send("1")


def test_english_onboarding_then_complaint_by_voice_anonymous(app, messenger) -> None:
    kofi = Talker(app, messenger, address="kofi")
    kofi.send("hello")
    assert "Which is your commune" in kofi.send("2")
    kofi.send("abomey calavi")
    kofi.send("1")
    assert "Town hall of Abomey-Calavi" in kofi.send("Skip these questions")
    assert "You want to make" in kofi.send("2")
    assert "Which town hall service" in kofi.send("1")
    assert "Explain what happened" in kofi.send("1")  # civil registry
    voice = IncomingFile("voice", "audio/ogg; codecs=opus", OGG, "note.ogg")
    assert "Voice note received" in kofi.send(files=(voice,))
    done = kofi.send("2")  # anonymous
    assert "CAL-PLA-26-0001" in done
    with app.uow_factory() as uow:
        filed = submissions.get_by_reference(uow=uow, reference="CAL-PLA-26-0001")
        assert filed.anonymous and filed.kind == Kind.COMPLAINT
        voices = submissions.attachments_of(uow=uow, submission_id=filed.id)
        assert [(a.kind, a.size) for a in voices] == [("voice", len(OGG))]
        assert uow.media.absolute(voices[0].path).read_bytes() == OGG


def test_report_with_photo_and_arrondissement_typed(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    ama.send("1")
    ama.send("1")  # road
    asked = ama.send("Akpakpa Dodomey")
    assert "Dans quel arrondissement" in asked and "Akpakpa Dodomey" in asked
    ama.send("1er arrondissement")
    photo = IncomingFile("photo", "image/jpeg", JPEG, "trou.jpg")
    assert "Photo reçue" in ama.send(files=(photo,))
    summary = ama.send("Un trou énorme au milieu de la route")
    assert "1er Arrondissement" in summary and "Photo : oui" in summary
    assert "COT-SIG-26-0001" in ama.send("Envoyer")
    with app.uow_factory() as uow:
        report = submissions.get_by_reference(uow=uow, reference="COT-SIG-26-0001")
        assert report.arrondissement_id == "BJ-LI-COT-01"
        assert report.place_text == "Akpakpa Dodomey"
        assert [a.kind for a in submissions.attachments_of(uow=uow,
                                                            submission_id=report.id)] == ["photo"]


def test_a_nearby_open_report_is_offered_and_followed(app, messenger) -> None:
    ama, kojo = Talker(app, messenger, "ama"), Talker(app, messenger, "kojo")
    ama.onboard()
    _file_report(ama)
    kojo.onboard()
    kojo.send("1")
    kojo.send("2")
    kojo.send(location=Point(6.3710, 2.3915))  # about 80 m away
    kojo.send("1")
    offered = kojo.send("L'eau ne passe plus")
    assert "déjà été signalé" in offered and "COT-SIG-26-0001" in offered
    assert "Vous suivez maintenant COT-SIG-26-0001" in kojo.send("1")
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference="COT-SIG-26-0001", status=Status.RESOLVED,
                                  actor="moderator", public_note="Curé ce matin")
        uow.commit()
    assert "résolu" in kojo.replies() and "résolu" in ama.replies()


def test_idea_supported_by_another_citizen_once(app, messenger) -> None:
    ama, kojo = Talker(app, messenger, "ama"), Talker(app, messenger, "kojo")
    ama.onboard()
    ama.send("3")
    ama.send("Un marché de nuit à Zogbo")
    assert "COT-IDE-26-0001" in ama.send("Pour que les commerçantes vendent le soir en sécurité")
    assert "votre propre idée" in ama.send("4") + ama.send("1")
    kojo.onboard()
    listing = kojo.send("Soutenir une idée")
    assert "Un marché de nuit à Zogbo" in listing and "(0 soutiens)" in listing
    assert "(1 soutiens)" in kojo.send("cot ide 26 1")
    kojo.send("4")
    assert "Vous soutenez déjà COT-IDE-26-0001" in kojo.send("1")


def test_followup_lists_my_requests_and_shows_public_history_only(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    _file_report(ama)
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference="COT-SIG-26-0001",
                                  status=Status.ACKNOWLEDGED, actor="moderator",
                                  public_note="Vu", internal_note="secret interne")
        uow.commit()
    listing = ama.send("5")
    assert "COT-SIG-26-0001 · signalement · pris en compte" in listing
    detail = ama.send("1")
    assert "« Vu »" in detail and "secret interne" not in detail
    assert "Je ne trouve aucune demande « COT-SIG-26-0099 »" in ama.send("statut COT-SIG-26-0099")


def test_my_data_then_erase(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    _file_report(ama)
    summary = ama.send("6")
    assert "console ama" in summary and "Demandes : 1" in summary
    assert "Vraiment tout effacer" in ama.send("1")
    assert "Vos données sont effacées" in ama.send("1")
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Citizen)).all() == []
        report = uow.session.exec(select(Submission)).one()
        assert report.citizen_id is None and report.anonymous
    assert "Bienvenue sur Palabre" in ama.send("Bonjour")  # a new start


def test_unexpected_input_gets_helpful_replies_and_nothing_is_lost(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    assert "Choisissez un numéro entre 1 et 10" in ama.send("12")
    assert "Je n'ai rien reçu" in ama.send("   ")
    sticker = IncomingFile("sticker", "image/webp", b"RIFF0000WEBP")
    assert "autocollant" in ama.send(files=(sticker,))
    ama.send("1")
    ama.send("2")
    assert "hors du Bénin" in ama.send(location=Point(48.8566, 2.3522))
    ama.send(location=Point(6.37, 2.39))
    ama.send("1")
    assert "quelques mots" in ama.send("👍👍👍")
    assert "trop long (10000 caractères)" in ama.send("a" * 10_000)
    with app.uow_factory() as uow:
        stored = uow.session.exec(select(InboundRecord).order_by(InboundRecord.id)).all()
        assert any(r.text == "a" * 10_000 for r in stored)
        assert all(r.status == InboundStatus.PROCESSED for r in stored)
        assert uow.session.exec(select(Attachment)).first() is not None  # the sticker, kept


def test_a_message_after_a_long_silence_offers_to_resume(app, messenger, clock) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    ama.send("1")
    ama.send("2")
    clock.advance(hours=3)
    back = ama.send("bonjour")
    assert "Bon retour" in back and "votre signalement" in back
    assert "Où est-ce" in ama.send("1")
    assert "Avez-vous une photo" in ama.send(location=Point(6.37, 2.39))


def test_a_provider_retry_is_handled_once(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.send("Bonjour", external_id="same-id")
    ama.send("Bonjour", external_id="same-id")
    assert len(messenger.sent) == 1


def test_a_turn_that_fails_is_kept_retried_then_the_citizen_is_told(app, messenger,
                                                                   clock) -> None:
    from core.events import SubmissionCreated

    def broken_subscriber(event, uow) -> None:  # a failing boundary, e.g. a search indexer
        raise RuntimeError("indexer down")

    app.uow_factory.subscribe(SubmissionCreated, broken_subscriber)
    ama = Talker(app, messenger)
    ama.onboard()
    reply = _file_report(ama)  # the last turn fails
    assert "COT-SIG" not in reply
    for _ in range(2):
        app.pipeline.run_once()  # not yet: the retry waits a little
        clock.advance(minutes=1)
        app.pipeline.run_once()
    told = ama.replies()
    assert "problème technique" in told
    with app.uow_factory() as uow:
        failed = uow.session.exec(select(InboundRecord).where(
            InboundRecord.status == InboundStatus.FAILED)).one()
        assert failed.attempts == 3 and "indexer down" in (failed.last_error or "")
        assert uow.session.exec(select(Submission)).all() == []


def test_global_words_in_english_and_stop_start(app, messenger) -> None:
    kofi = Talker(app, messenger, "kofi")
    kofi.onboard(language="2")
    kofi.send("1")
    assert "At any time you can write" in kofi.send("help")
    assert "Cancelled" in kofi.send("cancel")
    assert "no longer receive" in kofi.send("STOP")
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Citizen)).one().broadcast_opt_out
    assert "back on" in kofi.send("start")
    assert "Which language do you speak?" in kofi.send("/language")
    assert "français" in kofi.send("1")


def test_a_citizen_changes_commune_and_is_asked_again_when_theirs_closes(app, messenger) -> None:
    from core.communes import service as communes

    ama = Talker(app, messenger)
    ama.onboard()
    assert "Quelle est votre commune" in ama.send("commune")
    assert "Mairie de Bohicon" in ama.send("Bohicon")
    with app.uow_factory() as uow:
        communes.set_enabled(uow=uow, commune="Bohicon", enabled=False)
        uow.commit()
    assert "Quelle est votre commune" in ama.send("menu")
    assert "Mairie de Toffo" in ama.send("Toffo")


def test_others_see_the_status_of_a_complaint_but_not_its_words(app, messenger) -> None:
    ama, kojo = Talker(app, messenger, "ama"), Talker(app, messenger, "kojo")
    ama.onboard()
    ama.send("2")
    ama.send("1")
    ama.send("1")
    ama.send("L'agent de l'état civil m'a demandé 5000 francs")
    reference = ama.send("2").split("référence ")[1].split(".")[0]
    assert "5000 francs" in ama.send(f"statut {reference}")
    kojo.onboard()
    seen = kojo.send(f"statut {reference}")
    assert reference in seen and "État civil" in seen and "5000 francs" not in seen


def test_a_conversation_in_a_state_that_no_longer_exists_recovers_on_any_word(app,
                                                                              messenger) -> None:
    from core.conversations.models import Conversation

    ama = Talker(app, messenger)
    ama.onboard()
    with app.uow_factory() as uow:
        stored = uow.session.exec(select(Conversation)).one()
        stored.flow, stored.state = "report", "GONE"
        uow.session.add(stored)
        uow.commit()
    recovered = ama.send("aide")
    assert "je me suis perdu" in recovered and "À tout moment" in recovered


def test_overlong_provider_fields_are_clipped_not_lost(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    ama.send("1")
    ama.send("2")
    assert "Avez-vous une photo" in ama.send(location=SCHOOL, place_text="x" * 500)
    with app.uow_factory() as uow:
        pin = uow.session.exec(select(InboundRecord).where(InboundRecord.kind == "location")).one()
        assert len(pin.place_text or "") == 300


def test_your_own_report_is_not_offered_back_as_similar(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    _file_report(ama)
    ama.send("1")
    ama.send("2")
    ama.send(location=SCHOOL)
    ama.send("1")
    assert "Je l'envoie à la mairie" in ama.send("Un autre caniveau bouché juste à côté")


def test_a_pin_sent_after_a_long_silence_is_not_asked_again(app, messenger, clock) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    ama.send("1")
    ama.send("2")
    clock.advance(hours=3)
    assert "On continue" in ama.send(location=SCHOOL, place_text="Carrefour Vedoko")
    assert "Avez-vous une photo" in ama.send("1")
    ama.send("1")
    assert "Carrefour Vedoko" in ama.send("Le caniveau déborde")


def test_changing_language_in_the_middle_of_a_report_keeps_the_draft(app, messenger) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    ama.send("1")
    ama.send("2")
    ama.send(location=SCHOOL, place_text="Carrefour Vedoko")
    ama.send("langue")
    switched = ama.send("English")
    assert "I will speak English" in switched and "Do you have a photo" in switched
    ama.send("1")
    assert "Carrefour Vedoko" in ama.send("The drain overflows")

"""The loop of the issue: a geolocated report gets a reference; a status change reaches the
citizen in their language on their channel."""

from __future__ import annotations

from core.geo import Point
from core.submissions import service as submissions
from core.submissions.models import Status
from tests.talk import Talker


def test_geolocated_report_then_status_change_notifies_the_citizen(app, messenger) -> None:
    ama = Talker(app, messenger)
    assert "Mairie de Cotonou" in ama.onboard()
    assert "De quel problème" in ama.send("1")
    assert "Où est-ce" in ama.send("2")  # drains
    assert "photo" in ama.send(location=Point(6.3703, 2.3912), place_text="Carrefour Vedoko")
    assert "Décrivez" in ama.send("Pas de photo")
    summary = ama.send("Le caniveau est bouché devant l'école")
    assert "Carrefour Vedoko" in summary and "6.37030" in summary
    done = ama.send("1")
    assert "COT-SIG-26-0001" in done

    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference="cot sig 26 1", status=Status.IN_PROGRESS,
                                  actor="moderator", public_note="Une équipe passe jeudi")
        uow.commit()
    told = ama.replies()
    assert "COT-SIG-26-0001" in told and "en cours de traitement" in told
    assert "Une équipe passe jeudi" in told
    assert ama.last_message().purpose == "status_update"

"""Surveys from the console: written without JavaScript (one more question by sending the
form back), refused with the reason beside the question, previewed as the bot will ask them,
launched with the invitation's reach told first, answered, read as charts with small groups
hidden exactly as the API does, exported, closed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.surveys import service as surveys
from core.surveys.models import Survey
from palabre import scheduler
from tests.e2e.console_client import account, hidden_fields, signed_in, signed_in_browser
from tests.integration.test_core_surveys import AKPAKPA, GBEGAMEY, citizen
from tests.talk import Talker

NEW = "/console/surveys/new"
SAVE = "/console/surveys/save"


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


QUESTIONS = {"title_fr": "L'accueil à la mairie", "title_en": "The welcome at the town hall",
             "q1_kind": "rating", "q1_fr": "Comment jugez-vous l'accueil ?",
             "q1_en": "How was the welcome?",
             "q2_kind": "choice", "q2_fr": "Quel service avez-vous vu ?",
             "q2_choices_fr": "État civil\nFoncier\nVoirie",
             "q3_kind": "free", "q3_fr": "Un mot pour la mairie ?"}


def _save(client: TestClient, page, **fields: str):
    return client.post(SAVE, data={**hidden_fields(page, SAVE), **fields},
                       follow_redirects=False)


def _built(client: TestClient) -> str:
    """The survey's page address, after writing it in the builder."""
    page = client.get(NEW)
    for _ in range(2):
        page = _save(client, page, **QUESTIONS, more="1")  # one more slot each time
    assert page.status_code == 200 and 'id="q3"' in page.text
    saved = _save(client, page, **QUESTIONS)
    assert saved.status_code == 303, saved.text
    return saved.headers["location"].split("?")[0]


def test_a_survey_is_written_refused_beside_its_question_and_previewed(app, client) -> None:
    page = _save(client, client.get(NEW), more="1")
    page = _save(client, page, more="1")
    refused = _save(client, page, **{**QUESTIONS, "q2_choices_fr": "Seulement un"})
    assert refused.status_code == 422
    assert 'id="q2-problem" role="alert">Il faut de 2 à 9 choix, un par ligne.' in refused.text
    assert 'value="Comment jugez-vous l&#39;accueil ?"' in refused.text  # kept as typed
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Survey)).all() == []

    shown = client.get(_built(client)).text
    previews = re.findall(r'<pre class="said bot">(.*?)</pre>', shown, re.DOTALL)
    assert len(previews) == 3
    assert "Comment jugez-vous l&#39;accueil ?" in previews[0] and "\n5. " in previews[0]
    assert "1. État civil\n2. Foncier\n3. Voirie" in previews[1]
    english = client.get(_built(client) + "?language=en").text
    assert "How was the welcome?" in english


def test_launched_answered_read_with_small_groups_hidden_and_closed(app, client,
                                                                    messenger) -> None:
    page_path = _built(client)
    ama = Talker(app, messenger, "invitee")
    ama.onboard()
    page = client.get(page_path)
    reach = client.post(f"{page_path}/reach", data={
        **hidden_fields(page, f"{page_path}/reach"), "audience": "commune",
        "closes": "2026-03-28T18:00"})
    assert "1 citoyen(s) la recevront" in reach.text
    launched = client.post(f"{page_path}/launch", data=hidden_fields(reach, f"{page_path}/launch"),
                           follow_redirects=False)
    assert launched.status_code == 303
    scheduler.queue_due_broadcasts(app)
    app.pipeline.deliver()
    assert "L'accueil à la mairie" in ama.replies()

    survey_id = int(page_path.rsplit("/", 1)[1])
    with app.uow_factory() as uow:
        asked = [q.id for q in surveys.questions(uow=uow, survey_id=survey_id)]
    people = [("female", 5, AKPAKPA)] * 6 + [("male", 3, AKPAKPA)] * 5 + [(None, 1, GBEGAMEY)]
    for number, (gender, rating, place) in enumerate(people):
        who = citizen(app, messenger, f"c{number}", gender)
        with app.uow_factory() as uow:
            surveys.start(uow=uow, survey_id=survey_id, citizen_id=who, channel="console",
                          arrondissement_id=place)
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                           question_id=asked[0], value=rating)
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                           question_id=asked[1], value=1 + number % 3)
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                           question_id=asked[2], text=f"Merci ({number})")
            surveys.complete(uow=uow, survey_id=survey_id, citizen_id=who)
            uow.commit()

    results = client.get(f"{page_path}/results").text
    assert "12 réponse(s) complète(s) sur 12 commencée(s)" in results
    assert "moyenne 3.83 sur 5" in results  # (6×5 + 5×3 + 1) / 12
    assert results.count('<svg class="chart"') == 2  # the rating and the choice
    assert 'aria-label="État civil : 4, Foncier : 4, Voirie : 4"' in results
    by_gender = results.split("Par genre")[1].split("</section>")[0]
    assert "femmes" in by_gender and "hommes" not in by_gender and "non dit" not in by_gender
    assert "6 personne(s) dans des groupes de moins de cinq" in by_gender
    assert "« Merci (0) »" in results
    exported = client.get(f"{page_path}/export.csv")
    assert exported.status_code == 200 and len(exported.text.strip().splitlines()) == 1 + 36

    page = client.get(page_path)
    closed = client.post(f"{page_path}/close", data=hidden_fields(page, f"{page_path}/close"),
                         follow_redirects=False)
    assert "Questionnaire clos." in client.get(closed.headers["location"]).text
    with app.uow_factory() as uow:
        assert uow.session.get_one(Survey, survey_id).status == "closed"


def test_another_communes_survey_is_out_of_reach(app, client) -> None:
    page_path = _built(client)
    account(app, "bio", communes=("BJ-ZO-BOH",))
    other = TestClient(client.app)
    signed_in(other, "bio")
    assert other.get(page_path).status_code == 404
    assert other.get(f"{page_path}/results").status_code == 404
    assert other.get(f"{page_path}/export.csv").status_code == 404


def test_an_analyst_reads_the_figures_and_results_but_no_words_nor_submissions(
        app, client, messenger) -> None:
    from core.moderation.models import Role

    page_path = _built(client)
    page = client.get(page_path)
    reach = client.post(f"{page_path}/reach", data={
        **hidden_fields(page, f"{page_path}/reach"), "audience": "none",
        "closes": "2026-03-28T18:00"})
    client.post(f"{page_path}/launch", data=hidden_fields(reach, f"{page_path}/launch"))
    survey_id = int(page_path.rsplit("/", 1)[1])
    with app.uow_factory() as uow:
        asked = [q.id for q in surveys.questions(uow=uow, survey_id=survey_id)]
    for number in range(5):
        who = citizen(app, messenger, f"c{number}", "female")
        with app.uow_factory() as uow:
            surveys.start(uow=uow, survey_id=survey_id, citizen_id=who, channel="console")
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                           question_id=asked[0], value=4)
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                           question_id=asked[1], value=1)
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                           question_id=asked[2], text=f"Mon voisin Kofi, au {number} rue 12")
            surveys.complete(uow=uow, survey_id=survey_id, citizen_id=who)
            uow.commit()

    account(app, "stat", Role.ANALYST)
    analyst = TestClient(client.app)
    landed = signed_in(analyst, "stat")
    assert analyst.get(landed.headers["location"], follow_redirects=False).headers[
        "location"] == "/console/dashboard"  # no inbox for an analyst
    assert analyst.get("/console/dashboard").status_code == 200
    results = analyst.get(f"{page_path}/results")
    assert results.status_code == 200 and "5 réponse(s) complète(s)" in results.text
    assert "Kofi" not in results.text  # the free answers' words stay with the mairie
    assert "Kofi" not in analyst.get(f"{page_path}/export.csv").text
    assert "Kofi" in client.get(f"{page_path}/results").text  # the moderator reads them
    assert analyst.get(page_path).status_code == 403  # the builder's page: staff only
    assert analyst.get("/console/announcements").status_code == 403

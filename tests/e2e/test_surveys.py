"""Service-satisfaction surveys end to end on both databases: a moderator defines a survey
through the admin API (bad definitions refused), launches it with an invitation to the
commune; a citizen on Telegram answers with buttons, a typed out-of-range rating, a stop
midway and a resume, and a voice note for the free question; a citizen on WhatsApp answers
with typed numbers and words; nobody answers twice or after closing; the results and the CSV
count each answer set once and carry no personal data."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.ports import Transcript
from core.transcripts import service as transcripts
from core.transcripts.models import Transcription
from palabre import scheduler
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app
from tests.e2e.test_admin_api import _report
from tests.e2e.test_council import staff
from tests.e2e.test_telegram import CITIZEN as TELEGRAM_CITIZEN
from tests.e2e.test_telegram import OGG, TOKEN, Chat
from tests.e2e.test_whatsapp import CITIZEN as WHATSAPP_CITIZEN
from tests.e2e.test_whatsapp import Phone, whatsapp_settings
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi
from tests.talk import Talker

ANNOUNCEMENT_TEMPLATE = "HXa11ce00a11ce00a11ce00a11ce00a11c"
VOICE_FILE = "AwACAgQAAxkBAAIB-voice"
SURVEY = {
    "commune_id": "BJ-LI-COT",
    "title": {"fr": "L'accueil à l'état civil", "en": "Welcome at the civil registry"},
    "intro": {"fr": "Vous êtes venu à la mairie pour un acte ? "
                    "Dites-nous comment cela s'est passé."},
    "questions": [
        {"kind": "rating", "text": {"fr": "Comment notez-vous l'accueil ?"}},
        {"kind": "choice", "text": {"fr": "Combien de temps avez-vous attendu ?"},
         "choices": [{"fr": "Moins d'une heure"}, {"fr": "Une demi-journée"},
                     {"fr": "Plus d'un jour"}]},
        {"kind": "yes_no", "text": {"fr": "Avez-vous payé plus que le tarif affiché ?"}},
        {"kind": "free", "text": {"fr": "Que faudrait-il améliorer ?"}},
    ],
}


@pytest.fixture
def providers():
    with FakeTelegramApi(tokens=[TOKEN]) as telegram, FakeTwilioApi() as twilio:
        yield telegram, twilio


@pytest.fixture
def town(app, settings, clock, messenger, providers):  # app: a clean database
    telegram, twilio = providers
    base = whatsapp_settings(settings, twilio,
                             whatsapp_templates=f"announcement={ANNOUNCEMENT_TEMPLATE}")
    configured = Settings(**{**base.model_dump(), "telegram_token": TOKEN,
                             "telegram_api_url": telegram.url,
                             # voice answers are queued for a worker (none runs here)
                             "transcription_routes": "*=faster-whisper:bundled-base"},
                          _env_file=None)
    application = bootstrap(configured, clock=clock, messengers={"console": messenger})
    yield application
    application.close()


def defined(web: TestClient, admin: dict[str, str], **changes: object) -> dict:
    answer = web.post("/api/v1/surveys", headers=admin, json={**json.loads(json.dumps(
        SURVEY)), **changes})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_bad_definitions_and_launches_are_refused_and_nothing_is_half_done(
        town, clock) -> None:
    web = TestClient(create_web_app(town))
    admin = staff(town)
    refused = [
        web.post("/api/v1/surveys", headers=admin, json={**SURVEY, "title": {"en": "Only"}}),
        web.post("/api/v1/surveys", headers=admin, json={**SURVEY, "questions": [
            {"kind": "choice", "text": {"fr": "Un seul choix ?"}, "choices": [{"fr": "Oui"}]}]}),
        web.post("/api/v1/surveys", headers=admin, json={**SURVEY, "questions": [
            {"kind": "rating", "text": {"fr": "Note ?"}, "choices": [{"fr": "Oui"}]}]}),
        web.post("/api/v1/surveys", headers=admin, json={**SURVEY, "questions": [
            {"kind": "stars", "text": {"fr": "Note ?"}}]}),
        web.post("/api/v1/surveys", headers=admin, json={**SURVEY, "service_id": 999999}),
    ]
    assert [r.status_code for r in refused] == [422] * 5
    assert "French" in refused[0].json()["detail"]
    assert "2 to 9 choices" in refused[1].json()["detail"]
    assert web.get("/api/v1/surveys", headers=admin).json() == []  # none half-made

    empty = defined(web, admin, questions=[])
    closes = (clock.now() + timedelta(days=10)).isoformat()
    no_questions = web.post(f"/api/v1/surveys/{empty['id']}/launch", headers=admin,
                            json={"closes_at": closes})
    assert no_questions.status_code == 422 and "at least one question" in (
        no_questions.json()["detail"])
    survey = defined(web, admin)
    past = web.post(f"/api/v1/surveys/{survey['id']}/launch", headers=admin,
                    json={"closes_at": (clock.now() - timedelta(days=1)).isoformat()})
    assert past.status_code == 422
    nobody = web.post(f"/api/v1/surveys/{survey['id']}/launch", headers=admin,
                      json={"closes_at": closes, "invite": {"audience": "commune"}})
    assert nobody.status_code == 422 and "audience is empty" in nobody.json()["detail"]
    assert web.get(f"/api/v1/surveys/{survey['id']}", headers=admin).json()["status"] == "draft"
    launched = web.post(f"/api/v1/surveys/{survey['id']}/launch", headers=admin,
                        json={"closes_at": closes})
    assert launched.status_code == 200 and launched.json()["status"] == "open"
    changed = web.put(f"/api/v1/surveys/{survey['id']}", headers=admin,
                      json={"title": {"fr": "Autre"}, "questions": SURVEY["questions"]})
    assert changed.status_code == 409
    assert web.post(f"/api/v1/surveys/{survey['id']}/launch", headers=admin,
                    json={"closes_at": closes}).status_code == 409


def test_citizens_answer_on_both_channels_stop_resume_and_are_counted_once(
        town, providers, clock) -> None:
    telegram, twilio = providers
    web = TestClient(create_web_app(town))
    chat, phone = Chat(town, web, telegram, clock), Phone(town, web, twilio, clock)
    chat.onboard()
    phone.onboard()
    admin = staff(town)
    survey = defined(web, admin)
    clock.advance(days=2)  # WhatsApp's window closes: the invitation goes as its template
    launched = web.post(f"/api/v1/surveys/{survey['id']}/launch", headers=admin, json={
        "closes_at": (clock.now() + timedelta(days=30)).isoformat(),
        "invite": {"audience": "commune"}}).json()
    assert launched["invited"] == 2
    scheduler.queue_due_broadcasts(town)
    town.pipeline.deliver()
    invited = [t for t in telegram.texts(TELEGRAM_CITIZEN) if "vous demande votre avis" in t]
    assert len(invited) == 1 and "L'accueil à l'état civil" in invited[0]
    assert "Écrivez « avis »" in invited[0]
    template = twilio.sent(WHATSAPP_CITIZEN)[-1]
    assert template.param("ContentSid") == ANNOUNCEMENT_TEMPLATE
    assert "L'accueil à l'état civil" in template.param("ContentVariables")

    # Telegram: buttons, a typed rating out of range, a stop midway, a resume, a voice note
    opened = chat.text("avis")[-1]
    assert "(4 questions, environ 2 minutes)" in opened and "Dites-nous comment" in opened
    assert "arrondissement" in chat.press(f"s:{survey['id']}")[-1]
    first = chat.press(chat.button("2"))[-1]  # 2ème Arrondissement
    assert first.startswith("Question 1/4 : Comment notez-vous l'accueil ?")
    assert "Répondez par un chiffre de 1 (très mauvais) à 5" in chat.text("7")[0]
    assert chat.text("4")[-1].startswith("Question 2/4")
    assert chat.press("v:2")[-1].startswith("Question 3/4")
    chat.text("annuler")  # stops midway: two answers kept
    chat.text("avis")
    assert "Reprendre là où je m'étais arrêté" in buttons(chat)
    again = chat.press(f"s:{survey['id']}")
    assert any("On reprend là où vous vous étiez arrêté : question 3 sur 4" in r for r in again)
    assert again[-1].endswith("Question 3/4 : Avez-vous payé plus que le tarif affiché ?")
    assert chat.press("v:0")[-1].startswith("Question 4/4 : Que faudrait-il améliorer ?")
    telegram.add_file(VOICE_FILE, OGG)
    thanks = chat.send("voice")
    assert any("Merci ! Vos réponses au questionnaire « L'accueil à l'état civil »" in t
               for t in thanks)
    assert "déjà répondu" in chat.text("avis")[-1]  # one answer set per citizen

    # WhatsApp: typed numbers and words; skips the arrondissement
    assert "(4 questions" in phone.text("sondage")[-1]
    phone.text("1")  # Commencer
    phone.text("Je préfère ne pas dire")  # not an arrondissement: asked again
    assert phone.text(str(len(arrondissements(town)) + 1))[-1].startswith("Question 1/4")  # passer
    phone.text("2")
    phone.text("3")
    phone.text("2")  # non
    done = phone.text("Des chaises pour attendre, et afficher les tarifs.")
    assert any("Merci ! Vos réponses" in t for t in done)

    results = web.get(f"/api/v1/surveys/{survey['id']}/results", headers=admin).json()
    assert (results["started"], results["completed"], results["invited"],
            results["response_rate"]) == (2, 2, 2, 1.0)
    assert results["withheld"] is True  # two answer sets: no figures that could single out
    assert [q["answered"] for q in results["questions"]] == [2, 2, 2, 2]
    rating, _, yes_no, free = results["questions"]
    assert rating["distribution"] == {} and yes_no["average"] is None
    assert results["breakdowns"] == {}
    spoken, typed = free["free_answers"]
    assert spoken["voice_url"] and spoken["text"] is None
    assert typed["text"] == "Des chaises pour attendre, et afficher les tarifs."
    heard = web.get(spoken["voice_url"], headers=admin)  # the moderator can listen to it
    assert heard.status_code == 200 and heard.content == OGG

    assert spoken["transcript"] is None  # not heard yet
    hear_voice_answers(town)
    results = web.get(f"/api/v1/surveys/{survey['id']}/results", headers=admin).json()
    assert results["questions"][3]["free_answers"][0]["transcript"] == (
        "Il faut plus de guichets.")

    exported = web.get(f"/api/v1/surveys/{survey['id']}/export.csv", headers=admin)
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:6] == ["response", "completed_on", "arrondissement", "gender", "age_band",
                           "question"]
    assert len(rows) == 1 + 2 * 4
    assert {(r[2], r[3], r[4]) for r in rows[1:]} == {("", "", "")}  # under 5: left empty
    assert ["Il faut plus de guichets."] == [r[9] for r in rows[1:] if r[5] == "4"][:1]
    assert str(TELEGRAM_CITIZEN) not in exported.text
    assert str(WHATSAPP_CITIZEN).lstrip("+") not in exported.text

    closed = web.post(f"/api/v1/surveys/{survey['id']}/close", headers=admin)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert "Aucun questionnaire" in phone.text("avis")[-1]


def test_an_answer_after_the_survey_closed_is_not_counted(town, providers, clock) -> None:
    telegram, _ = providers
    web = TestClient(create_web_app(town))
    chat = Chat(town, web, telegram, clock)
    chat.onboard()
    admin = staff(town)
    survey = defined(web, admin)
    web.post(f"/api/v1/surveys/{survey['id']}/launch", headers=admin,
             json={"closes_at": (clock.now() + timedelta(minutes=20)).isoformat()})
    chat.text("avis")
    chat.press(f"s:{survey['id']}")
    chat.press("skip")
    chat.press("v:5")
    clock.advance(minutes=25)  # the survey closes while the citizen is on question 2
    closed = chat.press("v:1")
    assert any("Ce questionnaire est fermé" in t for t in closed)
    results = web.get(f"/api/v1/surveys/{survey['id']}/results", headers=admin).json()
    assert (results["started"], results["completed"]) == (1, 0)
    assert results["questions"][0]["answered"] == 0  # only completed sets count


def buttons(chat: Chat) -> list[str]:
    return [row[0]["text"] for row in chat.last_markup()["inline_keyboard"]]


def arrondissements(app) -> list[str]:
    from core.communes import service as communes

    with app.uow_factory() as uow:
        return [a.id for a in communes.arrondissements_of(uow=uow, commune_id="BJ-LI-COT")]


def hear_voice_answers(app) -> None:
    """What a transcription worker does with the queued voice answers."""
    with app.uow_factory() as uow:
        waiting = uow.session.exec(select(Transcription)).all()
        assert waiting, "the voice answer was queued for transcription"
        for row in waiting:
            assert row.id is not None
            transcripts.record_result(uow=uow, transcription_id=row.id, transcript=Transcript(
                text="Il faut plus de guichets.", language="fr", confidence=0.9,
                duration_s=3.0, backend="test", model="test"), processing_ms=10)
        uow.commit()


def test_survey_answers_are_not_shown_beside_the_citizens_report(app, messenger,
                                                                 clock) -> None:
    web = TestClient(create_web_app(app))
    admin = staff(app)
    survey = defined(web, admin)
    web.post(f"/api/v1/surveys/{survey['id']}/launch", headers=admin,
             json={"closes_at": (clock.now() + timedelta(days=3)).isoformat()})
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    ama.send("avis")
    ama.send("1")  # Commencer
    ama.send("passer")
    assert "Question 2/4" in ama.send("2")  # a rating of 2, then stops
    ama.send("menu")
    reference = _report(ama, text="Caniveau bouché devant la mairie annexe")
    detail = web.get(f"/api/v1/submissions/{reference}", headers=admin).json()
    said = " ".join(m.get("text") or "" for m in detail["messages"])
    assert "Caniveau bouché devant la mairie annexe" in said
    assert "Question" not in said and "avis" not in said

"""The mairie publishing from a phone, in a real headless Chromium at 360×640: an
announcement composed, its reach read before sending, sent, and its progress updating by
itself until the citizen has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from palabre import scheduler
from tests.browser import browser_missing, keep_screenshot, serving
from tests.e2e.console_client import PASSWORD, account
from tests.talk import Talker

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))

PHONE = {"width": 360, "height": 640}


def signed_in_phone(chromium, base: str, asked: str):
    """Awa's phone, sent to sign in by the page asked for, then back on it."""
    page = chromium.new_context(viewport=PHONE, locale="fr-FR").new_page()
    page.goto(base + asked)
    page.fill("#name", "awa")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=Se connecter")
    page.wait_for_url(base + asked)
    return page


def test_an_announcement_from_a_phone_reaches_a_citizen(app, messenger, chromium,
                                                        tmp_path: Path) -> None:
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    account(app, "awa")
    with serving(app) as base:
        page = signed_in_phone(chromium, base, "/console/announcements")

        page.fill("#text", "Coupure d'eau demain de 8 h à 12 h à Akpakpa.")
        page.click("text=Voir qui la recevra")
        reach = page.locator("#reach")
        assert "1 citoyen(s) la recevront" in reach.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
        keep_screenshot(page, "console-announcement-phone", tmp_path)

        page.click("text=Envoyer à 1 citoyen(s)")
        page.wait_for_selector("text=Annonce enregistrée.")
        assert page.locator("[data-key=sent]").inner_text() == "0"
        assert scheduler.queue_due_broadcasts(app) == 1
        app.pipeline.deliver()
        # The page's script asks every five seconds; the figures change without a reload.
        page.wait_for_selector("#progress[data-done]", timeout=15_000)
        assert page.locator("[data-key=sent]").inner_text() == "1"
        assert page.locator("[data-key=waiting]").inner_text() == "0"

    assert any("Coupure d'eau demain" in m.text for m in messenger.sent
               if m.address == "ama" and m.purpose == "announcement")


def test_a_plan_with_bad_rows_goes_through_the_preview_on_a_phone(app, chromium,
                                                                  tmp_path: Path) -> None:
    from tests.integration.test_core_projects import PLAN

    sheet = tmp_path / "pai_cotonou.csv"
    sheet.write_text(PLAN, "utf-8")
    account(app, "awa")
    with serving(app) as base:
        page = signed_in_phone(chromium, base, "/console/projects/import")

        page.set_input_files("#sheet", str(sheet))
        page.click("text=Vérifier le fichier")
        page.wait_for_selector("#plan")
        assert "6 refusé(s)" in page.inner_text("#plan")
        assert page.locator(".rejected li").count() == 6
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        keep_screenshot(page, "console-import-phone", tmp_path)

        page.click("text=Importer ces 2 ligne(s)")
        page.wait_for_selector("text=Import enregistré.")
        assert page.locator(".projects li").count() == 2


def test_a_council_sitting_run_from_a_phone_in_the_chamber(app, messenger, chromium,
                                                           tmp_path: Path) -> None:
    from tests import speech

    ama = Talker(app, messenger, "ama")
    ama.onboard()
    ama.send("conseil")
    ama.send("1")  # follow
    account(app, "awa")
    photo = speech.picture(tmp_path / "salle.jpg")
    with serving(app) as base:
        page = signed_in_phone(chromium, base, "/console/council")

        page.fill("#title", "Session de mars")
        page.fill("#when", "2026-03-20T09:00")
        page.fill("#place", "Hôtel de ville")
        page.click("text=Enregistrer")
        page.wait_for_selector("text=Séance prévue")
        page.click("text=Commencer le direct")
        page.wait_for_selector("text=En direct : les abonnés sont prévenus.")

        page.fill("#text", "Le budget 2026 est adopté.")
        page.set_input_files("#photo", str(photo))
        page.click("text=Envoyer aux 1 abonné(s)")
        page.wait_for_selector("text=Nouvelles envoyées.")
        ama.send("conseil")
        ama.send("1")  # ask
        ama.send("Quand commencent les travaux du marché ?")
        page.reload()
        page.wait_for_selector("text=Quand commencent les travaux du marché ?")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        keep_screenshot(page, "console-council-phone", tmp_path)
        page.click("button:has-text('Répondue')")
        page.wait_for_selector("text=répondue par awa")

        page.fill("#decisions", "Budget 2026 adopté")
        page.click("text=Clore la séance et annoncer les décisions")
        page.wait_for_selector("text=Séance close")

    assert scheduler.queue_due_broadcasts(app) >= 1
    app.pipeline.deliver()
    told = ama.replies()
    assert "Le budget 2026 est adopté." in told and "Budget 2026 adopté" in told


def test_a_survey_built_launched_and_read_on_a_phone(app, messenger, chromium,
                                                    tmp_path: Path) -> None:
    from core.surveys import service as surveys
    from tests.integration.test_core_surveys import AKPAKPA, GBEGAMEY, citizen

    account(app, "awa")
    with serving(app) as base:
        page = signed_in_phone(chromium, base, "/console/surveys/new")

        page.fill("#title_fr", "L'accueil à la mairie")
        page.fill("#q1_fr", "Comment jugez-vous l'accueil ?")
        page.click("text=Une question de plus")
        page.wait_for_selector("#q2_fr")
        page.select_option("#q2_kind", "yes_no")
        page.fill("#q2_fr", "Votre dossier a-t-il avancé ?")
        page.click("text=Enregistrer le brouillon")
        page.wait_for_selector("text=Brouillon enregistré.")
        assert page.locator("pre.bot").count() == 2
        survey_id = int(page.url.split("?")[0].rsplit("/", 1)[1])

        page.check("input[name=audience][value=none]")
        page.click("text=Voir qui sera invité")
        page.click("text=Lancer le questionnaire")
        page.wait_for_selector("text=Questionnaire lancé.")
        with app.uow_factory() as uow:
            asked = [q.id for q in surveys.questions(uow=uow, survey_id=survey_id)]
        people = [("female", 5, AKPAKPA)] * 6 + [("male", 3, AKPAKPA)] * 5 + \
            [(None, 1, GBEGAMEY)]
        for number, (gender, rating, place) in enumerate(people):
            who = citizen(app, messenger, f"c{number}", gender)
            with app.uow_factory() as uow:
                surveys.start(uow=uow, survey_id=survey_id, citizen_id=who,
                              channel="console", arrondissement_id=place)
                surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                               question_id=asked[0], value=rating)
                surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who,
                               question_id=asked[1], value=1 if rating > 2 else 0)
                surveys.complete(uow=uow, survey_id=survey_id, citizen_id=who)
                uow.commit()

        page.click("text=Résultats")
        page.wait_for_selector("svg.chart")
        assert "6 personne(s) dans des groupes de moins de cinq" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        keep_screenshot(page, "console-survey-phone", tmp_path)


def test_a_document_uploaded_from_a_phone_is_fetched_from_the_bot(app, messenger, chromium,
                                                                  tmp_path: Path) -> None:
    from tests.e2e.test_documents import PDF

    budget = tmp_path / "budget 2026.pdf"
    budget.write_bytes(PDF)
    account(app, "awa")
    with serving(app) as base:
        page = signed_in_phone(chromium, base, "/console/documents")

        page.select_option("#kind", "budget")
        page.fill("#year", "2026")
        page.fill("#title", "Budget primitif 2026")
        page.set_input_files("#file", str(budget))
        page.fill("#fr", "Recettes 18 milliards FCFA, dont 6 pour investir.")
        page.click("button[type=submit] >> text=Publier")
        page.wait_for_selector(".notice")
        assert "Document publié" in page.inner_text(".notice")
        assert "budget-2026.pdf" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    ama = Talker(app, messenger, "ama")
    ama.onboard()
    ama.send("documents")
    ama.send("1")  # budget
    ama.send("1")  # the document
    (sent,) = [m for m in messenger.sent if m.address == "ama" and m.purpose == "document"]
    assert sent.text.startswith("📄 Budget primitif 2026 (2026)")
    with app.uow_factory() as uow:
        assert uow.media.absolute(sent.media_path).read_bytes() == PDF

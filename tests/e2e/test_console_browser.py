"""The console in a real headless Chromium: a moderator signs in, finds a citizen's report
holding a photo and a voice note, plays the note, answers with a canned reply, changes the
status, and the citizen is told; the same with JavaScript off, and on a 360 px phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.geo import Point
from core.messages.neutral import IncomingFile
from core.moderation import service as moderation
from tests import speech
from tests.browser import browser_missing, keep_screenshot, serving
from tests.e2e.console_client import PASSWORD, account
from tests.talk import Talker

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def report(app, messenger, tmp_path: Path) -> tuple[str, Talker]:
    """Ama's report of a flooded drain, with a photo and a voice note."""
    photo = speech.picture(tmp_path / "caniveau.jpg").read_bytes()
    voice = speech.encode(speech.tone(2.0), 16_000, tmp_path / "note", "ogg-opus").read_bytes()
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    ama.send("1")  # report
    ama.send("2")  # drains
    ama.send(location=Point(6.3703, 2.3912), place_text="Carrefour Vedoko")
    ama.send(files=(IncomingFile("photo", "image/jpeg", photo, "caniveau.jpg"),))
    ama.send(files=(IncomingFile("voice", "audio/ogg; codecs=opus", voice, "note.ogg"),))
    done = ama.send("1")  # send it publicly
    with app.uow_factory() as uow:
        moderation.add_canned_reply(uow=uow, commune_id="BJ-LI-COT", title="Merci, équipe",
                                    texts={"fr": "Merci ! Une équipe de la voirie va passer."})
        uow.commit()
    account(app, "awa")
    ama.replies()
    return done.split("référence ")[1].split(".")[0], ama


def _sign_in(page, base: str, asked: str = "/console/") -> None:
    page.goto(base + asked)
    assert "/console/sign-in" in page.url
    page.fill("#name", "awa")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=Se connecter")
    page.wait_for_url(base + asked)


def test_a_moderator_triages_a_report_in_the_browser(app, chromium, report, tmp_path) -> None:
    reference, ama = report
    with serving(app) as base:
        page = chromium.new_context(viewport=LAPTOP, locale="fr-FR").new_page()
        _sign_in(page, base)
        assert page.locator(f"text={reference}").is_visible()
        keep_screenshot(page, "console-inbox", tmp_path)

        page.click(f"text={reference}")
        page.wait_for_url(f"{base}/console/s/{reference}")
        image = page.locator("img[alt='Photo envoyée par le citoyen']")
        loaded = ("img => img.complete ? img.naturalWidth : new Promise(done => "
                  "img.addEventListener('load', () => done(img.naturalWidth)))")
        assert image.evaluate(loaded) == 64  # the thumbnail, once the browser has it
        audio = page.locator("audio")
        assert audio.get_attribute("preload") == "none"
        assert audio.evaluate("a => a.readyState") == 0  # nothing loaded before it is pressed
        audio.evaluate("a => a.play().catch(() => null)")
        page.wait_for_function("() => document.querySelector('audio').readyState > 0")
        keep_screenshot(page, "console-submission", tmp_path)

        page.select_option("#canned", label="Merci, équipe")
        page.click("form[action$='/reply'] button")
        assert page.locator("text=Réponse envoyée au citoyen.").is_visible()
        assert "Une équipe de la voirie va passer" in ama.replies()

        page.select_option("#status", "in_progress")
        page.fill("#public_note", "Une équipe passe jeudi")
        page.click("form[action$='/status'] button")
        assert page.locator("text=le citoyen est prévenu").is_visible()
    told = ama.replies()
    assert "en cours de traitement" in told and "Une équipe passe jeudi" in told


def test_the_same_path_works_with_javascript_off_on_a_phone(app, chromium, report,
                                                            tmp_path) -> None:
    reference, ama = report
    with serving(app) as base:
        page = chromium.new_context(viewport=PHONE, java_script_enabled=False).new_page()
        _sign_in(page, base, f"/console/s/{reference}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width} px wide on a 360 px phone"
        keep_screenshot(page, "console-submission-phone", tmp_path)
        page.select_option("#status", "acknowledged")
        page.click("form[action$='/status'] button")
        assert page.locator("text=le citoyen est prévenu").is_visible()
    assert "pris en compte" in ama.replies()


VEDOKO = Point(6.3703, 2.3912)


def _drain_report(app, messenger, name: str, words: str, where: Point = VEDOKO) -> str:
    """A citizen's new report of a drain, without a photo, sent publicly; its reference."""
    citizen = Talker(app, messenger, name)
    citizen.onboard()
    citizen.send("1")
    citizen.send("2")
    citizen.send(location=where)
    citizen.send("1")
    citizen.send(words)
    return citizen.send("1").split("référence ")[1].split(".")[0]


def test_a_script_a_citizen_wrote_never_runs(app, chromium, messenger, tmp_path) -> None:
    reference = _drain_report(app, messenger, "ama",
                              '<script>alert("x")</script><img src=x onerror=alert(1)>')
    account(app, "awa")
    alerts: list[str] = []
    with serving(app) as base:
        page = chromium.new_context(viewport=LAPTOP).new_page()
        page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
        _sign_in(page, base, f"/console/s/{reference}")
        assert page.locator("text=<script>alert(\"x\")</script>").first.is_visible()
        page.goto(base + "/console/")
    assert alerts == []


def test_keyboard_triage_and_a_bulk_action_over_a_filter(app, chromium, report, messenger,
                                                         tmp_path) -> None:
    reference, ama = report
    other = _drain_report(app, messenger, "kojo", "Caniveau plein de sable", Point(6.40, 2.45))
    kojo = Talker(app, messenger, "kojo")
    with serving(app) as base:
        page = chromium.new_context(viewport=LAPTOP).new_page()
        _sign_in(page, base)
        page.keyboard.press("?")
        assert page.locator("#keys").is_visible()
        page.keyboard.press("?")
        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.getAttribute('href')") == \
            f"/console/s/{other}"  # the newest first
        page.keyboard.press("j")
        page.keyboard.press("o")
        page.wait_for_url(f"{base}/console/s/{reference}")
        page.keyboard.press("c")  # claim
        page.wait_for_url(f"{base}/console/s/{reference}?done=claim")
        assert page.evaluate("document.activeElement.className") == "notice"
        page.keyboard.press("s")
        assert page.evaluate("document.activeElement.id") == "status"

        page.goto(f"{base}/console/")
        page.select_option("select[name=status]", "new")
        page.click("form.filters button")  # the filter form, as sent: an empty kind too
        page.wait_for_url(re.compile(r".*/console/\?folder=all&q=&status=new&kind=&.*"))
        page.click("#bulk summary")
        page.check("input[name=everything]")
        page.select_option("#bulk-action", "status")
        page.select_option("#bulk select[name=status]", "acknowledged")
        page.fill("input[name=public_note]", "Bien reçu, merci.")
        page.click("#bulk button[type=submit]")
        assert page.locator("text=2 dossier(s) sur 2 traités.").is_visible()
    assert "Bien reçu, merci." in ama.replies() and "Bien reçu, merci." in kojo.replies()


def test_new_items_are_announced_without_reloading(app, chromium, report, messenger) -> None:
    with serving(app) as base:
        page = chromium.new_context(viewport=LAPTOP).new_page()
        page.clock.install()
        _sign_in(page, base)
        assert not page.locator("#arrived").is_visible()
        _drain_report(app, messenger, "kojo", "Caniveau plein de sable", Point(6.40, 2.45))
        page.clock.run_for(31_000)
        page.wait_for_selector("#arrived", state="visible")
        assert page.locator("#arrived span").inner_text() == "1"


def test_the_dashboard_fits_a_phone(app, chromium, report, tmp_path) -> None:
    with serving(app) as base:
        page = chromium.new_context(viewport=PHONE).new_page()
        _sign_in(page, base, "/console/dashboard")
        assert page.locator(".chart svg").first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        keep_screenshot(page, "console-dashboard-phone", tmp_path)


def test_the_map_shows_the_pins_of_the_filter(app, chromium, report, tmp_path) -> None:
    reference, _ = report
    with serving(app) as base:
        page = chromium.new_context(viewport=LAPTOP).new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        _sign_in(page, base, "/console/map")
        page.wait_for_selector("#map[data-shown]", state="attached", timeout=10_000)
        assert problems == []
        assert page.get_attribute("#map", "data-shown") == "1"
        assert page.locator(".leaflet-overlay-pane canvas").count() == 1  # the pins' layer
        keep_screenshot(page, "console-map", tmp_path)

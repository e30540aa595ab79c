"""The voice pages of the console from a phone, in a real headless Chromium at 360×640: a
doubtful transcript corrected on a submission's page, and a message of the bot recorded in Fon
on « Vocaux », then played back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import speech
from tests.browser import browser_missing, keep_screenshot, serving
from tests.e2e.console_client import account
from tests.e2e.test_console_publishing_browser import signed_in_phone
from tests.e2e.test_transcript_corrections import LOOP, SAID, row_of, voice_report

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def test_a_doubtful_transcript_corrected_from_a_phone(app, chromium, tmp_path: Path) -> None:
    note = voice_report(app, "22997000001", heard=LOOP)
    account(app, "awa")
    with serving(app) as base:
        page = signed_in_phone(chromium, base, f"/console/s/{note.reference}")
        assert "Transcription douteuse" in page.inner_text("main")

        page.click("details.correct summary")
        page.fill(f"#transcript-{note.attachment_id}", SAID)
        page.click("details.correct button[type=submit]")
        page.wait_for_selector("p.transcript.corrected")
        assert SAID in page.inner_text("p.transcript.corrected")
        assert "Transcription douteuse" not in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        keep_screenshot(page, "console-transcript-phone", tmp_path)

    row = row_of(app, note)
    assert row is not None and (row.corrected_text, row.text) == (SAID, LOOP)


def test_a_message_recorded_in_fon_from_a_phone(app, chromium, tmp_path: Path) -> None:
    recording = speech.write_wav(tmp_path / "menu.wav", speech.tone(1.5), 16_000)
    account(app, "awa")
    with serving(app) as base:
        page = signed_in_phone(chromium, base, "/console/prompts?language=fon&group=menu")
        assert "0 messages sur" in page.inner_text("main")

        row = page.locator("li#menu\\.title")
        row.locator("input[type=file]").set_input_files(str(recording))
        row.locator("button[type=submit]").click()
        page.wait_for_selector(".notice")
        assert "Message vocal enregistré" in page.inner_text(".notice")
        assert "1 messages sur" in page.inner_text("main")
        player = page.locator("li#menu\\.title audio")
        assert player.get_attribute("preload") == "none"
        duration = page.evaluate("""async () => {
            const audio = document.querySelector('li[id="menu.title"] audio');
            audio.load();
            await new Promise(done => audio.addEventListener('loadedmetadata', done));
            return audio.duration;
        }""")
        assert duration == pytest.approx(1.5, abs=0.1)  # the browser plays what was kept
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        keep_screenshot(page, "console-prompts-phone", tmp_path)

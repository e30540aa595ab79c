"""The commune's public page in a real headless Chromium, on a phone's screen (360×640): it
has no script, its map loads under its security policy, nothing is wider than the screen,
and the English page is one tap away."""

from __future__ import annotations

import pytest

from tests.browser import browser_missing, keep_screenshot, serving
from tests.e2e.test_portal import NOTE, PUBLIC, town  # noqa: F401  (town is a fixture)

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))

PHONE = {"width": 360, "height": 640}


def test_a_citizen_reads_the_communes_page_on_a_phone(town, chromium, tmp_path) -> None:  # noqa: F811
    with serving(town) as base:
        page = chromium.new_context(viewport=PHONE, locale="fr-FR").new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text))
        page.on("requestfailed", lambda request: refused.append(request.url))
        answered = page.goto(base + "/c/cotonou")
        assert answered is not None and answered.status == 200
        assert page.locator("h1").inner_text() == "Commune de Cotonou"
        assert page.get_by_text(PUBLIC).is_visible() and page.get_by_text(NOTE).is_visible()
        page.locator("img.map").scroll_into_view_if_needed()
        page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth)")
        box = page.locator("img.map").bounding_box()
        assert box is not None and box["width"] <= 360
        widest = page.evaluate("document.documentElement.scrollWidth")
        assert widest <= 360  # nothing wider than the phone
        keep_screenshot(page, "portal-cotonou-phone", tmp_path)

        page.click("text=English")
        assert page.url == base + "/c/cotonou?lang=en"
        assert page.locator("h1").inner_text() == "Cotonou commune"
        assert refused == []  # no request refused, nothing blocked by the policy

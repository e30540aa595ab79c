"""What the console's browser tests share: one headless Chromium per test file."""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium-headless-shell driven by Playwright (the tests that use it are
    skipped where it is missing: tests.browser.browser_missing)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()

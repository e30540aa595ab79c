"""A real browser for the console's tests: Playwright driving Debian's chromium-headless-shell
(installed by .ci/run with apt-get; Playwright's own browser download cannot work here), and
Palabre's web application served by uvicorn on loopback in a thread."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from palabre.web import create_web_app
from tests.serving import free_port

CHROMIUM = os.environ.get("PALABRE_TEST_CHROMIUM", "/usr/bin/chromium-headless-shell")
SCREENSHOTS = os.environ.get("PALABRE_SCREENSHOTS")  # a folder to keep the screenshots in


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright; .ci/run does)"
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        return (f"no Chromium at {CHROMIUM} (apt-get install chromium-headless-shell; "
                ".ci/run does)")
    return None


@contextmanager
def serving(app) -> Iterator[str]:
    """The application on a free loopback port, for the time of the block; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_web_app(app), host="127.0.0.1", port=port,
                                           log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        httpx.Client().close()


def keep_screenshot(page, name: str, folder: Path) -> Path:
    """Save the page as name.png in `folder` (and in PALABRE_SCREENSHOTS when set)."""
    target = folder / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(SCREENSHOTS) / target.name)
    return target

"""The page for group animators: last week's digest made on demand and ready to copy, and
each flow's link on each number serving the commune with its QR code; without any bot
connected, the page says where links come from."""

from __future__ import annotations

import re

import pytest

from palabre.bootstrap import bootstrap
from tests.e2e.console_client import hidden_fields, signed_in_browser
from tests.e2e.test_whatsapp import whatsapp_settings
from tests.fakes.twilio_api import FakeTwilioApi

PAGE = "/console/share"


@pytest.fixture
def with_whatsapp(app, settings, clock, messenger):
    with FakeTwilioApi() as twilio:
        application = bootstrap(whatsapp_settings(settings, twilio), clock=clock,
                                messengers={"console": messenger})
        yield application
        application.close()


def test_the_digest_is_made_on_demand_and_each_flow_has_its_link_and_qr_code(
        with_whatsapp) -> None:
    client = signed_in_browser(with_whatsapp)
    page = client.get(PAGE)
    assert "Pas encore de résumé" in page.text

    made = client.post(f"{PAGE}/digest", data=hidden_fields(page, f"{PAGE}/digest"),
                       follow_redirects=False)
    page = client.get(made.headers["location"])
    digest = re.search(r'<textarea id="digest-\d+" class="digest"[^>]*>(.*?)</textarea>',
                       page.text, re.DOTALL).group(1)
    assert digest.startswith("📣 Mairie de Cotonou — la semaine du 02/03/2026")
    assert "https://wa.me/14155238886" in digest  # how to write to the mairie

    links = re.findall(r'href="(https://wa\.me/[^"]+)"', page.text)
    assert len(links) == 7
    assert "https://wa.me/14155238886?text=Signaler%20un%20probl%C3%A8me" in links
    assert "https://wa.me/14155238886?text=conseil" in links
    assert page.text.count('class="segno"') == 7  # a QR code each, drawn in the page
    assert "<script" not in page.text.split("<main>")[1].split("</main>")[0]


def test_without_any_bot_the_page_says_where_links_come_from(app) -> None:
    page = signed_in_browser(app).get(PAGE)
    assert "Aucun bot Telegram ni numéro WhatsApp n&#39;est branché" in page.text


def test_a_qr_code_drawn_in_the_page_carries_none_of_its_link() -> None:
    from admin_api.console.share import _qr

    drawn = str(_qr('https://wa.me/229?text=<script>alert("x")</script>&lt;'))

    assert drawn.startswith("<svg") and drawn.endswith("</svg>")
    assert not any(word in drawn for word in ("script", "alert", "wa.me", "&lt;"))

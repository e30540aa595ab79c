"""Each commune's public page, `/c/{commune}`: what it shows (public reports only, with the
mairie's notes, projects, the council, documents, the bots), what it never shows, in French and
English, cacheable, and at a cost that does not grow with the reports."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import select

from core.citizens import service as citizens
from core.council import service as council
from core.council.models import SessionKind
from core.documents import service as documents
from core.documents.models import DocumentKind
from core.geo import Point
from core.projects import service as projects
from core.submissions import service as submissions
from core.submissions.models import Kind, Status, Submission
from palabre.bootstrap import App, bootstrap
from palabre.web import create_web_app
from tests.e2e.test_whatsapp import whatsapp_settings
from tests.fakes.twilio_api import FakeTwilioApi

PUBLIC = "Le caniveau de la rue 12 déborde à chaque pluie"
PRIVATE = "Ma voisine jette ses ordures dans le caniveau"
COMPLAINT = "L'agent de l'état civil m'a demandé de l'argent"
HIDDEN = "Message injurieux caché par la mairie"
NOTE = "Une équipe passe jeudi"
VEDOKO = Point(6.370345, 2.391234)


def filed(app: App, description: str, *, kind: Kind = Kind.REPORT, public: bool = True,
          where: Point | None = VEDOKO, address: str = "+22997000001",
          ) -> str:
    with app.uow_factory() as uow:
        author = citizens.identify(uow=uow, channel="whatsapp", address=address,
                                   display_name="Afiavi Dossou")
        row = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=kind, commune_id="BJ-LI-COT", channel="whatsapp", citizen_id=author.citizen_id,
            identity_id=author.id, description=description, location=where, public=public,
            place_text="Carrefour Vedoko" if public else "Chez moi"))
        uow.commit()
        return row.reference


@pytest.fixture
def town(app: App, clock) -> App:
    """Cotonou with reports of every kind, a project, a council, a document."""
    answered = filed(app, PUBLIC)
    filed(app, PRIVATE, public=False)
    filed(app, COMPLAINT, kind=Kind.COMPLAINT)
    hidden = filed(app, HIDDEN)
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference=answered, status=Status.IN_PROGRESS,
                                  actor="awa", public_note=NOTE, internal_note="ligne 12")
        row = uow.session.exec(select(Submission).where(
            Submission.reference == hidden)).one()
        row.hidden = True
        projects.save(uow=uow, commune_id="BJ-LI-COT", values={
            "code": "PAI-2026-014", "title": "Pavage de la rue du marché Dantokpa",
            "sector": "roads", "budget_fcfa": 125000000, "progress": 40,
            "status": "in_progress"})
        sitting = council.create(uow=uow, new=council.NewSession(
            commune_id="BJ-LI-COT", kind=SessionKind.ORDINARY, title="Session ordinaire",
            starts_at=clock.now() + timedelta(days=6), created_by="awa",
            place="Salle des fêtes", agenda=["Budget 2027"]))
        documents.publish(uow=uow, new=documents.NewDocument(
            commune_id="BJ-LI-COT", kind=DocumentKind.BUDGET, year=2026,
            title="Budget primitif 2026", published_by="awa", data=b"%PDF-1.4\n" + bytes(900),
            filename="budget.pdf", content_type="application/pdf"))
        uow.commit()
        assert sitting.id is not None
    return app


@pytest.fixture
def web(town: App) -> TestClient:
    return TestClient(create_web_app(town))


def test_the_page_shows_public_reports_with_the_mairies_notes_and_nothing_else(web) -> None:
    page = web.get("/c/cotonou")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert PUBLIC in text and NOTE in text and "En cours" in text
    assert "Carrefour Vedoko" in text
    for never in (PRIVATE, COMPLAINT, HIDDEN, "Afiavi", "97000001", "ligne 12", "Chez moi"):
        assert never not in text
    assert "Pavage de la rue du marché Dantokpa" in text and 'value="40"' in text
    assert "Session ordinaire" in text and "Budget 2027" in text
    assert "Budget primitif 2026" in text and 'href="/documents/' in text
    figures = re.search(r"<strong>(\d+)</strong> signalements reçus", text)
    assert figures is not None and figures.group(1) == "2"  # the private one counts, unshown


def test_the_map_shows_public_pins_rounded_and_the_document_opens(web) -> None:
    drawn = web.get("/c/cotonou/carte.svg")

    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/svg+xml"
    assert drawn.text.count("<circle") == 1  # the public report only (the hidden one: not)
    file = re.search(r'href="(/documents/\d+/file)"', web.get("/c/cotonou").text)
    assert file is not None and web.get(file.group(1)).content.startswith(b"%PDF")


def test_english_one_address_per_page_and_unknown_communes(web) -> None:
    english = web.get("/c/cotonou?lang=en")
    by_id = web.get("/c/BJ-LI-COT?lang=en", follow_redirects=False)

    assert "<html lang=\"en\">" in english.text and "In progress" in english.text
    assert "reports received" in english.text and 'hreflang="fr"' in english.text
    assert by_id.status_code == 301 and by_id.headers["location"] == "/c/cotonou?lang=en"
    assert web.get("/c/parakou").status_code == 404  # not enabled on this Palabre
    assert web.get("/c/nowhere").status_code == 404
    assert web.get("/c/cotonou?page=0").status_code == 422


def test_a_link_pasted_in_a_group_shows_the_commune_and_its_figures(web) -> None:
    text = web.get("/c/cotonou").text

    assert '<meta property="og:title" content="Cotonou · Palabre">' in text
    assert ('<meta property="og:description" content="2 signalements en 12 mois, 0 résolus.'
            in text)
    assert "og:url" not in text  # no PALABRE_PUBLIC_URL: never the request's Host
    assert '<link rel="canonical" href="/c/cotonou">' in text


def test_pages_are_cacheable_and_a_browser_that_has_one_gets_304(web) -> None:
    first = web.get("/c/cotonou")
    again = web.get("/c/cotonou", headers={"If-None-Match": first.headers["etag"]})

    assert first.headers["cache-control"] == "public, max-age=300"
    assert "script-src" not in first.headers["content-security-policy"]  # none at all
    assert again.status_code == 304 and again.content == b""


def test_the_queries_of_a_page_do_not_grow_with_its_reports(town, clock) -> None:
    def statements() -> int:
        counted: list[str] = []

        def count(_connection, _cursor, statement, *_rest) -> None:
            counted.append(statement)
        event.listen(town.engine, "before_cursor_execute", count)
        try:
            fresh = TestClient(create_web_app(town))  # a new process: nothing cached
            assert fresh.get("/c/cotonou").status_code == 200
        finally:
            event.remove(town.engine, "before_cursor_execute", count)
        return len(counted)

    statements()  # the first connection's own queries (PostgreSQL asks the server's settings)
    few = statements()
    for n in range(30):
        filed(town, f"Lampadaire {n} éteint", address=f"+2299700{n:04d}")
    assert statements() == few


def test_the_bots_links_and_their_qr_codes(app, settings, clock, messenger) -> None:
    with FakeTwilioApi() as twilio:
        served = bootstrap(whatsapp_settings(settings, twilio), clock=clock,
                           messengers={"console": messenger})
        try:
            web = TestClient(create_web_app(served))
            text = web.get("/c/cotonou").text
            code = web.get("/c/cotonou/qr/0.svg")
        finally:
            served.close()

    assert "Sur WhatsApp : +14155238886" in text
    assert '<meta property="og:url" content="https://palabre.example.bj/c/cotonou">' in text
    assert 'href="https://wa.me/14155238886?text=Signaler%20un%20probl%C3%A8me"' in text
    assert code.status_code == 200 and code.text.startswith("<svg")
    assert web.get("/c/cotonou/qr/5.svg").status_code == 404


def test_the_page_cache_keeps_the_newest_and_forgets_the_oldest_first() -> None:
    from portal.pages import PageCache

    cache, made = PageCache(60.0), []
    cache.LIMIT = 3

    def page(n: int):
        return lambda: (made.append(n) or f"page {n}".encode(), "text/html")
    for n in range(5):
        cache.get(f"k{n}", page(n))
    cache.get("k4", page(4))  # still kept: not made again
    cache.get("k0", page(0))  # forgotten: made again

    assert made == [0, 1, 2, 3, 4, 0]

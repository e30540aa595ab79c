"""The inbox's free-text search on a real database: any case, with or without accents, every
word required, kept in step with edits and deletions, and the same rows whichever way the
database finds them (SQLite picks its FTS5 index for rare words, LIKE for common ones)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.citizens import service as citizens
from core.submissions import search
from core.submissions import service as submissions
from core.submissions.inbox import InboxFilter, inbox
from core.submissions.models import Kind, Submission

TEXTS = {
    "drain": ("Caniveau bouché devant l'École Sainte-Rita", None),
    "lamp": ("Lampadaire éteint au carrefour", "Éclairage public"),
    "drain-again": ("Le caniveau déborde quand il pleut", None),
    "odd": ("100% bouché_ici", None),
    "yoruba": ("Ọ̀nà ti bàjẹ́ ní Ìdí-Àràbà", None),
}


def _submit(app, description: str, title: str | None) -> str:
    with app.uow_factory() as uow:
        author = citizens.identify(uow=uow, channel="console", address="ama")
        new = submissions.NewSubmission(kind=Kind.REPORT, commune_id="BJ-LI-COT",
                                        channel="console", citizen_id=author.citizen_id,
                                        identity_id=author.id, description=description,
                                        title=title)
        reference = submissions.submit(uow=uow, new=new).reference
        uow.commit()
    return reference


@pytest.fixture
def filed(app) -> dict[str, str]:
    return {name: _submit(app, *texts) for name, texts in TEXTS.items()}


def _found(app, query: str) -> set[str]:
    with app.uow_factory() as uow:
        page = inbox(uow=uow, wanted=InboxFilter(text=query), limit=100)
        return {s.reference for s in page.items}


@pytest.fixture(params=["index", "like"])
def way(request, monkeypatch) -> str:
    """On SQLite, force the FTS5 index (every word counts as rare) or LIKE (none does)."""
    monkeypatch.setattr(search, "RARE_ENOUGH", 10**9 if request.param == "index" else 0)
    return request.param


@pytest.mark.parametrize(("query", "expected"), [
    ("caniveau", {"drain", "drain-again"}),
    ("CANIVEAU", {"drain", "drain-again"}),
    ("ecole", {"drain"}),
    ("ÉCOLE sainte", {"drain"}),
    ("caniveau rita", {"drain"}),
    ("eclairage", {"lamp"}),  # the title counts
    ("bouché", {"drain", "odd"}),
    ("100%", {"odd"}),
    ("_ici", {"odd"}),
    ("%", {"odd"}),
    ("de", {"drain", "drain-again"}),  # shorter than a trigram
    ("Ona idi-araba", {"yoruba"}),
    ("caniveau lampadaire", set()),
    ("xyz", set()),
    ('"caniveau', {"drain", "drain-again"}),
    ("cani\x00veau\x1b", {"drain", "drain-again"}),
])
def test_every_word_is_found_in_any_case_and_without_accents(app, filed, way, query,
                                                            expected) -> None:
    assert _found(app, query) == {filed[name] for name in expected}


def test_a_reference_is_found_by_its_own_words(app, filed, way) -> None:
    number = filed["lamp"].split("-")[-1]
    assert _found(app, f"lampadaire {number}") == {filed["lamp"]}


def test_search_follows_edits_and_deletions(app, filed, way) -> None:
    with app.uow_factory() as uow:
        lamp = uow.session.exec(select(Submission).where(
            Submission.reference == filed["lamp"])).one()
        lamp.description = "Poteau électrique tombé"
        drain = uow.session.exec(select(Submission).where(
            Submission.reference == filed["drain"])).one()
        uow.session.delete(drain)
        uow.commit()

    assert _found(app, "lampadaire") == set()
    assert _found(app, "electrique eclairage") == {filed["lamp"]}
    assert _found(app, "caniveau") == {filed["drain-again"]}


def test_search_text_is_stored_folded(app, filed) -> None:
    with app.uow_factory() as uow:
        stored = uow.session.exec(select(Submission.search_text).where(
            Submission.reference == filed["lamp"])).one()
    assert stored == f"eclairage public lampadaire eteint au carrefour {filed['lamp'].lower()}"

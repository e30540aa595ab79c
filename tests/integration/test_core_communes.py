"""Reference data on a real database: Benin's communes and arrondissements, per-commune lists,
and matching what citizens type."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func
from sqlmodel import select

from core.communes import service as communes
from core.communes.models import Arrondissement, Category, Commune, MunicipalService
from core.communes.seed import DEFAULT_CATEGORIES, DEFAULT_SERVICES


def _count(uow, model) -> int:
    return uow.session.exec(select(func.count()).select_from(model)).one()


def test_all_communes_and_arrondissements_are_loaded(app) -> None:
    with app.uow_factory() as uow:
        assert _count(uow, Commune) == 77
        assert _count(uow, Arrondissement) == 546
        assert len(communes.arrondissements_of(uow=uow, commune_id="BJ-LI-COT")) == 13


def test_commune_codes_are_unique_and_two_to_four_capitals(app) -> None:
    with app.uow_factory() as uow:
        codes = [c.code for c in communes.all_communes(uow=uow)]
    assert len(set(codes)) == len(codes) == 77
    assert [c for c in codes if not re.fullmatch(r"[A-Z]{2,4}", c)] == []


def test_pilot_communes_are_enabled_with_their_codes(app) -> None:
    with app.uow_factory() as uow:
        enabled = {c.id: c.code for c in communes.enabled_communes(uow=uow)}
    assert enabled["BJ-LI-COT"] == "COT"
    assert enabled["BJ-AQ-ABO"] == "CAL"
    assert "BJ-ZO-ABO" not in enabled  # Abomey is not a pilot


def test_seeding_again_adds_nothing(app) -> None:
    with app.uow_factory() as uow:
        assert communes.seed_reference_data(uow=uow, enable=["BJ-LI-COT"]) == 0
        uow.commit()
    with app.uow_factory() as uow:
        assert _count(uow, Commune) == 77
        assert _count(uow, Arrondissement) == 546
        assert len(communes.categories_of(uow=uow, commune_id="BJ-LI-COT")) == len(
            DEFAULT_CATEGORIES)


def test_enabling_a_commune_gives_it_the_default_categories_and_services(app) -> None:
    with app.uow_factory() as uow:  # not committed: the reference tables outlive the test
        assert communes.categories_of(uow=uow, commune_id="BJ-AQ-OUI") == []
        categories_before, services_before = _count(uow, Category), _count(uow, MunicipalService)
        ouidah = communes.set_enabled(uow=uow, commune="Ouidah", enabled=True)
        communes.set_enabled(uow=uow, commune="OUI", enabled=True)  # twice: no second list

        categories = communes.categories_of(uow=uow, commune_id="BJ-AQ-OUI")
        services = communes.services_of(uow=uow, commune_id="BJ-AQ-OUI")
        assert ouidah.enabled
        assert [c.code for c in categories] == [code for code, _, _ in DEFAULT_CATEGORIES]
        assert [s.code for s in services] == [code for code, _, _ in DEFAULT_SERVICES]
        assert categories[1].names == {"fr": "Caniveau, inondation", "en": "Drain, flooding"}
        assert _count(uow, Category) == categories_before + len(DEFAULT_CATEGORIES)
        assert _count(uow, MunicipalService) == services_before + len(DEFAULT_SERVICES)


def test_enabling_an_unknown_commune_is_refused(app) -> None:
    with app.uow_factory() as uow, pytest.raises(LookupError):
        communes.set_enabled(uow=uow, commune="Atlantis", enabled=True)


@pytest.mark.parametrize(("typed", "expected"), [
    ("Cotonou", "BJ-LI-COT"),
    ("  COTONOU ", "BJ-LI-COT"),
    ("abomey calavi", "BJ-AQ-ABO"),
    ("Akpro-Missérété", "BJ-OU-AKP"),
    ("akpro misserete", "BJ-OU-AKP"),
    ("cal", "BJ-AQ-ABO"),
    ("COT", "BJ-LI-COT"),
    ("BJ-ZO-BOH", "BJ-ZO-BOH"),
    ("bj-zo-boh", "BJ-ZO-BOH"),
    ("Bohi", "BJ-ZO-BOH"),  # a unique beginning of a name
    ("Abomey-Cal", "BJ-AQ-ABO"),
])
def test_find_enabled_commune(app, typed: str, expected: str) -> None:
    with app.uow_factory() as uow:
        found = communes.find_commune(uow=uow, text=typed)
    assert found is not None and found.id == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("Sèmè-Kpodji", "BJ-OU-SEM"),
    ("seme kpodji", "BJ-OU-SEM"),
    ("Savè", "BJ-CO-SAVE"),
    ("save", "BJ-CO-SAVE"),
    ("Abomey", "BJ-ZO-ABO"),  # the exact name wins over Abomey-Calavi
    ("n'dali", "BJ-BO-NDA"),
])
def test_find_any_commune_ignoring_accents(app, typed: str, expected: str) -> None:
    with app.uow_factory() as uow:
        found = communes.find_commune(uow=uow, text=typed, enabled_only=False)
    assert found is not None and found.id == expected


@pytest.mark.parametrize("typed", ["Ouidah", "Atlantis", "", "  ", "-", "Abomey-Calavi-Sud"])
def test_find_commune_finds_nothing(app, typed: str) -> None:
    with app.uow_factory() as uow:
        assert communes.find_commune(uow=uow, text=typed) is None


@pytest.mark.parametrize("typed", ["Abomey", "abo"])
def test_a_commune_not_enabled_is_not_taken_for_another_that_begins_alike(app,
                                                                         typed: str) -> None:
    """A citizen of Abomey (not enabled, code ABO) must not be filed under Abomey-Calavi."""
    with app.uow_factory() as uow:
        found = communes.find_commune(uow=uow, text=typed)
    assert found is None, f"{typed!r} was taken for {found.name}"


@pytest.mark.parametrize(("commune_id", "typed", "expected"), [
    ("BJ-AQ-ABO", "Godomey", "Godomey"),
    ("BJ-AQ-ABO", "GODOMEY", "Godomey"),
    ("BJ-AQ-ABO", "hêvié", "Hevie"),
    ("BJ-AQ-ABO", "godo", "Godomey"),
    ("BJ-AQ-ABO", "djigbe", "Golo-Djigbé"),  # a word inside the name
    ("BJ-OU-AKP", "Akpro-Missérété", "Akpro-Misserété"),
    ("BJ-ZO-BOH", "Bohicon I", "Bohicon I"),  # exact, although also a prefix of Bohicon II
    ("BJ-ZO-BOH", "bohicon ii", "Bohicon II"),
    ("BJ-LI-COT", "12", "12ème Arrondissement"),
])
def test_match_arrondissement(app, commune_id: str, typed: str, expected: str) -> None:
    with app.uow_factory() as uow:
        found = communes.match_arrondissement(uow=uow, commune_id=commune_id, text=typed)
    assert found is not None and found.name == expected and found.commune_id == commune_id


@pytest.mark.parametrize(("commune_id", "typed"), [
    ("BJ-AQ-ABO", "go"),  # Godomey or Golo-Djigbé
    ("BJ-ZO-BOH", "Bohicon"),  # Bohicon I or Bohicon II
    ("BJ-LI-COT", "arrondissement"),  # all thirteen
    ("BJ-LI-COT", "Godomey"),  # in Abomey-Calavi, not Cotonou
    ("BJ-AQ-ABO", "x"),
    ("BJ-AQ-ABO", ""),
])
def test_match_arrondissement_ambiguous_or_unknown_is_none(app, commune_id: str,
                                                           typed: str) -> None:
    with app.uow_factory() as uow:
        assert communes.match_arrondissement(uow=uow, commune_id=commune_id, text=typed) is None

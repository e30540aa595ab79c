"""The commune seats Palabre keeps (core/communes/data/centres.csv) and what they tell of a
pin: every commune has one, inside Benin, with its source; far pins are told, near ones not."""

from __future__ import annotations

import benin_geo
import pytest

from core.communes.centres import centres, elsewhere
from core.geo import Point, distance_m, in_benin


def test_every_commune_has_a_seat_in_benin_with_its_source() -> None:
    known = centres()

    assert set(known) == {c.id for c in benin_geo.communes}
    assert all(in_benin(c.point) for c in known.values())
    assert all(c.source == "estimate" or c.source.startswith("geonames:")
               for c in known.values())
    assert sum(c.source == "estimate" for c in known.values()) <= 10


def test_no_two_seats_are_the_same_place() -> None:
    points = [c.point for c in centres().values()]

    closest = min(distance_m(a, b) for i, a in enumerate(points) for b in points[i + 1:])
    assert closest > 2_000  # Adjarra and Avrankou, the nearest pair, are 3 km apart


@pytest.mark.parametrize(("commune", "pin", "near"), [
    ("BJ-LI-COT", Point(9.34, 2.63), "Parakou"),
    ("BJ-LI-COT", Point(6.37, 2.08), "Ouidah"),
    ("BJ-BO-PAR", Point(6.37, 2.42), "Cotonou"),
])
def test_a_pin_by_another_communes_seat_is_elsewhere(commune: str, pin: Point,
                                                      near: str) -> None:
    found = elsewhere(commune, pin)

    assert found is not None and found.nearest == near and found.km > 30


@pytest.mark.parametrize(("commune", "pin"), [
    ("BJ-LI-COT", Point(6.3703, 2.3912)),  # Vedoko, in Cotonou
    ("BJ-LI-COT", Point(6.4485, 2.3557)),  # Abomey-Calavi, its neighbour: a border is near
    ("BJ-AL-KAR", Point(11.80, 2.70)),  # the W park: 60 km from Karimama, no seat nearer
    ("XX-UNKNOWN", Point(9.34, 2.63)),
])
def test_a_pin_in_or_near_its_commune_is_not_questioned(commune: str, pin: Point) -> None:
    assert elsewhere(commune, pin) is None

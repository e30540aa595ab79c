"""Where each commune is: one point per commune (its seat), from core/communes/data/centres.csv
(GeoNames, and nine seats estimated from maps; scripts/commune_centres.py says how it was
made), to tell a pin dropped far outside the commune a citizen chose.

No offline source has Benin's commune boundaries, so a pin is judged by distances: it is
outside when it lies more than FAR_KM from its commune's seat and another commune's seat is
at least NEARER_BY times closer. A pin near a border, or in a vast northern commune, is not
questioned; a pin in Parakou for a report of Cotonou is.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.geo import Point, distance_m

CENTRES = Path(__file__).with_name("data") / "centres.csv"
FAR_KM = 30.0
NEARER_BY = 3.0


@dataclass(frozen=True)
class Centre:
    commune_id: str
    name: str
    point: Point
    source: str  # "geonames:<id>" or "estimate"


@dataclass(frozen=True)
class Elsewhere:
    """A pin that seems outside its commune: how far from it, and the commune it is near."""

    commune: str
    km: int
    nearest_id: str
    nearest: str


@cache
def centres() -> dict[str, Centre]:
    with CENTRES.open(encoding="utf-8", newline="") as rows:
        return {row["commune_id"]: Centre(row["commune_id"], row["commune"],
                                          Point(float(row["latitude"]), float(row["longitude"])),
                                          row["source"])
                for row in csv.DictReader(rows)}


def elsewhere(commune_id: str, pin: Point) -> Elsewhere | None:
    """Why the pin seems outside the commune, or None (inside, or a commune not listed)."""
    known = centres()
    own = known.get(commune_id)
    if own is None:
        return None
    km = distance_m(own.point, pin) / 1000
    if km <= FAR_KM:
        return None
    nearest = min(known.values(), key=lambda c: distance_m(c.point, pin))
    if nearest.commune_id == commune_id or distance_m(nearest.point, pin) / 1000 * NEARER_BY > km:
        return None
    return Elsewhere(own.name, round(km), nearest.commune_id, nearest.name)

"""Geography helpers: distances, Benin's bounds, name matching."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_000.0
# Benin's territory with a small margin: 6.1–12.5 N, 0.7–3.9 E.
BENIN_BOUNDS = (6.1, 12.5, 0.7, 3.9)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi = phi2 - phi1
    dlmb = math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def in_benin(point: Point) -> bool:
    """Whether the point lies within Benin's bounding box."""
    lat_min, lat_max, lon_min, lon_max = BENIN_BOUNDS
    return lat_min <= point.latitude <= lat_max and lon_min <= point.longitude <= lon_max


_SEPARATORS = re.compile(r"[-'’_.,/]+")
_SPACES = re.compile(r"\s+")


def normalise_name(text: str) -> str:
    """Lower case, no diacritics, separators as single spaces: 'Sèmè-Kpodji' -> 'seme kpodji'."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return _SPACES.sub(" ", _SEPARATORS.sub(" ", bare.lower())).strip()

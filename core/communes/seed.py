"""Reference data: Benin's communes from benin-geo, and default categories and services."""

from __future__ import annotations

import benin_geo

# Where the last part of the benin-geo id is not unique (or not three letters), a chosen code.
CODE_OVERRIDES = {
    "BJ-AQ-ABO": "CAL",  # Abomey-Calavi (Abomey keeps ABO)
    "BJ-CO-BAN": "BTE",  # Bantè (Banikoara keeps BAN)
    "BJ-ZO-OUI": "OUH",  # Ouinhi (Ouidah keeps OUI)
    "BJ-OU-ADJA": "AJA",  # Adjarra
    "BJ-OU-ADJO": "AJO",  # Adjohoun
    "BJ-CO-SAVA": "SVL",  # Savalou
    "BJ-CO-SAVE": "SAV",  # Savè
    "BJ-AQ-ZE": "ZEE",  # Zè
}

# The communes of the first pilots, enabled by default.
PILOT_COMMUNES = ("BJ-LI-COT", "BJ-AQ-ABO", "BJ-OU-AKP", "BJ-ZO-BOH", "BJ-AL-BAN", "BJ-AQ-TOF",
                  "BJ-OU-AVR")

DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("road", "Voirie, route, pont", "Road, street, bridge"),
    ("drain", "Caniveau, inondation", "Drain, flooding"),
    ("street_light", "Éclairage public", "Street light"),
    ("waste", "Ordures, dépotoir", "Waste, dump"),
    ("market", "Marché", "Market"),
    ("water", "Point d'eau, forage", "Water point, borehole"),
    ("school", "École, bâtiment public", "School, public building"),
    ("other", "Autre problème", "Other problem"),
)

DEFAULT_SERVICES: tuple[tuple[str, str, str], ...] = (
    ("civil_status", "État civil", "Civil registry"),
    ("land", "Affaires domaniales", "Land office"),
    ("urbanism", "Urbanisme, permis de construire", "Urban planning, building permits"),
    ("technical", "Services techniques", "Technical services"),
    ("taxes", "Recettes, taxes, marchés", "Revenue, taxes, markets"),
    ("social", "Affaires sociales", "Social affairs"),
    ("hygiene", "Hygiène et assainissement", "Hygiene and sanitation"),
    ("reception", "Accueil de la mairie", "Town hall reception"),
    ("other", "Autre service", "Other service"),
)


def commune_code(geo_id: str) -> str:
    """The short code of a commune used in references: COT for Cotonou."""
    return CODE_OVERRIDES.get(geo_id, geo_id.rsplit("-", 1)[-1])


def geo_communes() -> tuple[benin_geo.Commune, ...]:
    return tuple(benin_geo.communes)


def geo_departments() -> dict[str, str]:
    return {d.id: d.nom for d in benin_geo.departements}


def geo_arrondissements(commune_id: str) -> tuple[benin_geo.Arrondissement, ...]:
    return tuple(benin_geo.arrondissements_de(commune_id))

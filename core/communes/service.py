"""Communes and their reference lists: seeding, lookup, matching what citizens type."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, insert
from sqlmodel import col, select

from core import errors
from core.communes import seed
from core.communes.models import Arrondissement, Category, Commune, MunicipalService
from core.geo import normalise_name
from core.uow import UnitOfWork


def seed_reference_data(*, uow: UnitOfWork, enable: Iterable[str] = ()) -> int:
    """Load all 77 communes and their arrondissements; when they are first loaded, enable the
    given ones (afterwards operators enable and disable communes themselves). Idempotent."""
    known = {c.id for c in uow.session.exec(select(Commune)).all()}
    departments = seed.geo_departments()
    missing = [geo for geo in seed.geo_communes() if geo.id not in known]
    uow.session.add_all(Commune(id=geo.id, code=seed.commune_code(geo.id), name=geo.nom,
                                department_id=geo.parent, department_name=departments[geo.parent])
                        for geo in missing)
    uow.session.flush()
    uow.session.add_all(Arrondissement(id=a.id, commune_id=geo.id, name=a.nom,
                                       search_name=normalise_name(a.nom))
                        for geo in missing for a in seed.geo_arrondissements(geo.id))
    uow.session.flush()
    if missing:
        for wanted in enable:
            set_enabled(uow=uow, commune=wanted, enabled=True)
    return len(missing)


def set_enabled(*, uow: UnitOfWork, commune: str, enabled: bool) -> Commune:
    """Enable or disable a commune (by id, code or name); enabling adds default lists."""
    found = uow.session.get(Commune, commune) \
        or find_commune(uow=uow, text=commune, enabled_only=False)
    if found is None:
        raise LookupError(f"unknown commune: {commune}")
    found.enabled = enabled
    uow.session.add(found)
    if enabled:
        _add_default_lists(uow=uow, commune_id=found.id)
    return found


def _add_default_lists(*, uow: UnitOfWork, commune_id: str) -> None:
    if uow.session.exec(select(Category).where(Category.commune_id == commune_id)).first():
        return
    for model, defaults in ((Category, seed.DEFAULT_CATEGORIES),
                            (MunicipalService, seed.DEFAULT_SERVICES)):
        uow.session.execute(insert(model), [  # one statement a list
            {"commune_id": commune_id, "code": code, "names": {"fr": fr, "en": en},
             "position": position} for position, (code, fr, en) in enumerate(defaults)])


def enabled_communes(*, uow: UnitOfWork) -> list[Commune]:
    query = select(Commune).where(col(Commune.enabled)).order_by(col(Commune.name))
    return list(uow.session.exec(query).all())


def get_commune(*, uow: UnitOfWork, commune_id: str) -> Commune | None:
    return uow.session.get(Commune, commune_id)


def find_commune(*, uow: UnitOfWork, text: str, enabled_only: bool = True) -> Commune | None:
    """The commune whose id, code or name matches what was typed (accents and case ignored)."""
    wanted = normalise_name(text)
    if not wanted:
        return None
    communes = uow.session.exec(select(Commune)).all()
    found = _match_commune(communes, wanted)
    if found is None or (enabled_only and not found.enabled):
        return None
    return found


def _match_commune(communes: Sequence[Commune], wanted: str) -> Commune | None:
    """Among all 77 (so that 'Abomey' is never taken for Abomey-Calavi): exact id, code or
    name, else the one name that a word of begins with the text."""
    for commune in communes:
        if wanted in (normalise_name(commune.id), commune.code.lower(),
                      normalise_name(commune.name)):
            return commune
    starting = [c for c in communes
                if any(word.startswith(wanted) for word in _words(c.name))]
    return starting[0] if len(starting) == 1 else None


def _words(name: str) -> list[str]:
    normalised = normalise_name(name)
    return [normalised, *normalised.split(" ")]


def arrondissements_of(*, uow: UnitOfWork, commune_id: str) -> list[Arrondissement]:
    query = (select(Arrondissement).where(Arrondissement.commune_id == commune_id)
             .order_by(col(Arrondissement.id)))
    return list(uow.session.exec(query).all())


def match_arrondissement(*, uow: UnitOfWork, commune_id: str, text: str) -> Arrondissement | None:
    """The commune's arrondissement named by the text: exact, then a unique prefix or word."""
    wanted = normalise_name(text)
    if len(wanted) < 2:
        return None
    candidates = arrondissements_of(uow=uow, commune_id=commune_id)
    exact = [a for a in candidates if a.search_name == wanted]
    if exact:
        return exact[0]
    partial = [a for a in candidates if a.search_name.startswith(wanted)
               or (len(wanted) >= 4 and wanted in a.search_name)]
    return partial[0] if len(partial) == 1 else None


def categories_of(*, uow: UnitOfWork, commune_id: str,
                  include_inactive: bool = False) -> list[Category]:
    query = select(Category).where(Category.commune_id == commune_id)
    if not include_inactive:
        query = query.where(col(Category.active))
    return list(uow.session.exec(query.order_by(col(Category.position), col(Category.id))).all())


def services_of(*, uow: UnitOfWork, commune_id: str,
                include_inactive: bool = False) -> list[MunicipalService]:
    query = select(MunicipalService).where(MunicipalService.commune_id == commune_id)
    if not include_inactive:
        query = query.where(col(MunicipalService.active))
    order = (col(MunicipalService.position), col(MunicipalService.id))
    return list(uow.session.exec(query.order_by(*order)).all())


def all_communes(*, uow: UnitOfWork) -> list[Commune]:
    return list(uow.session.exec(select(Commune)).all())


def add_category(*, uow: UnitOfWork, commune_id: str, code: str, names: dict[str, str],
                 position: int | None = None) -> Category:
    """A new report category for a commune (codes are unique per commune)."""
    _require_names(names)
    if _exists(uow, Category, commune_id, code):
        raise errors.Conflict(f"category {code!r} already exists in {commune_id}")
    category = Category(commune_id=commune_id, code=code, names=dict(names),
                        position=position if position is not None else _next_position(
                            uow, Category, commune_id))
    uow.session.add(category)
    uow.session.flush()
    return category


def add_service(*, uow: UnitOfWork, commune_id: str, code: str, names: dict[str, str],
                position: int | None = None) -> MunicipalService:
    """A new municipal service for complaints and suggestions in a commune."""
    _require_names(names)
    if _exists(uow, MunicipalService, commune_id, code):
        raise errors.Conflict(f"service {code!r} already exists in {commune_id}")
    service = MunicipalService(commune_id=commune_id, code=code, names=dict(names),
                               position=position if position is not None else _next_position(
                                   uow, MunicipalService, commune_id))
    uow.session.add(service)
    uow.session.flush()
    return service


def update_listing(*, uow: UnitOfWork, item: Category | MunicipalService,
                   names: dict[str, str] | None = None, position: int | None = None,
                   active: bool | None = None) -> Category | MunicipalService:
    """Rename, reorder or (de)activate a category or service; inactive ones are kept for
    the submissions that use them but no longer offered to citizens."""
    if names is not None:
        _require_names(names)
        item.names = dict(names)
    if position is not None:
        item.position = position
    if active is not None:
        item.active = active
    uow.session.add(item)
    return item


def _require_names(names: dict[str, str]) -> None:
    if not names.get("fr", "").strip():
        raise errors.Invalid("a French name is required (names.fr)")


def _exists(uow: UnitOfWork, table: type[Category] | type[MunicipalService], commune_id: str,
            code: str) -> bool:
    query = select(table).where(table.commune_id == commune_id, table.code == code)
    return uow.session.exec(query).first() is not None


def _next_position(uow: UnitOfWork, table: type[Category] | type[MunicipalService],
                   commune_id: str) -> int:
    query = select(func.max(table.position)).where(table.commune_id == commune_id)
    highest = uow.session.exec(query).one()
    return 0 if highest is None else int(highest) + 1

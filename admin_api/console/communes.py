"""Which of a moderator's communes a console page is about, and a row of theirs by its id."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException

from core.communes import service as communes
from core.communes.models import Commune
from core.moderation import service as moderation
from core.moderation.models import Moderator
from core.uow import UnitOfWork

Row = TypeVar("Row")


def chosen_commune(uow: UnitOfWork, moderator: Moderator, wanted: str, *,
                   strict: bool = False) -> tuple[Commune, list[Commune]]:
    """(the commune asked for, every commune the moderator works for); their first one when
    none is asked for. `strict` (a form that acts): a commune not theirs is 404, as in the
    API, never another one silently."""
    mine = [c for c in communes.enabled_communes(uow=uow) if moderation.may_see(moderator, c.id)]
    found = next((c for c in mine if c.id == wanted), None)
    if found is None and (strict or not mine):
        raise HTTPException(404, "error.not_found")
    return found or mine[0], mine


def communes_row(uow: UnitOfWork, moderator: Moderator, table: type[Row], row_id: int) -> Row:
    """The row of `table` with this id, when it belongs to one of the moderator's communes;
    404 otherwise, as in the API (a URL naming another commune's row finds nothing)."""
    found: Any = uow.session.get(table, row_id) if 0 < row_id < 2**31 else None
    if found is None or not moderation.may_see(moderator, found.commune_id):
        raise HTTPException(404, "error.not_found")
    return found  # type: ignore[no-any-return]

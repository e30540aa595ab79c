"""`palabre i18n status` counts the categories and services that can be named in each
language: the commune's own name, or the catalog's reviewed one for its code."""

from __future__ import annotations

from sqlmodel import select

from core.communes import service as communes
from core.communes.models import Category
from dialogs.i18n import Catalogs
from palabre.i18n import names_coverage


def test_names_are_counted_from_the_communes_and_the_reviewed_catalogs(app) -> None:
    catalogs = Catalogs.load()
    with app.uow_factory() as uow:
        enabled = len(communes.enabled_communes(uow=uow))
        before = names_coverage(uow, catalogs, ["fr", "en", "yo"])
        drain = uow.session.exec(select(Category).where(Category.code == "drain")).first()
        assert drain is not None
        communes.update_listing(uow=uow, item=drain, names={**drain.names, "yo": "Ọ̀gbàrá"},
                                active=True)
        reviewed = Catalogs({**catalogs.messages,
                             "yo": {"service.civil_status": "Ìforúkọsílẹ̀"}})
        after = names_coverage(uow, reviewed, ["yo"])

    total = before["fr"][1]
    assert before["fr"] == before["en"] == (total, total) and total > enabled
    assert before["yo"] == (0, total)  # Yoruba's drafts are not reviewed: nothing counted
    # the drain renamed in one commune, and the civil status service of every commune
    assert after["yo"] == (1 + enabled, total)

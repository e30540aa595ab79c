"""Reading gettext catalogs: one .po file per language under <root>/<lang>/LC_MESSAGES/.
The bot's words (dialogs/) and the console's (admin_api/console/) are read the same way."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po


def read_catalogs(root: Path, domain: str) -> dict[str, dict[str, str]]:
    """Each language's translated messages by key; empty and fuzzy entries (drafts nobody
    reviewed) are left out, so that the default language shows instead."""
    found = {}
    for po in sorted(root.glob(f"*/LC_MESSAGES/{domain}.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        found[po.parent.parent.name] = {str(m.id): str(m.string) for m in catalog
                                        if m.id and m.string and not m.fuzzy}
    return found

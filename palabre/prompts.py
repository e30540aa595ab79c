"""`palabre prompts status`: per commune and language, how many of the bot's messages the
mairie has recorded for citizens who speak it (the console's « Messages vocaux » records them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import click

from core.communes import service as communes
from core.prompts import service as prompts
from core.prompts.models import PromptRecording
from dialogs.i18n import Catalogs


def coverage(recordings: Iterable[PromptRecording],
             keys: Mapping[str, str]) -> dict[tuple[str, str], list[str]]:
    """(commune, language) → the message keys recorded, among the catalog's."""
    found: dict[tuple[str, str], list[str]] = {}
    for row in recordings:
        if row.key in keys:
            found.setdefault((row.commune_id, row.language), []).append(row.key)
    return found


def status_lines(found: Mapping[tuple[str, str], list[str]], keys: Mapping[str, str],
                 names: Mapping[str, str], *, missing: bool) -> list[str]:
    """The report: a line per commune and language, the missing keys under it if asked."""
    if not found:
        return ["No message is recorded yet: the console's « Messages vocaux » page records "
                "them, by commune and language."]
    lines = []
    for (commune, language), recorded in sorted(found.items()):
        groups = Counter(key.split(".", 1)[0] for key in recorded)
        lines.append(f"{names.get(commune, commune)} · {language}: {len(recorded)} of "
                     f"{len(keys)} messages recorded ("
                     + ", ".join(f"{group} {count}" for group, count in groups.most_common())
                     + ")")
        if missing:
            lines += [f"    not recorded: {key}" for key in keys if key not in recorded]
    return lines


@click.group("prompts")
def prompts_group() -> None:
    """The bot's messages recorded by the mairies in the languages citizens speak."""


@prompts_group.command("status")
@click.option("--missing", is_flag=True, help="list the messages not recorded yet")
def status_command(missing: bool) -> None:
    """Per commune and language, which of the bot's messages are recorded."""
    from palabre.cli import _app  # here: the command line registers this group

    keys = Catalogs.load().messages["fr"]
    app = _app()
    try:
        with app.uow_factory() as uow:
            recordings = prompts.everywhere(uow=uow)
            names = {c.id: c.name for c in communes.enabled_communes(uow=uow)}
    finally:
        app.close()
    for line in status_lines(coverage(recordings, keys), keys, names, missing=missing):
        click.echo(line)

"""The translators' commands: how complete each language's catalogs are, a new language's
catalog made from the French one, and every catalog kept to the French keys.

French is the reference: its catalog holds every key the code uses. A translated entry counts
once a person has reviewed it (not fuzzy); a fuzzy entry is a draft (a machine's, or a guess)
that the bot never shows; an empty one is still to do. A bot catalog is offered to citizens
when its `language.name` is reviewed (dialogs.i18n).

    palabre i18n status              completeness per language, and category/service names
    palabre i18n add fon             dialogs/locales/fon/LC_MESSAGES/palabre.po from French
    palabre i18n update              every catalog given the keys French gained, and rid of
                                     those it lost
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import click
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from admin_api.console.i18n import LOCALES as CONSOLE_LOCALES
from core.communes import service as communes
from core.communes.models import Category, MunicipalService
from core.languages import is_code as is_language_code
from core.uow import UnitOfWork
from dialogs.i18n import LOCALES as BOT_LOCALES
from dialogs.i18n import Catalogs
from portal.words import LOCALES as PORTAL_LOCALES

REFERENCE = "fr"
DOMAINS: Mapping[str, Path] = {"palabre": BOT_LOCALES, "console": CONSOLE_LOCALES,
                               "portal": PORTAL_LOCALES}


@dataclass(frozen=True)
class Completeness:
    """One catalog against the French keys."""

    language: str
    domain: str
    total: int
    reviewed: int
    fuzzy: int
    offered: bool

    @property
    def missing(self) -> int:
        return self.total - self.reviewed - self.fuzzy

    @property
    def share(self) -> float:
        return self.reviewed / self.total if self.total else 0.0


def catalog_path(root: Path, language: str, domain: str) -> Path:
    return root / language / "LC_MESSAGES" / f"{domain}.po"


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)


def languages(root: Path, domain: str) -> list[str]:
    """The languages with a catalog in this domain, French first."""
    found = sorted(po.parent.parent.name for po in root.glob(f"*/LC_MESSAGES/{domain}.po"))
    return sorted(found, key=lambda language: (language != REFERENCE, language != "en",
                                               language))


def reference_keys(root: Path, domain: str) -> list[str]:
    return [str(message.id) for message in load(catalog_path(root, REFERENCE, domain))
            if message.id]


def completeness(root: Path, domain: str) -> list[Completeness]:
    """Each catalog's reviewed, fuzzy and missing entries among the French keys."""
    keys = set(reference_keys(root, domain))
    found = []
    for language in languages(root, domain):
        entries = {str(m.id): m for m in load(catalog_path(root, language, domain)) if m.id}
        present = [entries[key] for key in keys if key in entries and entries[key].string]
        reviewed = {str(m.id) for m in present if not m.fuzzy}
        found.append(Completeness(language, domain, len(keys), len(reviewed),
                                  sum(1 for m in present if m.fuzzy),
                                  offered="language.name" in reviewed or domain != "palabre"))
    return found


def add_language(root: Path, domain: str, language: str) -> Path:
    """A new catalog with every French key, nothing translated; FileExistsError if there."""
    path = catalog_path(root, language, domain)
    if path.exists():
        raise FileExistsError(path)
    reference = load(catalog_path(root, REFERENCE, domain))
    catalog = Catalog(locale=None, domain=domain, project="Palabre", header_comment=(
        f"# The {language} words of Palabre ({domain}), translated from the French ones.\n"
        "# A draft is marked fuzzy: it is shown once a speaker has reviewed it and removed\n"
        "# the mark. See docs/translators.md."))
    for message in reference:
        if message.id:
            catalog.add(message.id, "", auto_comments=[f"fr: {message.string}"])
    save(catalog, path)
    _set_language(path, language)
    return path


def _set_language(path: Path, language: str) -> None:
    """Babel knows no Fon or Goun locale: the header's Language line is written as text."""
    text = path.read_text(encoding="utf-8")
    if "\"Language: " not in text:
        text = text.replace('"MIME-Version: 1.0\\n"', f'"Language: {language}\\n"\n'
                            '"MIME-Version: 1.0\\n"', 1)
    path.write_text(text, encoding="utf-8")


def update(root: Path, domain: str) -> dict[str, tuple[int, int, int]]:
    """Every catalog given the French keys it lacks (empty) and rid of those French no longer
    has; a translation whose French changed since is marked fuzzy (to review) with the new
    French beside it. Per language: how many added, removed, to review again."""
    reference = load(catalog_path(root, REFERENCE, domain))
    keys = [str(message.id) for message in reference if message.id]
    french = {str(message.id): message.string for message in reference if message.id}
    changed = {}
    for language in languages(root, domain):
        if language == REFERENCE:
            continue
        path = catalog_path(root, language, domain)
        catalog = load(path)
        present = {str(message.id) for message in catalog if message.id}
        gone = [key for key in present if key not in french]
        for key in gone:
            catalog.delete(key)
        added = [key for key in keys if key not in present]
        for key in added:
            catalog.add(key, "", auto_comments=[f"fr: {french[key]}"])
        moved = [key for key in keys if key in present and _french_moved(catalog[key],
                                                                         french[key])]
        for key in moved:
            _review_again(catalog[key], french[key])
        if added or gone or moved:
            save(catalog, path)
        changed[language] = (len(added), len(gone), len(moved))
    return changed


DRAFTED = "machine draft"  # the comment that marks a machine's draft


def _french_beside(message: Message) -> str | None:
    """The French written above a message (`#. fr: …`, wrapped on several lines), if any."""
    lines = [c for c in message.auto_comments if not c.startswith(DRAFTED)]
    if not lines or not lines[0].startswith("fr: "):
        return None
    return " ".join(" ".join(lines).removeprefix("fr: ").split())


def _french_moved(message: Message, french: str) -> bool:
    """Whether the French beside a message is no longer the French."""
    beside = _french_beside(message)
    return beside is not None and beside != " ".join(french.split())


def _review_again(message: Message, french: str) -> None:
    """The new French beside the message, and its translation back to a draft."""
    drafted = [c for c in message.auto_comments if c.startswith(DRAFTED)]
    message.auto_comments = [f"fr: {french}", *drafted]
    if message.string:
        message.flags.add("fuzzy")


def status_lines(found: Iterable[Completeness]) -> list[str]:
    """The status table: one line per catalog."""
    lines = [f"{'language':<9}{'catalog':<9}{'reviewed':>14}{'drafts':>8}{'to do':>7}  offered"]
    for row in found:
        offered = "yes" if row.offered else "no (language.name not reviewed)"
        lines.append(f"{row.language:<9}{row.domain:<9}{row.reviewed:>6}/{row.total:<4}"
                     f"{row.share:>4.0%}{row.fuzzy:>8}{row.missing:>7}  {offered}")
    return lines


def names_coverage(uow: UnitOfWork, catalogs: Catalogs,
                   wanted: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per language, how many of the enabled communes' offered categories and services have
    a name in it (the commune's own, or the catalog's reviewed one for their code), of all."""
    items: list[tuple[str, Category | MunicipalService]] = []
    for commune in communes.enabled_communes(uow=uow):
        items += [("category", c) for c in communes.categories_of(uow=uow, commune_id=commune.id)]
        items += [("service", s) for s in communes.services_of(uow=uow, commune_id=commune.id)]
    return {language: (sum(1 for kind, item in items if item.names.get(language)
                           or f"{kind}.{item.code}" in catalogs.messages.get(language, {})),
                       len(items))
            for language in wanted}


def names_lines(coverage: Mapping[str, tuple[int, int]]) -> list[str]:
    """Per language, how many of the communes' categories and services can be named in it."""
    return [f"{language:<9}names    {named:>6}/{total:<4} categories and services named "
            "(the commune's own name, or the catalog's for its code)"
            for language, (named, total) in coverage.items()]


@click.group("i18n")
def i18n_group() -> None:
    """Translations: completeness per language, a new language, catalogs kept in step."""


@i18n_group.command("status")
@click.option("--names/--no-names", default=True,
              help="also count the categories and services named in each language "
                   "(reads the database)")
def status_command(names: bool) -> None:
    """How complete each language is, per catalog (the bot's, the console's)."""
    found = [row for domain, root in DOMAINS.items() for row in completeness(root, domain)]
    for line in status_lines(found):
        click.echo(line)
    if names:
        from palabre.cli import _app  # here: the command line registers this group

        app = _app()
        try:
            with app.uow_factory() as uow:
                bot = [row.language for row in found if row.domain == "palabre"]
                coverage = names_coverage(uow, Catalogs.load(), bot)
        finally:
            app.close()
        for line in names_lines(coverage):
            click.echo(line)


@i18n_group.command("add")
@click.argument("language")
@click.option("--console", "domain", flag_value="console", default="palabre",
              help="the moderators' console catalog instead of the bot's")
@click.option("--portal", "domain", flag_value="portal",
              help="the communes' public pages catalog instead of the bot's")
def add_command(language: str, domain: str) -> None:
    """Start LANGUAGE's catalog (an ISO 639 code: fon, yo, guw) from the French one."""
    if not is_language_code(language):
        raise click.BadParameter("an ISO 639 code such as fon, yo or guw", param_hint="LANGUAGE")
    try:
        path = add_language(DOMAINS[domain], domain, language)
    except FileExistsError as exists:
        raise click.ClickException(f"{exists.args[0]} exists already: translate it, or run "
                                   "'palabre i18n update' to give it new keys") from None
    click.echo(f"{path}: {len(reference_keys(DOMAINS[domain], domain))} messages to translate "
               "(see docs/translators.md); set language.name last, when it is ready")


@i18n_group.command("update")
def update_command() -> None:
    """Give every catalog the keys French gained, and rid it of those French lost."""
    for domain, root in DOMAINS.items():
        for language, (added, removed, moved) in update(root, domain).items():
            click.echo(f"{language} {domain}: {added} added, {removed} removed, "
                       f"{moved} to review again (their French changed)")

"""Translators' path: catalogs for the languages of Benin kept to the French keys, drafts
never shown, a language offered once its name is reviewed, category and service names per
language, and `palabre i18n` (add, update, status)."""

from __future__ import annotations

import shutil
from pathlib import Path
from string import Formatter

import pytest
from click.testing import CliRunner

from core.communes.seed import DEFAULT_CATEGORIES, DEFAULT_SERVICES
from dialogs.i18n import LOCALES, Catalogs
from palabre import i18n

BOT = "palabre"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of the bot's catalogs to change."""
    return Path(shutil.copytree(LOCALES, tmp_path / "locales"))


@pytest.mark.parametrize("language", i18n.languages(LOCALES, BOT))
def test_every_catalog_holds_exactly_the_french_keys(language: str) -> None:
    french = set(i18n.reference_keys(LOCALES, BOT))
    found = {str(m.id) for m in i18n.load(i18n.catalog_path(LOCALES, language, BOT)) if m.id}

    assert sorted(found ^ french) == [], "run 'palabre i18n update'"


@pytest.mark.parametrize("language", i18n.languages(LOCALES, BOT))
def test_translations_and_drafts_keep_the_french_placeholders(language: str) -> None:
    french = {str(m.id): m.string for m in i18n.load(i18n.catalog_path(LOCALES, "fr", BOT))}
    differing = {str(m.id): m.string
                 for m in i18n.load(i18n.catalog_path(LOCALES, language, BOT))
                 if m.id and m.string and placeholders(m.string) != placeholders(
                     french[str(m.id)])}

    assert differing == {}


def test_fon_and_yoruba_are_drafted_but_not_offered_until_reviewed() -> None:
    catalogs = Catalogs.load()
    yoruba = i18n.load(i18n.catalog_path(LOCALES, "yo", BOT))

    assert {"fon", "yo"} <= set(i18n.languages(LOCALES, BOT))
    assert yoruba["language.name"].string == "Yorùbá" and yoruba["language.name"].fuzzy
    assert catalogs.languages == ["fr", "en"]
    assert catalogs.template("yo", "common.skip") == "Passer"  # the draft « Fò ó » is not shown


def test_a_catalog_is_offered_once_a_speaker_reviewed_its_name() -> None:
    french = Catalogs.load().messages["fr"]
    catalogs = Catalogs({"fr": french, "yo": {"language.name": "Yorùbá", "common.skip": "Fò ó"},
                         "fon": {"common.skip": "draft reviewed, name not yet"}})

    assert catalogs.languages == ["fr", "yo"]
    assert catalogs.template("yo", "common.skip") == "Fò ó"
    assert catalogs.template("yo", "menu.title") == french["menu.title"]  # the rest in French


def test_category_and_service_names_per_language() -> None:
    catalogs = Catalogs({"fr": {"category.drain": "Caniveau, inondation"},
                         "yo": {"category.drain": "Ọ̀gbàrá, omíyalé"}})
    seeded = {"fr": "Caniveau, inondation", "en": "Drain, flooding"}
    own = {**seeded, "yo": "Ọ̀gbàrá"}

    assert catalogs.named("category", "drain", seeded, "yo") == "Ọ̀gbàrá, omíyalé"
    assert catalogs.named("category", "drain", own, "yo") == "Ọ̀gbàrá"  # the commune's own
    assert catalogs.named("category", "drain", seeded, "en") == "Drain, flooding"
    assert catalogs.named("category", "drain", seeded, "fon") == "Caniveau, inondation"
    assert catalogs.named("category", "bins", {"fr": "Poubelles"}, "yo") == "Poubelles"


def test_the_catalog_names_every_default_category_and_service_as_the_seeds_do() -> None:
    messages = Catalogs.load().messages
    for kind, rows in (("category", DEFAULT_CATEGORIES), ("service", DEFAULT_SERVICES)):
        for code, french, english in rows:
            assert messages["fr"][f"{kind}.{code}"] == french
            assert messages["en"][f"{kind}.{code}"] == english


def test_a_new_language_starts_from_every_french_key(locales: Path) -> None:
    path = i18n.add_language(locales, BOT, "guw")
    goun = i18n.load(path)

    assert path == locales / "guw" / "LC_MESSAGES" / "palabre.po"
    assert {str(m.id) for m in goun if m.id} == set(i18n.reference_keys(locales, BOT))
    assert all(not m.string for m in goun if m.id)
    assert "Language: guw" in path.read_text(encoding="utf-8")
    assert goun["common.skip"].auto_comments == ["fr: Passer"]  # the French beside each
    with pytest.raises(FileExistsError):
        i18n.add_language(locales, BOT, "guw")


def test_update_gives_catalogs_new_keys_and_keeps_translations(locales: Path) -> None:
    french_path = i18n.catalog_path(locales, "fr", BOT)
    french = i18n.load(french_path)
    french.add("help.new_line", "Une nouvelle phrase")
    french.delete("common.skip_all")
    i18n.save(french, french_path)

    changed = i18n.update(locales, BOT)
    english = i18n.load(i18n.catalog_path(locales, "en", BOT))
    yoruba = i18n.load(i18n.catalog_path(locales, "yo", BOT))

    assert changed == {"en": (1, 1, 0), "fon": (1, 1, 0), "yo": (1, 1, 0)}
    assert english["help.new_line"].string == "" and english.get("common.skip_all") is None
    assert english["common.skip"].string == "Skip"
    assert yoruba["common.skip"].string == "Fò ó" and yoruba["common.skip"].fuzzy
    assert i18n.update(locales, BOT) == {"en": (0, 0, 0), "fon": (0, 0, 0), "yo": (0, 0, 0)}


def test_a_translation_whose_french_changed_is_a_draft_again(locales: Path) -> None:
    french_path = i18n.catalog_path(locales, "fr", BOT)
    french = i18n.load(french_path)
    french["common.skip"].string = "Passer cette question"
    i18n.save(french, french_path)
    yoruba_path = i18n.catalog_path(locales, "yo", BOT)
    yoruba = i18n.load(yoruba_path)
    yoruba["common.skip"].flags.discard("fuzzy")  # a speaker had reviewed « Fò ó »
    i18n.save(yoruba, yoruba_path)

    changed = i18n.update(locales, BOT)
    again = i18n.load(yoruba_path)["common.skip"]

    assert changed["yo"] == (0, 0, 1) and changed["fon"] == (0, 0, 1)
    assert again.fuzzy and again.string == "Fò ó"
    assert again.auto_comments[0] == "fr: Passer cette question"
    assert i18n.update(locales, BOT)["yo"] == (0, 0, 0)  # said once


def test_status_counts_reviewed_drafts_and_what_is_left(locales: Path) -> None:
    found = {row.language: row for row in i18n.completeness(locales, BOT)}
    lines = i18n.status_lines(found.values())

    total = len(i18n.reference_keys(locales, BOT))
    assert (found["en"].reviewed, found["en"].offered) == (total, True)
    assert (found["yo"].reviewed, found["yo"].fuzzy, found["yo"].offered) == (0, 13, False)
    assert found["yo"].missing == total - 13
    assert lines[0].split() == ["language", "catalog", "reviewed", "drafts", "to", "do",
                                "offered"]
    assert lines[3].split()[:5] == ["fon", "palabre", f"0/{total}", "0%", "6"]


def test_palabre_i18n_status_and_add_on_the_command_line(monkeypatch: pytest.MonkeyPatch,
                                                        locales: Path) -> None:
    monkeypatch.setattr(i18n, "DOMAINS", {BOT: locales})
    runner = CliRunner()

    status = runner.invoke(i18n.i18n_group, ["status", "--no-names"])
    added = runner.invoke(i18n.i18n_group, ["add", "bba"])
    again = runner.invoke(i18n.i18n_group, ["add", "bba"])
    bad = runner.invoke(i18n.i18n_group, ["add", "Bariba"])

    assert status.exit_code == 0 and "yo       palabre" in status.output
    assert "no (language.name not reviewed)" in status.output
    assert added.exit_code == 0 and "messages to translate" in added.output
    assert again.exit_code == 1 and "exists already" in again.output
    assert bad.exit_code == 2 and "ISO 639" in bad.output

"""Every message the dialogs can say exists in French and English, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import pytest

from core.council.models import SessionKind
from core.documents.models import DocumentKind
from core.errors import DomainError
from core.moderation.models import AlertKind
from core.projects.models import ProjectStatus
from core.submissions.models import Kind, Status
from dialogs import digest, runner
from dialogs.flows import complaint, menu, onboarding, survey, voice
from dialogs.flows.registry import all_flows
from dialogs.i18n import Catalogs
from palabre.settings import Settings, spoken_codes

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"
MESSAGES = Catalogs.load().messages
SAID = re.compile(r"""\b(?:say|skip)\(\s*"([^"]+)"\s*[,)]""")
SAID_BUILT = re.compile(r"""\bsay\(\s*f"([^"{]*)\{""")
DOTTED = re.compile(r""""([a-z_]+(?:\.[a-z0-9_]+)+)\"""")


def source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(DIALOGS.rglob("*.py")))


def error_codes(base: type[DomainError] = DomainError) -> set[str]:
    """The code of the domain error and of every error derived from it."""
    codes = {base.code}
    for derived in base.__subclasses__():
        codes |= error_codes(derived)
    return codes


def keys_written_out() -> set[str]:
    """Keys spelled whole in the code: in say()/skip(), or any literal in a catalog namespace."""
    namespaces = {key.split(".", 1)[0] for key in MESSAGES["fr"]}
    text = source()
    literal = {key for key in DOTTED.findall(text) if key.split(".", 1)[0] in namespaces}
    return set(SAID.findall(text)) | literal


DEFAULT_SPOKEN = spoken_codes(Settings.model_fields["spoken_languages"].default)
BUILT_FAMILIES: dict[str, set[str]] = {
    "status.": {f"status.{s.value}" for s in Status},
    "kind.": {f"kind.{k.value}" for k in Kind},
    "flow.": {f"flow.{name}" for name in all_flows()},
    "error.": {f"error.{code}" for code in error_codes()},
    "error.file_": {f"error.file_{reason}" for reason in runner.FILE_REFUSALS},
    "menu.": {f"menu.{entry}" for entry in menu.ENTRIES},
    "voice.": {f"voice.{reason}" for reason in voice.REASONS},
    "council.kind.": {f"council.kind.{kind.value}" for kind in SessionKind},
    "projects.status.": {f"projects.status.{status.value}" for status in ProjectStatus},
    "documents.kind.": {f"documents.kind.{kind.value}" for kind in DocumentKind},
    "staff.": {f"staff.{kind.value}" for kind in AlertKind},  # bots/telegram/announce.py
    "survey.rating.": {f"survey.rating.{n}" for n in survey.RATINGS},
    "digest.": {f"digest.{name}.{form}" for name in digest.COUNTED for form in digest.PLURALS},
    "complaint.kind.": {f"complaint.kind.{k}" for k in complaint.KINDS},
    "complaint.service.ask.": {f"complaint.service.ask.{k}" for k in complaint.KINDS},
    "complaint.text.ask.": {f"complaint.text.ask.{k}" for k in complaint.KINDS},
    "complaint.done.": {f"complaint.done.{k}" for k in complaint.KINDS},
    "onboarding.": {f"onboarding.{question}.{answer}"
                    for question, answers in (("gender", onboarding.GENDERS),
                                              ("age", onboarding.AGE_BANDS),
                                              ("disability", onboarding.DISABILITY))
                    for answer in (*answers, "ask")},
    "spoken.": {f"spoken.{code}" for code in DEFAULT_SPOKEN if code not in ("fr", "en")},
    "mydata.voice_data.": {f"mydata.voice_data.{change}" for change in ("give", "withdraw")},
}


def keys_used() -> set[str]:
    return keys_written_out().union(*BUILT_FAMILIES.values())


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_the_scan_finds_keys_of_every_kind() -> None:
    found = keys_written_out()

    assert {"report.photo.skip", "menu.title", "notify.status_note", "language.name",
            "error.internal", "onboarding.consent.refused"} <= found
    assert {"error.submission_not_found", "error.own_idea", "status.reopened",
            "flow.mydata"} <= keys_used()


def test_every_key_built_from_parts_belongs_to_an_enumerated_family() -> None:
    built = set(SAID_BUILT.findall(source()))

    assert built <= set(BUILT_FAMILIES), f"enumerate these families: {built - set(BUILT_FAMILIES)}"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_key_the_dialogs_use_is_translated(language: str) -> None:
    missing = sorted(keys_used() - set(MESSAGES[language]))

    assert missing == []


def test_french_and_english_have_the_same_keys() -> None:
    assert sorted(set(MESSAGES["fr"]) ^ set(MESSAGES["en"])) == []


def test_french_and_english_fill_the_same_placeholders() -> None:
    differing = {key: (placeholders(MESSAGES["fr"][key]), placeholders(MESSAGES["en"][key]))
                 for key in set(MESSAGES["fr"]) & set(MESSAGES["en"])
                 if placeholders(MESSAGES["fr"][key]) != placeholders(MESSAGES["en"][key])}

    assert differing == {}

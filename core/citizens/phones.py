"""Phone numbers as citizens' addresses, in Benin's 2024 numbering plan.

On 30 November 2024 Benin's numbers went from eight digits to ten: `01` before the former
eight (+229 97 12 34 56 became +229 01 97 12 34 56). A WhatsApp account registered before
may still write from its old form, since a WhatsApp id is not always the dialable number (as
happened with Brazil's ninth digit), and one that changed number writes from the new form. So
an address stays what the provider gives (Palabre answers there), but the two forms of one
number are one person (`twins`), and moderators read every number in the new plan, grouped
(`display`) or masked (`mask`). Numbers an operator types (`e164`) are read with the
`phonenumbers` library, which knows the 2024 plan; a bare Beninese number needs no `+229`."""

from __future__ import annotations

import re

import phonenumbers

BENIN = "229"
NEW_PREFIX = "01"  # before the former eight digits
_OLD = re.compile(r"^\+229(\d{8})$")
_NEW = re.compile(r"^\+22901(\d{8})$")
MASK = "•"


def e164(text: str, *, region: str = "BJ", moved: bool = True) -> str | None:
    """A typed number as +<country><number>, a former eight-digit Beninese number moved to
    the 2024 plan (kept in its form with `moved=False`: a WhatsApp id registered before may
    still be it); None when it is not a possible phone number."""
    cleaned = re.sub(r"[\s().-]", "", text.strip())
    if not re.fullmatch(r"\+?\d+", cleaned):  # letters are no vanity number here
        return None
    if re.fullmatch(r"(\+229|00229)?\d{8}", cleaned):  # the former plan, with or without 229
        return f"+{BENIN}{NEW_PREFIX if moved else ''}{cleaned[-8:]}"
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def in_2024_plan(address: str) -> str:
    """A Beninese address in its ten-digit form; any other address as it is."""
    old = _OLD.match(address)
    return f"+{BENIN}{NEW_PREFIX}{old.group(1)}" if old else address


def twins(address: str) -> tuple[str, ...]:
    """The other forms of the same Beninese number (old for new, new for old); none for any
    other address (a foreign number, a Telegram chat, a console name)."""
    old, new = _OLD.match(address), _NEW.match(address)
    if old:
        return (f"+{BENIN}{NEW_PREFIX}{old.group(1)}",)
    if new:
        return (f"+{BENIN}{new.group(1)}",)
    return ()


def is_phone(address: str) -> bool:
    return bool(re.fullmatch(r"\+\d{6,15}", address))


def display(address: str) -> str:
    """'+22997123456' -> '+229 01 97 12 34 56': a number as moderators read it."""
    if not is_phone(address):
        return address
    try:
        number = phonenumbers.parse(in_2024_plan(address))
    except phonenumbers.NumberParseException:
        return address
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask(address: str) -> str:
    """Enough to tell two people apart, not to call them: a number keeps its country, its
    first group and its last two digits ('+229 01 •• •• •• 56'), whichever form it came in;
    any other address its first three characters and last two."""
    if is_phone(address):
        shown = display(address)
        separators = [m.start() for m in re.finditer(r"[ -]", shown)]
        if len(separators) >= 2:
            head, tail = shown[:separators[1]], shown[separators[1]:]
            kept = {i for i, c in enumerate(tail) if c.isdigit()}
            kept = set(sorted(kept)[-2:])
            return head + "".join(MASK if c.isdigit() and i not in kept else c
                                  for i, c in enumerate(tail))
    if len(address) <= 4:
        return MASK * len(address)
    return address[:3] + MASK * (len(address) - 5) + address[-2:]

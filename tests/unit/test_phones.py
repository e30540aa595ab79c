"""Benin's numbers in the 2024 plan (core/citizens/phones.py): read, paired, shown, masked."""

from __future__ import annotations

import phonenumbers
import pytest

from core.citizens import phones


@pytest.mark.parametrize("typed", ["97 12 34 56", "97123456", "+229 97 12 34 56",
                                   "00229 97-12-34-56", "01 97 12 34 56", "0197123456",
                                   "+229 01 97 12 34 56", "(+229) 0197123456"])
def test_a_beninese_number_in_any_form_reads_as_its_ten_digits(typed: str) -> None:
    assert phones.e164(typed) == "+2290197123456"


def test_other_numbers_keep_their_country_and_nonsense_is_none() -> None:
    assert phones.e164("+33 6 12 34 56 78") == "+33612345678"
    assert phones.e164("+234 803 123 4567") == "+2348031234567"
    assert phones.e164("bonjour") is None
    assert phones.e164("12") is None
    assert phones.e164("MG9752274e9e519418a7406176694466fa") is None  # a messaging service
    assert phones.e164("1-800-FLOWERS") is None


def test_an_eight_digit_form_may_be_kept_as_it_is() -> None:
    assert phones.e164("+229 97 12 34 56", moved=False) == "+22997123456"
    assert phones.e164("0197123456", moved=False) == "+2290197123456"


def test_the_library_knows_the_2024_plan() -> None:
    """The dependency's metadata must be recent: eight digits no longer valid, ten valid."""
    assert phonenumbers.is_valid_number(phonenumbers.parse("+2290197123456"))
    assert not phonenumbers.is_valid_number(phonenumbers.parse("+22997123456"))


def test_the_two_forms_of_a_number_are_twins_and_nothing_else_is() -> None:
    assert phones.twins("+22997123456") == ("+2290197123456",)
    assert phones.twins("+2290197123456") == ("+22997123456",)
    for other in ("+33612345678", "+2290297123456", "123456789", "ama", "+229971234"):
        assert phones.twins(other) == ()


def test_either_form_is_shown_and_masked_alike_in_the_new_plan() -> None:
    for form in ("+22997123456", "+2290197123456"):
        assert phones.display(form) == "+229 01 97 12 34 56"
        assert phones.mask(form) == "+229 01 •• •• •• 56"
        assert phones.in_2024_plan(form) == "+2290197123456"
    assert phones.mask("+33612345678") == "+33 6 •• •• •• 78"
    assert phones.mask("+14155550100") == "+1 415-•••-••00"


def test_an_address_that_is_no_number_is_masked_as_before() -> None:
    assert phones.mask("22997123456") == "229••••••56"  # a Telegram chat id, say
    assert phones.mask("ama") == "•••"
    assert phones.display("ama") == "ama" and phones.in_2024_plan("ama") == "ama"

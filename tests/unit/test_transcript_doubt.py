"""A machine's transcript that is not to be believed: a decoder's loop, or a confidence under
the gate; what people really say, repetitions included, is kept as true."""

from __future__ import annotations

import pytest

from core.transcripts.doubt import doubtful, looping


@pytest.mark.parametrize("text", [
    "non non non non non non non non",
    "Le caniveau est bouché. Le caniveau est bouché. Le caniveau est bouché. "
    "Le caniveau est bouché. Le caniveau est bouché.",
    "merci à vous merci à vous merci à vous merci à vous",
    "ok " * 40,
])
def test_a_decoders_loop_is_doubtful(text: str) -> None:
    assert looping(text)


@pytest.mark.parametrize("text", [
    "non non, pas encore",  # people repeat a word, not four times in a row
    "Le caniveau devant l'école Sainte-Rita déborde quand il pleut, depuis trois semaines.",
    "oui",
    "",
])
def test_what_people_say_is_not(text: str) -> None:
    assert not looping(text)


def test_a_low_confidence_is_doubtful_and_an_unknown_one_is_not() -> None:
    assert doubtful("le caniveau déborde", 0.2, 0.4)
    assert not doubtful("le caniveau déborde", 0.7, 0.4)
    assert not doubtful("le caniveau déborde", None, 0.4)

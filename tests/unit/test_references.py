"""Reference codes: short, readable aloud, self-checking, and practically unique."""
from __future__ import annotations

import pytest

from casecore.references import (
    ALPHABET,
    LOOK_ALIKES,
    InvalidReference,
    clean_reference,
    is_valid_reference,
    new_reference,
    reference_candidates,
)


def test_reference_is_seven_characters_from_the_alphabet():
    for _ in range(200):
        code = new_reference()
        assert len(code) == 7
        assert set(code) <= set(ALPHABET)
        assert is_valid_reference(code)


def test_alphabet_leaves_out_characters_people_confuse():
    assert not set("01ILOUV") & set(ALPHABET)


def test_check_character_detects_any_single_changed_character():
    for _ in range(50):
        code = new_reference()
        for position in range(len(code)):
            for other in ALPHABET:
                if other == code[position]:
                    continue
                changed = code[:position] + other + code[position + 1:]
                assert not is_valid_reference(changed), (code, changed)


def test_check_character_detects_most_swaps_of_neighbours():
    missed = total = 0
    for _ in range(500):
        code = new_reference()
        for i in range(len(code) - 1):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            total += 1
            missed += is_valid_reference(swapped)
    assert missed / total < 0.05


def test_ten_thousand_draws_are_practically_unique():
    # 29**6 (about 5.9e8) bodies: among 10,000 draws a pair collides about 8% of the time (birthday bound), which
    # submit_report absorbs by drawing again. Four or more repeats would mean a broken generator (p about 2e-6).
    codes = [new_reference() for _ in range(10_000)]
    assert len(codes) - len(set(codes)) <= 3


def test_people_may_type_lowercase_spaces_and_dashes():
    code = new_reference()
    typed = f"{code[:3].lower()} - {code[3:]}"
    assert clean_reference(typed) == code
    assert is_valid_reference(typed)


def test_malformed_references_are_refused():
    code = new_reference()
    for text in ("", code[:-1], code + "2", code[:-1] + "0", "ÉÉÉÉÉÉÉ", None):
        assert not is_valid_reference(text)


# -- reading what a person typed into the search box ----------------------------------------------------------------

def _with(characters: str) -> str:
    """A fresh reference holding one of characters (most do)."""
    while True:
        code = new_reference()
        if any(c in characters for c in code):
            return code


def test_a_reference_is_found_whatever_its_case_spaces_and_dashes():
    code = new_reference()
    for typed in (code, code.lower(), f" {code[:3]} {code[3:]} ", f"{code[:3]}-{code[3:]}",
                  f"{code[:3]}\u2013{code[3:]}", "\t".join(code)):
        assert reference_candidates(typed) == (code,)


@pytest.mark.parametrize(("meant", "typed_as"), [("D", "0"), ("D", "o"), ("Q", "O"), ("7", "1"), ("J", "i"),
                                                 ("T", "l"), ("W", "v"), ("Y", "U")])
def test_a_left_out_character_is_read_as_the_one_it_looks_like(meant, typed_as):
    code = _with(meant)
    typed = code.replace(meant, typed_as)
    assert code in reference_candidates(typed)
    # Every reading offered is a well-formed reference; with one left-out character, the check leaves one.
    assert all(is_valid_reference(reading) for reading in reference_candidates(typed))
    if code.count(meant) == 1:
        assert reference_candidates(typed) == (code,)


def test_the_left_out_characters_are_exactly_those_the_alphabet_lacks_among_digits_and_letters():
    assert set(LOOK_ALIKES) == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") - set(ALPHABET)
    assert all(set(alikes) <= set(ALPHABET) for alikes in LOOK_ALIKES.values())


@pytest.mark.parametrize(("typed", "code"), [
    ("", "length"), ("ABC", "length"), ("ABCDEFGH", "length"), ("x" * 500, "length"), ("ABC#EFG", "characters"),
    ("ABCÉEFG", "characters"), (None, "length"),
])
def test_text_that_cannot_be_a_reference_says_why(typed, code):
    with pytest.raises(InvalidReference) as refused:
        reference_candidates(typed)
    assert refused.value.code == code


def test_a_wrong_character_fails_the_check():
    code = new_reference()
    wrong = code[:2] + next(c for c in ALPHABET if c != code[2]) + code[3:]
    with pytest.raises(InvalidReference) as refused:
        reference_candidates(wrong)
    assert refused.value.code == "check"

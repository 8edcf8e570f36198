"""Reference codes: short, readable aloud, self-checking, and practically unique."""
from __future__ import annotations

from casecore.references import ALPHABET, clean_reference, is_valid_reference, new_reference


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

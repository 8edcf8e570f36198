"""Short reference codes a person can read out on the phone: 6 random characters and a check character."""
from __future__ import annotations

import secrets
from itertools import product

from casecore.errors import InvalidInput

# No 0/O, 1/I/L or U/V: these are misread when written by hand or said aloud.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
BODY_LENGTH = 6
LENGTH = BODY_LENGTH + 1
# A reference never holds a left-out character, so one typed stands for a character of the alphabet it is mistaken
# for (a round letter, a stroke, a V-shape); the check character then tells which one, if any, was meant.
LOOK_ALIKES = {"0": "DQ", "O": "DQ", "1": "7JT", "I": "7JT", "L": "7JT", "U": "WY", "V": "WY"}
# The hyphen and the dashes a phone keyboard or a word processor puts between characters.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
# Far beyond a reference with spaces and dashes between its characters: anything longer is not one.
TYPED_LENGTH = 40


class InvalidReference(InvalidInput):
    """Text that cannot be a reference; code says why: "length", "characters" or "check"."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def _check_character(body: str) -> str:
    # Weighted sum catches any single wrong character and most swaps of two neighbours.
    total = sum((i + 1) * ALPHABET.index(c) for i, c in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def new_reference() -> str:
    """A fresh random reference code of 7 characters."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + _check_character(body)


def clean_reference(text: str) -> str:
    """Upper-case text and drop the spaces and dashes people type between characters."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -")


def is_valid_reference(text: str) -> bool:
    """Whether text (after cleaning) is a well-formed reference whose check character matches."""
    code = clean_reference(text)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return False
    return _check_character(code[:-1]) == code[-1]


def reference_candidates(text: str) -> tuple[str, ...]:
    """The references typed text may stand for: upper-cased, without spaces or dashes, each left-out character
    read as its look-alikes, only the readings whose check character matches; InvalidReference when none is."""
    typed = text or ""
    if len(typed) > TYPED_LENGTH:
        raise InvalidReference("length", f"a reference has {LENGTH} characters")
    code = "".join(ch for ch in typed.upper() if not ch.isspace() and ch not in DASHES)
    if len(code) != LENGTH:
        raise InvalidReference("length", f"a reference has {LENGTH} characters")
    if any(c not in ALPHABET and c not in LOOK_ALIKES for c in code):
        raise InvalidReference("characters", "a reference has only letters and digits")
    # At most 3**7 readings, and only when every character was a left-out one.
    readings = product(*(LOOK_ALIKES.get(c, c) for c in code))
    found = tuple(reading for reading in ("".join(chars) for chars in readings)
                  if _check_character(reading[:-1]) == reading[-1])
    if not found:
        raise InvalidReference("check", "the reference's last character does not match: a character is wrong")
    return found

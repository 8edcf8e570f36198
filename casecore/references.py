"""Short reference codes a person can read out on the phone: 6 random characters and a check character."""
from __future__ import annotations

import secrets

# No 0/O, 1/I/L or U/V: these are misread when written by hand or said aloud.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
BODY_LENGTH = 6
REFERENCE_LENGTH = BODY_LENGTH + 1  # the check character last


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
    if len(code) != REFERENCE_LENGTH or any(c not in ALPHABET for c in code):
        return False
    return _check_character(code[:-1]) == code[-1]

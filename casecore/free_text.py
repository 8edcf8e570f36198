"""Free text typed by community members or staff: trimmed, without control or invisible characters, within a known
length; and any text on its way to a page with such characters shown, not obeyed."""
from __future__ import annotations

import re

from casecore.errors import Refused

# Control characters (a NUL cannot even be stored by PostgreSQL) and the invisible format ones: bidirectional
# embeddings, overrides and isolates (which reorder what a reader sees: "Trojan source"), zero-width spaces, the BOM,
# line and paragraph separators, tags. Unicode's Cc, Cf, Zl and Zp (tests/unit/test_free_text.py checks it against
# the running Python's tables) but the zero-width joiner and non-joiner, which scripts and emoji need.
_FORMAT = (r"\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f\u2028-\u202e"
           r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
           r"\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
INVISIBLE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_FORMAT}]")
INVISIBLE_BUT_LINES = re.compile(rf"[\x00-\x09\x0b-\x1f\x7f-\x9f{_FORMAT}]")
# What a page shows as a code: not the tab, nor the carriage return browsers send before each line feed of a form.
_SHOWN = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_FORMAT}]")


def short_text(text: str | None, length: int) -> str | None:
    """text without control or invisible characters (newlines kept), stripped and cut to length characters, or
    None when nothing is left."""
    text = without_controls(text, keep_newlines=True).strip()
    return text[:length] or None


def without_controls(text: str | None, *, keep_newlines: bool = False) -> str:
    """text without control or invisible characters; newlines kept on request."""
    return (INVISIBLE_BUT_LINES if keep_newlines else INVISIBLE).sub("", text or "")


def visible(text: str) -> str:
    """text with each control or invisible character but line breaks and tabs shown as its code (⟨U+202E⟩), for a
    page: what was received is kept as it came, and shown without reordering or hiding anything."""
    if not _SHOWN.search(text):
        return text
    return _SHOWN.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


# What a note, a reason or a decision typed by staff may hold.
TEXT_LENGTH = 4000


def staff_text(text: str | None, what: str, *, required: bool = True, length: int = TEXT_LENGTH) -> str | None:
    """Text typed by staff, stripped and without control characters (PostgreSQL stores no NUL); Refused when
    required and empty, or longer than length."""
    cleaned = without_controls(text, keep_newlines=True).strip()
    if not cleaned:
        if required:
            raise Refused(f"{what}_required")
        return None
    if len(cleaned) > length:
        raise Refused("text_too_long", f"{what} has more than {length} characters")
    return cleaned

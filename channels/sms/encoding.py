"""Rewriting French and Bambara into GSM-7 (providers §4); the measuring itself is casecore.messaging.sms_length."""
from __future__ import annotations

import unicodedata

from casecore.messaging.sms_length import GSM7_BASIC, GSM7_EXTENSION, is_gsm7
from channels.text import TYPOGRAPHY

# Rewritings for characters outside GSM-7 that French and Bambara text uses; everything here maps into GSM-7.
_REWRITE = {
    **TYPOGRAPHY,
    "\u201a": "'", "\u201e": '"', "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u2044": "/",
    "ç": "c", "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ÿ": "y",
    "À": "A", "È": "E", "Ù": "U", "Â": "A", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U",
    # Bambara's open vowels were written è and ò in the older spelling; È and Ò are not GSM-7, so capitals lose
    # the accent. ɲ and ŋ have no GSM-7 form and are spelt out.
    "ɛ": "è", "Ɛ": "E", "ɔ": "ò", "Ɔ": "O", "ɲ": "ny", "Ɲ": "Ny", "ŋ": "ng", "Ŋ": "Ng",
}


def to_gsm7(text: str) -> str:
    """Text rewritten to stay within GSM-7 (one segment costs 2-3x less than UCS-2); newlines are kept."""
    # NFC first, so an accent typed as a combining mark joins its letter (e + U+0301 is é, which GSM-7 has).
    return "".join(_gsm7_char(ch) for ch in unicodedata.normalize("NFC", text))


def _gsm7_char(ch: str) -> str:
    if ch == "\n":
        return ch
    if unicodedata.category(ch) == "Cc":
        return ""  # CR, tab, form feed and the like would show as garbage or break the layout
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    if ch in _REWRITE:
        return _REWRITE[ch]
    # Keep what survives of a compatibility decomposition (á -> a, ﬁ -> fi); emoji and other scripts drop out.
    kept = []
    for part in unicodedata.normalize("NFKD", ch):
        part = _REWRITE.get(part, part)
        if is_gsm7(part) and unicodedata.category(part[0]) != "Cc":
            kept.append(part)
    return "".join(kept)

"""Text shaping shared by the phone channels: plain ASCII for USSD screens."""
from __future__ import annotations

import unicodedata

# Typographic signs and ligatures French text uses, in plain ASCII (also the base of SMS's GSM-7 respelling).
TYPOGRAPHY = {
    "\u2019": "'", "\u2018": "'", "\u00ab": '"', "\u00bb": '"', "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ", "\u202f": " ",
    "\u0153": "oe", "\u0152": "OE",
}
# Characters NFKD does not decompose into ASCII, mapped to what a reader expects.
_REPLACEMENTS = str.maketrans({
    **TYPOGRAPHY,
    # Bambara's letters have no decomposition: written as in the older Latin spelling.
    "\u025b": "e", "\u0190": "E", "\u0254": "o", "\u0186": "O", "\u0272": "ny", "\u019d": "Ny",
    "\u014b": "ng", "\u014a": "Ng",
    "\u00e6": "ae", "\u00c6": "AE", "\u00df": "ss", "\u00f8": "o", "\u00d8": "O",
})


# Control characters a handset would show as garbage; the newline separates lines and stays.
_CONTROLS = dict.fromkeys(c for c in range(32) if c != 10) | {127: None}


def to_ascii(text: str) -> str:
    """Fold accents and typographic signs to plain ASCII; drop what has no ASCII form."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_REPLACEMENTS)).encode("ascii", "ignore").decode()
    return text.translate(_CONTROLS)

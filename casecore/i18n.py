"""Translations from the gettext catalogues in locale/, compiled with Babel when first used."""
from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


@lru_cache(maxsize=None)
def translations(language: str, domain: str = "messages") -> gettext.NullTranslations:
    """The catalogue for language, compiled in memory from its .po file (no stale .mo files to ship).

    One catalogue per audience (the domain): "messages" for conversations with the community, "notifications"
    for SMS to staff, "web" for the web view.
    """
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    # Fuzzy entries are used too: Bambara stays fuzzy until a native speaker has reviewed it.
    write_mo(buffer, catalog, use_fuzzy=True)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def N_(msgid: str) -> str:
    """Mark a message for the catalogues where it is translated later, when shown (gettext's convention)."""
    return msgid


def gettext_for(language: str, domain: str = "messages"):
    """A gettext function bound to language and domain."""
    return translations(language, domain).gettext

"""Free text: control and invisible characters (bidirectional overrides first) taken out of what is typed, and
shown as codes on a page whatever reached the database."""
from __future__ import annotations

import sys
import unicodedata

import pytest

from casecore.free_text import INVISIBLE, short_text, visible, without_controls

JOINERS = {"\u200c", "\u200d"}  # needed by scripts and emoji sequences: kept


def test_every_control_format_and_separator_character_of_the_running_unicode_is_caught():
    missed = [f"U+{cp:04X}" for cp in range(sys.maxunicode + 1)
              if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp") and chr(cp) not in JOINERS
              and not INVISIBLE.match(chr(cp))]
    assert missed == [], f"Unicode {unicodedata.unidata_version}: {missed}"
    assert not any(INVISIBLE.match(ch) for ch in ("a", "é", "ߊ", "\u200d", " ", "😀"))  # N'Ko letters stay


@pytest.mark.parametrize("typed, kept", [
    ("Il est chez \u202eeitnat sa\u202c", "Il est chez eitnat sa"),  # right-to-left override
    ("\ufeffBonjour\u200b \u2066Awa\u2069", "Bonjour Awa"),  # BOM, zero-width space, isolates
    ("ligne 1\nligne 2\x00\u2028", "ligne 1\nligne 2"),
    ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # a family emoji keeps its joiners
])
def test_what_is_typed_loses_its_invisible_characters(typed, kept):
    assert without_controls(typed, keep_newlines=True) == kept
    assert short_text(typed, 100) == kept


def test_a_page_shows_them_as_codes_and_keeps_lines_and_tabs():
    assert visible("abc\u202edef\nx\ty") == "abc⟨U+202E⟩def\nx\ty"
    # A form shown again after an error: its text as the browser sent it (CRLF), not with codes to save back.
    assert visible("ligne 1\r\nligne 2") == "ligne 1\r\nligne 2"
    assert visible("plain") == "plain"

"""Free text typed by community members: stored trimmed and within a known length."""
from __future__ import annotations


def short_text(text: str | None, length: int) -> str | None:
    """text stripped and cut to length characters, or None when nothing is left."""
    text = (text or "").strip()
    return text[:length] or None


def without_controls(text: str | None, *, keep_newlines: bool = False) -> str:
    """text without control characters (a NUL cannot even be stored by PostgreSQL); newlines kept on request."""
    kept = "\n" if keep_newlines else ""
    return "".join(ch for ch in (text or "") if ch in kept or not (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0))

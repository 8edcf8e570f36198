"""Free text typed by community members or staff: trimmed, without control characters, within a known length."""
from __future__ import annotations

from casecore.errors import Refused


def short_text(text: str | None, length: int) -> str | None:
    """text stripped and cut to length characters, or None when nothing is left."""
    text = (text or "").strip()
    return text[:length] or None


def without_controls(text: str | None, *, keep_newlines: bool = False) -> str:
    """text without control characters (a NUL cannot even be stored by PostgreSQL); newlines kept on request."""
    kept = "\n" if keep_newlines else ""
    return "".join(ch for ch in (text or "") if ch in kept or not (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0))


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

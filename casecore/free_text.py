"""Free text typed by community members: stored trimmed and within a known length."""
from __future__ import annotations


def short_text(text: str | None, length: int) -> str | None:
    """text stripped and cut to length characters, or None when nothing is left."""
    text = (text or "").strip()
    return text[:length] or None

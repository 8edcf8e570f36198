"""Page numbers of the staff lists, read from a query string the same way on every page."""
from __future__ import annotations

from casecore.errors import InvalidInput

# Far beyond any real list, and small enough that the offset it makes stays a plain integer in SQL.
MAX_PAGE = 10_000


def parse_page(raw: str | None) -> int:
    """A page number from a query string: 1 when absent; InvalidInput when it is not a number in range."""
    if raw in (None, ""):
        return 1
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)

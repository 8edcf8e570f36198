"""Page numbers of the staff lists, read from a query string the same way on every page, and one page of a query."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from casecore.errors import InvalidInput

# Far beyond any real list, and small enough that the offset it makes stays a plain integer in SQL.
MAX_PAGE = 10_000
PAGE_SIZE = 50


def parse_page(raw: str | None) -> int:
    """A page number from a query string: 1 when absent; InvalidInput when it is not a number in range."""
    if raw in (None, ""):
        return 1
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number, whether another follows, and how many in all when counted."""

    rows: tuple[Any, ...]
    page: int
    has_next: bool
    total: int | None = None
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int | None:
        """How many pages the list has (at least 1), when it was counted."""
        return None if self.total is None else max(1, -(-self.total // self.size))


def fetch_page(session: Session, query: Select, page: int, size: int = PAGE_SIZE,
               count: Select | None = None) -> Page:
    """One page of a query ordered down to a unique key (so that pages neither repeat nor skip a row): size + 1
    rows, the last only to tell whether another page follows; count, a query of the list's length, gives its total."""
    found = session.execute(query.offset((page - 1) * size).limit(size + 1)).all()
    total = None if count is None else session.scalar(count)
    return Page(tuple(found[:size]), page, len(found) > size, total, size)


def count_of(query: Select) -> Select:
    """A query of how many rows query gives (its ORDER BY dropped)."""
    return select(func.count()).select_from(query.order_by(None).subquery())

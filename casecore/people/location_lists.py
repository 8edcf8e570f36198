"""Read-side lists of the administrative locations for the administrator's pages."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from casecore.errors import InvalidInput
from casecore.people.locations import LEVELS
from casecore.people.models import Location

PAGE_SIZE = 200


@dataclass(frozen=True)
class LocationRow:
    """A location with its parent's code and name."""

    code: str
    name: str
    level: int
    parent_code: str | None
    parent_name: str | None


@dataclass(frozen=True)
class LocationPage:
    """One page of one level's locations, by code."""

    level: int
    rows: tuple[LocationRow, ...]
    page: int
    has_next: bool


def parse_level(raw: str | None) -> int:
    """A level from a query string (1 region, 2 cercle, 3 commune); 1 when absent, InvalidInput when unknown."""
    if raw in (None, ""):
        return 1
    if raw not in {str(level) for level in LEVELS}:
        raise InvalidInput("level must be 1, 2 or 3")
    return int(raw)


def location_counts(session: Session) -> dict[int, int]:
    """How many locations each level holds (0 for an empty level)."""
    counts = dict(session.execute(select(Location.level, func.count()).group_by(Location.level)).all())
    return {level: counts.get(level, 0) for level in LEVELS}


def locations_at_level(session: Session, level: int, page: int = 1) -> LocationPage:
    """One page of the locations at this level, by code, with their parents."""
    parent = aliased(Location)
    found = session.execute(
        select(Location.code, Location.name, Location.level, parent.code, parent.name)
        .outerjoin(parent, parent.id == Location.parent_id)
        .where(Location.level == level)
        .order_by(Location.code)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    rows = tuple(LocationRow(*row) for row in found[:PAGE_SIZE])
    return LocationPage(level, rows, page, len(found) > PAGE_SIZE)

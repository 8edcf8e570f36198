"""Administrative locations: lists for menus, lookups by p-code, and CSV import."""
from __future__ import annotations

import csv
import unicodedata
import uuid
from dataclasses import dataclass
from typing import IO, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.errors import InvalidInput, NotFound
from casecore.people.models import Location

LEVELS = {1: "region", 2: "cercle", 3: "commune"}


@dataclass(frozen=True)
class Place:
    """A location as a menu shows it."""

    code: str
    name: str


@dataclass(frozen=True)
class PlaceDirectory:
    """The location tree as menus read it: regions, and the communes under each (through its cercles)."""

    regions: tuple[Place, ...]
    communes_by_region: Mapping[str, tuple[Place, ...]]

    def communes(self, region_code: str) -> tuple[Place, ...]:
        """Communes of a region, alphabetically; empty for an unknown region."""
        return self.communes_by_region.get(region_code, ())


def _sort_key(place: Place) -> str:
    folded = unicodedata.normalize("NFKD", place.name)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()


def alphabetical(places) -> tuple[Place, ...]:
    """Places in the order a reader expects: Ménaka between Koulikoro and Mopti, whatever the database's collation."""
    return tuple(sorted((Place(code, name) for code, name in places), key=_sort_key))


def load_place_directory(session: Session) -> PlaceDirectory:
    """Read every location in one query and arrange it for menus."""
    rows = session.execute(select(Location.id, Location.code, Location.name, Location.level, Location.parent_id)).all()
    by_id = {row.id: row for row in rows}
    communes: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        cercle = by_id.get(row.parent_id) if row.level == 3 else None
        region = by_id.get(cercle.parent_id) if cercle is not None else None
        if region is not None:
            communes.setdefault(region.code, []).append((row.code, row.name))
    return PlaceDirectory(
        regions=alphabetical((row.code, row.name) for row in rows if row.level == 1),
        communes_by_region={code: alphabetical(places) for code, places in communes.items()},
    )


def commune_id(session: Session, code: str) -> uuid.UUID | None:
    """The id of the commune with this p-code (where a child lives, where tracing went), None for any other code."""
    return session.scalar(select(Location.id).where(Location.code == code, Location.level == 3))


def find_location(session: Session, code: str) -> Location:
    """The location with this p-code; NotFound otherwise."""
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise NotFound(f"no location {code!r}")
    return location


def import_locations(session: Session, stream: IO[str]) -> int:
    """Create or update locations from CSV with columns code,name,level,parent_code; return rows read.

    Parents must come before their children in the file.
    """
    count = 0
    for line_no, row in enumerate(csv.DictReader(stream), start=2):
        try:
            code, name, level = row["code"].strip(), row["name"].strip(), int(row["level"])
        except (KeyError, ValueError, AttributeError):
            raise InvalidInput(f"line {line_no}: needs code, name, level, parent_code") from None
        if level not in LEVELS or not code or not name:
            raise InvalidInput(f"line {line_no}: level must be 1, 2 or 3 and code and name given")
        parent_code = (row.get("parent_code") or "").strip()
        parent = find_location(session, parent_code) if parent_code else None
        location = session.scalar(select(Location).where(Location.code == code)) or Location(code=code)
        location.name, location.level, location.parent_id = name, level, parent.id if parent else None
        session.add(location)
        session.flush()
        count += 1
    return count

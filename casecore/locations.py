"""Administrative locations: lists for menus, lookups by p-code, and CSV import."""
from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from casecore.errors import InvalidInput, NotFound
from casecore.models import Location

LEVELS = {1: "region", 2: "cercle", 3: "commune"}


@dataclass(frozen=True)
class Place:
    """A location as a menu shows it."""

    code: str
    name: str


def alphabetical(places) -> list[Place]:
    """Places in the order a reader expects: Ménaka between Koulikoro and Mopti, whatever the database's collation."""
    def key(place: Place) -> str:
        folded = unicodedata.normalize("NFKD", place.name)
        return "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()

    return sorted((Place(code, name) for code, name in places), key=key)


def list_regions(session: Session) -> list[Place]:
    """Top-level locations, by name."""
    return alphabetical(session.execute(select(Location.code, Location.name).where(Location.level == 1)))


def list_communes(session: Session, region_code: str) -> list[Place]:
    """Communes of a region, through its cercles, by name."""
    region = aliased(Location)
    cercle = aliased(Location)
    return alphabetical(session.execute(
        select(Location.code, Location.name)
        .join(cercle, Location.parent_id == cercle.id)
        .join(region, cercle.parent_id == region.id)
        .where(region.code == region_code, Location.level == 3)
    ))


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

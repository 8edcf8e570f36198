"""The service directory as CSV: provider_name,service_type,area_code,contact,last_verified (YYYY-MM-DD).

An import is all or nothing: every line is checked first, and one bad line imports none, with each problem
reported by line. A line matching an entry (same provider, type and area) updates it, so a file exported, edited
and imported again does not duplicate anything.
"""
from __future__ import annotations

import csv
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.directory.models import Service
from casecore.directory.services import CONTACT_LENGTH, NAME_LENGTH
from casecore.errors import InvalidInput
from casecore.free_text import without_controls
from casecore.people.models import Location

COLUMNS = ("provider_name", "service_type", "area_code", "contact", "last_verified")
MAX_LINES = 5000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A spreadsheet runs a cell starting with one of these as a formula; exported text is quoted so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE_LIKE = re.compile(r"^[+\-]?[\d\s().\-]+$")

# What can be wrong with a line, as codes the web view translates; str(LineError) is the English for the CLI.
PROBLEMS = {
    "unreadable": "the file cannot be read as UTF-8 CSV",
    "header": "the first line must name the columns " + ",".join(COLUMNS),
    "too_many_lines": f"more than {MAX_LINES} lines",
    "too_many_fields": "more fields than columns",
    "missing": "{column} is required",
    "too_long": "{column} is too long",
    "unknown_service_type": "unknown service type {value!r}",
    "unknown_area": "unknown area code {value!r}",
    "bad_date": "last_verified {value!r} is not a date written YYYY-MM-DD",
    "future_date": "last_verified {value!r} is in the future",
    "duplicate": "same provider, service type and area as line {value}",
}


@dataclass(frozen=True)
class LineError:
    """One problem on one line of an imported file (line 1 is the header)."""

    line: int
    problem: str
    column: str = ""
    value: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: " + PROBLEMS[self.problem].format(column=self.column, value=self.value)


class ServiceImportError(InvalidInput):
    """The file was refused; errors lists every problem found, by line."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


@dataclass(frozen=True)
class ImportResult:
    """How many entries an import added and how many it updated."""

    created: int
    updated: int


@dataclass(frozen=True)
class _Line:
    number: int
    provider_name: str
    service_type: str
    area_id: uuid.UUID | None
    contact: str | None
    verified_at: datetime | None


def import_services(
    session: Session, organisation_id: uuid.UUID, stream: IO[str], *, user_id: uuid.UUID | None,
    today: date | None = None,
) -> ImportResult:
    """Add or update directory entries from CSV; ServiceImportError (nothing written) when any line is bad."""
    lines = _read(session, stream, today or utcnow().date())
    existing = {_key(s.provider_name, s.service_type, s.area_location_id): s for s in session.scalars(
        select(Service).where(Service.organisation_id == organisation_id))}
    created = updated = 0
    for line in lines:
        service = existing.get(_key(line.provider_name, line.service_type, line.area_id))
        if service is None:
            service = Service(organisation_id=organisation_id, provider_name=line.provider_name,
                              service_type=line.service_type, area_location_id=line.area_id)
            session.add(service)
            created += 1
        else:
            updated += 1
        service.contact, service.is_active = line.contact, True
        # A verification date never goes back: an old file does not undo a check made since.
        if line.verified_at and (service.last_verified_at is None or line.verified_at > service.last_verified_at):
            service.last_verified_at = line.verified_at
    session.flush()
    record_event(session, user_id, "services.imported", "organisation", organisation_id)
    return ImportResult(created, updated)


def export_services(session: Session, organisation_id: uuid.UUID, stream: IO[str]) -> int:
    """Write the organisation's active entries as CSV; return how many."""
    rows = session.execute(
        select(Service.provider_name, Service.service_type, Location.code, Service.contact, Service.last_verified_at)
        .outerjoin(Location, Location.id == Service.area_location_id)
        .where(Service.organisation_id == organisation_id, Service.is_active.is_(True))
        .order_by(Service.service_type, Service.provider_name, Service.id)
    ).all()
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for name, kind, code, contact, verified in rows:
        writer.writerow([_cell(name), kind, code or "", _cell(contact or ""),
                         verified.date().isoformat() if verified else ""])
    return len(rows)


def _read(session: Session, stream: IO[str], today: date) -> list[_Line]:
    areas = dict(session.execute(select(Location.code, Location.id)).all())
    errors: list[LineError] = []
    lines: list[_Line] = []
    seen: dict[tuple, int] = {}
    reader = csv.DictReader(stream, strict=True)
    try:
        if reader.fieldnames is None or set(COLUMNS) - {(f or "").strip() for f in reader.fieldnames}:
            raise ServiceImportError([LineError(1, "header")])
        reader.fieldnames = [(f or "").strip() for f in reader.fieldnames]
        for row in reader:
            number = reader.line_num
            if number > MAX_LINES:
                raise ServiceImportError([LineError(number, "too_many_lines")])
            line = _check(row, number, areas, today, errors)
            if line is None:
                continue
            key = _key(line.provider_name, line.service_type, line.area_id)
            if key in seen:
                errors.append(LineError(number, "duplicate", value=str(seen[key])))
                continue
            seen[key] = number
            lines.append(line)
    except (csv.Error, UnicodeDecodeError):
        raise ServiceImportError([*errors, LineError(reader.line_num + 1, "unreadable")]) from None
    if errors:
        raise ServiceImportError(errors)
    return lines


def _check(row: dict, number: int, areas: dict, today: date, errors: list[LineError]) -> _Line | None:
    found: list[LineError] = []
    if None in row:
        found.append(LineError(number, "too_many_fields"))
    value = {column: _uncell(without_controls(row.get(column)).strip()) for column in COLUMNS}
    for column, limit in (("provider_name", NAME_LENGTH), ("contact", CONTACT_LENGTH)):
        if len(value[column]) > limit:
            found.append(LineError(number, "too_long", column))
    for column in ("provider_name", "service_type"):
        if not value[column]:
            found.append(LineError(number, "missing", column))
    if value["service_type"] and value["service_type"] not in taxonomy.SERVICE_TYPES:
        found.append(LineError(number, "unknown_service_type", "service_type", value["service_type"]))
    if value["area_code"] and value["area_code"] not in areas:
        found.append(LineError(number, "unknown_area", "area_code", value["area_code"]))
    verified = _date(value["last_verified"], number, today, found)
    errors.extend(found)
    if found:
        return None
    return _Line(number, value["provider_name"], value["service_type"], areas.get(value["area_code"]),
                 value["contact"] or None, verified)


def _date(text: str, number: int, today: date, found: list[LineError]) -> datetime | None:
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        found.append(LineError(number, "bad_date", "last_verified", text))
        return None
    if day > today:
        found.append(LineError(number, "future_date", "last_verified", text))
        return None
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _key(name: str, kind: str, area_id: uuid.UUID | None) -> tuple:
    return " ".join(name.split()).casefold(), kind, area_id


def _cell(text: str) -> str:
    if text.startswith(_FORMULA_START) and not _PHONE_LIKE.match(text):
        return "'" + text
    return text


def _uncell(text: str) -> str:
    # The inverse of _cell, so an exported file imports as it was.
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text

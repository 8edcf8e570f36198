"""What each Relais code becomes in one CPIMS+ (Primero) instance, and what of that the instance does not hold.

Instances rename lookup values (Mali's CPIMS+ has e.g. physical_abuse_violence where stock Primero has
physically_or_mentally_abused), so the targets are a deployment's file (PRIMERO_MAPPING, JSON or CSV); a section it
leaves out is stock Primero's (stock_mapping.json beside this module). A location code maps to itself unless the
file says otherwise; a staff account has a Primero user only when the file names one.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from casecore import taxonomy
from casecore.errors import InvalidInput

STOCK_FILE = Path(__file__).with_name("stock_mapping.json")
# The instance's lookups each list of values goes to (Primero's seed ids, ../shared/primero/README.md §4).
CONCERNS_LOOKUP = "lookup-protection-concerns"
SEX_LOOKUP = "lookup-gender"
RISK_LOOKUP = "lookup-risk-level"
SERVICE_LOOKUP = "lookup-service-type"
PROTECTION_STATUS_LOOKUP = "lookup-protection-status"
RELATIONSHIP_LOOKUP = "lookup-family-relationship"
# The sections of lists of values: Relais's codes, and the instance's lookup their values must be in.
CODED_SECTIONS = {
    "concerns": (taxonomy.PROTECTION_CONCERNS, CONCERNS_LOOKUP),
    "sexes": (taxonomy.CHILD_SEXES, SEX_LOOKUP),
    "risk_levels": (taxonomy.CASE_RISK_LEVELS, RISK_LOOKUP),
    "service_types": (taxonomy.SERVICE_TYPES, SERVICE_LOOKUP),
    "protection_statuses": (taxonomy.PROTECTION_STATUSES, PROTECTION_STATUS_LOOKUP),
    "relationships": (taxonomy.FAMILY_RELATIONSHIPS, RELATIONSHIP_LOOKUP),
}
# The sections of a mapping file; a CSV file has one row per code: section,relais_code,primero_value.
SECTIONS = (*CODED_SECTIONS, "locations", "users")
CSV_COLUMNS = ("section", "relais_code", "primero_value")

# What can be wrong with a mapping, as `primero check` lists it.
NO_TARGET = "no_target"  # a Relais code the mapping does not map
UNKNOWN_VALUE = "unknown_value"  # mapped to a value the instance's lookup does not have
DISABLED_VALUE = "disabled_value"  # mapped to a value the instance has disabled
UNKNOWN_LOCATION = "unknown_location"  # mapped to a location code the instance does not have


@dataclass(frozen=True)
class HandoffMapping:
    """Relais codes to one instance's values: concerns (several values each), sex, risk, the case record's lists,
    places and staff."""

    concerns: Mapping[str, tuple[str, ...]]
    sexes: Mapping[str, str | None]
    risk_levels: Mapping[str, str]
    service_types: Mapping[str, str | None] = field(default_factory=dict)
    protection_statuses: Mapping[str, str | None] = field(default_factory=dict)
    relationships: Mapping[str, str | None] = field(default_factory=dict)
    locations: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)

    def concern_values(self, codes: Iterable[str]) -> list[str]:
        """The instance's values for these concerns, each once, in order; a code with no target adds nothing."""
        values: list[str] = []
        for code in codes:
            values += [value for value in self.concerns.get(code, ()) if value not in values]
        return values

    def location_code(self, code: str | None) -> str | None:
        """The instance's code for a Relais location code (the same code unless mapped)."""
        return None if not code else self.locations.get(code, code)

    def user_name(self, email: str | None) -> str | None:
        """The Primero user name of a Relais staff account, or None when the mapping names none."""
        return self.users.get((email or "").strip().lower()) if email else None

    def emails_of(self, user_name: str | None) -> list[str]:
        """The Relais accounts (lower-case emails) mapped to a Primero user name."""
        return sorted(email for email, name in self.users.items() if user_name and name == user_name)


@dataclass(frozen=True)
class Problem:
    """One thing the instance would refuse or the mapping leaves out."""

    kind: str
    section: str
    relais_code: str
    target: str | None = None


def stock_mapping() -> HandoffMapping:
    """Stock Primero's values (its seed lookups)."""
    return load_mapping(None)


def load_mapping(path: str | Path | None) -> HandoffMapping:
    """The mapping in a JSON or CSV file over stock Primero's (None: stock Primero's); InvalidInput when unreadable."""
    stock = json.loads(STOCK_FILE.read_text(encoding="utf-8"))
    if not path:
        return _from_sections(stock, {})
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read the Primero mapping {path}: {exc.strerror}") from None
    given = _read_csv(text, path) if path.suffix.lower() == ".csv" else _read_json(text, path)
    return _from_sections(stock, given)


def mapping_problems(mapping: HandoffMapping, lookups: Mapping[str, Any], location_codes: set[str],
                     relais_locations: Iterable[str] = ()) -> list[Problem]:
    """Every Relais code with no valid target in the instance, and every target the instance no longer has.

    lookups: the instance's lookups by unique_id, each with .values and .disabled (channels.primero.client.Lookup).
    relais_locations: the Relais location codes reports may name (each must reach an instance location).
    """
    problems: list[Problem] = []
    for section, (codes, lookup_id) in CODED_SECTIONS.items():
        table = getattr(mapping, section)
        lookup = lookups.get(lookup_id)
        for code in codes:
            if code not in table:
                problems.append(Problem(NO_TARGET, section, code))
                continue
            targets = table[code] if isinstance(table[code], tuple) else (table[code],)
            for target in targets:
                if target is None:
                    continue  # deliberately not sent (a sex not known, a type the instance has no value for)
                if lookup is None or target not in set(lookup.values) | set(lookup.disabled):
                    problems.append(Problem(UNKNOWN_VALUE, section, code, target))
                elif target in lookup.disabled:
                    problems.append(Problem(DISABLED_VALUE, section, code, target))
            if not targets:
                problems.append(Problem(NO_TARGET, section, code))
    for code in sorted(set(relais_locations)):
        target = mapping.location_code(code)
        if target not in location_codes:
            problems.append(Problem(UNKNOWN_LOCATION, "locations", code, target))
    return problems


def _from_sections(stock: dict[str, Any], given: dict[str, Any]) -> HandoffMapping:
    merged = {section: given.get(section, stock.get(section, {})) for section in SECTIONS}
    unknown = [(section, code) for section, (codes, _) in CODED_SECTIONS.items()
               for code in merged[section] if code not in codes]
    if unknown:
        raise InvalidInput("the Primero mapping names codes Relais does not have: "
                           + ", ".join(f"{section} {code}" for section, code in unknown))
    concerns = {code: _values(value) for code, value in merged["concerns"].items()}

    def one_value_each(section: str) -> MappingProxyType:
        return MappingProxyType({code: value or None for code, value in merged[section].items()})

    return HandoffMapping(
        concerns=MappingProxyType(concerns),
        sexes=one_value_each("sexes"),
        risk_levels=MappingProxyType(dict(merged["risk_levels"])),
        service_types=one_value_each("service_types"),
        protection_statuses=one_value_each("protection_statuses"),
        relationships=one_value_each("relationships"),
        locations=MappingProxyType({str(k): str(v) for k, v in merged["locations"].items()}),
        users=MappingProxyType({str(k).strip().lower(): str(v) for k, v in merged["users"].items()}),
    )


def _values(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _read_json(text: str, path: Path) -> dict[str, Any]:
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"the Primero mapping {path} is not JSON: {exc}") from None
    if not isinstance(given, dict) or any(not isinstance(given.get(s, {}), dict) for s in SECTIONS) \
            or set(given) - set(SECTIONS):
        raise InvalidInput(f"the Primero mapping {path}: an object of {', '.join(SECTIONS)}, each an object of codes")
    return given


def _read_csv(text: str, path: Path) -> dict[str, Any]:
    """Rows of section,relais_code,primero_value; a concern's several values are several rows."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise InvalidInput(f"the Primero mapping {path}: the columns are {','.join(CSV_COLUMNS)}")
    given: dict[str, dict[str, Any]] = {}
    for line, row in enumerate(reader, start=2):
        section, code, value = (row[c].strip() if row[c] else "" for c in CSV_COLUMNS)
        if section not in SECTIONS or not code:
            raise InvalidInput(f"the Primero mapping {path}, line {line}: a section among {', '.join(SECTIONS)} "
                               "and a Relais code")
        table = given.setdefault(section, {})
        if section == "concerns":
            table.setdefault(code, [])
            if value:
                table[code].append(value)
        else:
            table[code] = value or None
    return given

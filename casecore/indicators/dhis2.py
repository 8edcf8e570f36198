"""Indicators as a DHIS2 dataValueSet: each mapped value becomes a data value (dataElement, period, orgUnit,
categoryOptionCombo, value), following a deployment's mapping file (DHIS2_MAPPING, JSON):

    {"organisations": {"demo": "OrgUnitUid"},           # the organisation's own org unit
     "locations": {"ML09": "BamakoOrgUnitUid"},         # a region's or cercle's, for values broken down by place
     "data": [{"indicator": "reports_received", "by": {"sex": "female", "age_band": "0_5"},
               "dataElement": "DeUid", "categoryOptionCombo": "CocUid"}, ...]}

A rule takes the values of its indicator broken down by exactly its `by` dimensions, with those codes; `"region":
"*"` (or `"cercle": "*"`) in `by` takes the values broken down by region (cercle) too, each sent to that place's
org unit (without it, to the organisation's). Values withheld by the small-cell rule are not
sent (an export is where it applies); the values no rule takes, and the places with no org unit, are listed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casecore.errors import InvalidInput
from casecore.indicators.values import NONE, Value
from casecore.periods import Period

# Breakdowns by place: a rule with one of them set to "*" sends each place's value to that place's org unit. A
# cercle's values carry its region too (casecore.indicators.intake), so "cercle": "*" takes those broken down by both.
PLACE_DIMENSIONS = {"region": ("region",), "cercle": ("region", "cercle")}


@dataclass(frozen=True)
class Rule:
    """Which values one data element (with its category option combo) takes."""

    indicator: str
    by: tuple[tuple[str, str], ...]
    data_element: str
    category_option_combo: str | None = None


@dataclass(frozen=True)
class Dhis2Mapping:
    """Org units and data elements for a deployment's indicators."""

    organisations: dict[str, str]
    locations: dict[str, str]
    rules: tuple[Rule, ...]


@dataclass
class DataValueSet:
    """The data values to send, and what could not be: unmapped indicators, places with no org unit, withheld."""

    data_values: list[dict[str, Any]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    unknown_places: list[str] = field(default_factory=list)
    withheld: int = 0
    # Values of reports that named no such place (no region, or a region but no cercle): no org unit to send them to.
    unplaced: int = 0

    def as_json(self) -> dict[str, Any]:
        """The body of POST /api/dataValueSets."""
        return {"dataValues": self.data_values}


def load_dhis2_mapping(path: str | Path) -> Dhis2Mapping:
    """The mapping file; InvalidInput saying what is wrong with it."""
    try:
        given = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read the DHIS2 mapping {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InvalidInput(f"the DHIS2 mapping {path} is not JSON: {exc}") from None
    try:
        rules = tuple(Rule(row["indicator"], tuple(sorted((row.get("by") or {}).items())), row["dataElement"],
                           row.get("categoryOptionCombo")) for row in given.get("data", []))
        mapping = Dhis2Mapping(dict(given.get("organisations", {})), dict(given.get("locations", {})), rules)
    except (AttributeError, KeyError, TypeError):
        raise InvalidInput(f"the DHIS2 mapping {path}: organisations and locations are objects of codes to org "
                           "units; data is a list of {indicator, by, dataElement, categoryOptionCombo}") from None
    for rule in rules:
        places = [(name, code) for name, code in rule.by if name in PLACE_DIMENSIONS]
        if len(places) > 1 or any(code != "*" for _name, code in places):
            raise InvalidInput(f"the DHIS2 mapping {path}: a rule of {rule.indicator} names places as "
                               f"{dict(places)}; give one of {', '.join(PLACE_DIMENSIONS)} as \"*\" (each place's "
                               "value goes to its org unit in locations)")
    return mapping


def dhis2_period(period: Period) -> str:
    """DHIS2's name of a calendar month (202611) or quarter (2026Q4); InvalidInput for any other period."""
    if period.name == "month":
        return period.first.strftime("%Y%m")
    if period.name == "quarter":
        return f"{period.first.year}Q{(period.first.month - 1) // 3 + 1}"
    raise InvalidInput("DHIS2 takes a calendar month (YYYY-MM) or quarter (YYYY-Q1 to YYYY-Q4)")


def data_value_set(values: list[Value], mapping: Dhis2Mapping, organisation: str, period: Period) -> DataValueSet:
    """The dataValueSet of an organisation's values for a period."""
    found = DataValueSet()
    own_unit = mapping.organisations.get(organisation)
    if own_unit is None:
        found.unknown_places.append(organisation)
    taken: set[int] = set()
    for rule in mapping.rules:
        wanted = dict(rule.by)
        per_place = next((name for name in PLACE_DIMENSIONS if wanted.pop(name, None) == "*"), None)
        place_dimensions = set(PLACE_DIMENSIONS.get(per_place, ()))
        for index, value in enumerate(values):
            by = dict(value.by)
            places = {name: by.pop(name) for name in PLACE_DIMENSIONS if name in by}
            if value.indicator != rule.indicator or by != wanted or set(places) != place_dimensions:
                continue
            taken.add(index)
            if value.suppressed:
                found.withheld += 1
                continue
            place = places.get(per_place) if per_place else None
            if place == NONE:
                found.unplaced += 1
                continue
            unit = own_unit if per_place is None else mapping.locations.get(place)
            if unit is None:
                if per_place is not None and place not in found.unknown_places:
                    found.unknown_places.append(place)
                continue
            row = {"dataElement": rule.data_element, "period": dhis2_period(period), "orgUnit": unit,
                   "value": str(value.value if value.value is not None else "")}
            if rule.category_option_combo:
                row["categoryOptionCombo"] = rule.category_option_combo
            if row["value"] != "":
                found.data_values.append(row)
    mapped_indicators = {rule.indicator for rule in mapping.rules}
    found.unmapped = sorted({v.indicator for i, v in enumerate(values)
                             if i not in taken and v.indicator not in mapped_indicators})
    return found

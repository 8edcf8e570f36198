"""The indicators in long format: one row per value, a column per disaggregation, codes not words. The CSV writes
these rows as text and the API returns them as JSON, so the two cannot disagree."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casecore.indicators.values import DIMENSIONS, Value
from casecore.periods import Period

# What a value may be broken down by: the disaggregations, and the reason (of reports found not eligible).
BREAKDOWN_COLUMNS = (*DIMENSIONS, "reason")
COLUMNS = ("indicator", "period_start", "period_end", "organisation", *BREAKDOWN_COLUMNS, "value", "computed_at")


@dataclass(frozen=True)
class LongRow:
    """One value of an indicator: each column's content (None where not broken down by it), the value (None when
    withheld or when there is none to give), and whether the small-cell rule withheld it."""

    columns: dict[str, Any]
    withheld: bool


def long_rows(values: list[Value], period: Period, organisation: str, computed_at: datetime,
              by: frozenset[str] | None = None) -> list[LongRow]:
    """The rows of values in their order; by: only those broken down by exactly these columns (none: every row)."""
    rows = []
    for value in values:
        breakdown = dict(value.by)
        if by is not None and frozenset(breakdown) != by:
            continue
        columns = {"indicator": value.indicator, "period_start": period.first, "period_end": period.last,
                   "organisation": organisation, **{name: breakdown.get(name) for name in BREAKDOWN_COLUMNS},
                   "value": None if value.suppressed else value.value, "computed_at": computed_at}
        rows.append(LongRow(columns, value.suppressed))
    return rows

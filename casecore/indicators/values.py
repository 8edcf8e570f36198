"""An indicator's values: one number per combination of disaggregations, in list-of-values codes."""
from __future__ import annotations

from dataclasses import dataclass

# Every disaggregation an indicator may carry, in the order the CSV gives them columns.
DIMENSIONS = ("channel", "concern", "sex", "age_band", "region", "cercle", "source", "kind", "risk_level", "step",
              "closure_reason", "deadline_kind", "service_type", "status", "month")
# A breakdown's value for reports or cases that have none (no place given, no risk level yet).
NONE = "none"


@dataclass(frozen=True)
class Value:
    """One number of an indicator: a count, a share (0 to 1) or hours, for the disaggregations in `by`.

    suppressed: a count withheld by the small-cell rule (its true value stays here, never shown where suppressed).
    """

    indicator: str
    value: float | int | None
    by: tuple[tuple[str, str], ...] = ()
    suppressed: bool = False

    def get(self, dimension: str) -> str | None:
        """The value's code for a disaggregation, or None when it is not broken down by it."""
        return dict(self.by).get(dimension)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The disaggregations of this value, in order."""
        return tuple(name for name, _code in self.by)


def total(values: list[Value], indicator: str) -> Value | None:
    """The indicator's value not broken down, if there is one."""
    return next((value for value in values if value.indicator == indicator and not value.by), None)


def breakdown(values: list[Value], indicator: str, *dimensions: str) -> list[Value]:
    """The indicator's values broken down by exactly these dimensions, the largest first (withheld ones last)."""
    found = [value for value in values if value.indicator == indicator and value.dimensions == dimensions]
    return sorted(found, key=lambda value: (value.suppressed, -(value.value or 0)))

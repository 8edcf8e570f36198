"""The small-cell rule: a count from 1 to INDICATOR_MIN_CELL - 1 is withheld ("fewer than 5") wherever its reader
could not already list the cases it counts (an export; a supervisor's view of the whole organisation), and so is
what would give it away.

- A count of 1 to min_cell - 1 is withheld; 0 is shown (there is nobody to recognise).
- Complementary suppression: in each breakdown (one indicator, one set of disaggregations) whose total is shown,
  a single withheld cell could be found by subtraction, so the smallest other non-zero cell is withheld with it.
  This is the simple rule for one-way tables; cross tables get it per breakdown, which protects a cell from its own
  breakdown's total and the other cells of that breakdown (not from every combination of margins).
- Shares, medians and percentiles computed from fewer than min_cell items are withheld too (BASES names each one's
  count).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from casecore.indicators.values import Value

# A derived indicator and the count it is computed from.
BASES = {"triage_hours_median": "triage_decided", "triage_hours_p90": "triage_decided",
         "triage_in_time_share": "triage_decided", "referral_days_to_acceptance_median": "referrals_made",
         "open_caseload_median": "case_workers", "open_caseload_max": "case_workers"}
# Counts of staff, not of children: shown as they are (a supervisor knows the team).
NOT_COUNTS = {"case_workers", "supervisors", "case_workers_over_limit", "supervisors_over_span"}
# Shares whose count sits beside them with the same breakdown (deadlines_met_share of deadlines_judged).
PAIRED = {"deadlines_met_share": "deadlines_judged"}


def suppress(values: list[Value], min_cell: int) -> list[Value]:
    """The values with small counts, their complements and the figures derived from small counts withheld."""
    if min_cell <= 1:
        return list(values)
    small = [_is_small(value, min_cell) for value in values]
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    for index, value in enumerate(values):
        if value.by and value.indicator not in BASES and value.indicator not in PAIRED:
            groups[(value.indicator, value.dimensions)].append(index)
    for members in groups.values():
        if sum(small[i] for i in members) == 1:
            others = [i for i in members if not small[i] and values[i].value]
            if others:
                small[min(others, key=lambda i: values[i].value)] = True
    bases = {value.indicator: value.value for value in values if not value.by}
    paired = {(value.indicator, value.by): value.value for value in values if value.indicator in PAIRED.values()}
    for index, value in enumerate(values):
        base = bases.get(BASES.get(value.indicator, ""))
        if value.indicator in PAIRED:
            base = paired.get((PAIRED[value.indicator], value.by))
        if base is not None and 0 < base < min_cell and value.value is not None:
            small[index] = True
    return [replace(value, suppressed=True) if withheld else value
            for value, withheld in zip(values, small, strict=True)]


def _is_small(value: Value, min_cell: int) -> bool:
    return (value.indicator not in BASES and value.indicator not in PAIRED and value.indicator not in NOT_COUNTS
            and isinstance(value.value, int) and not isinstance(value.value, bool) and 0 < value.value < min_cell)

"""The small-cell rule: a count from 1 to INDICATOR_MIN_CELL - 1 is withheld ("fewer than 5") wherever its reader
could not already list the cases it counts (an export; a supervisor's view of the whole organisation), and so is
what would give it away.

- A count of 1 to min_cell - 1 is withheld; 0 is shown (there is nobody to recognise).
- Complementary suppression: the cells of a breakdown (one indicator, one set of disaggregations) add up to the
  indicator's total, and the cercles of a region (NESTED) to the region's cell; in each such sum, a single withheld
  number, cell or margin, could be found by subtraction, so the smallest other non-zero cell is withheld with it
  (the margin when there is none), again until nothing changes. Cross tables get the rule per breakdown, which
  protects a cell from its own breakdown's total and the other cells of that breakdown (not from every
  combination of margins).
- Shares, medians and percentiles computed from fewer than min_cell items are withheld too (BASES names each one's
  count).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from casecore.indicators.values import Value

# A derived indicator and the count it is computed from.
BASES = {"triage_hours_median": "triage_decided", "triage_hours_p90": "triage_decided",
         "triage_in_time_share": "triage_decided", "referral_days_to_acceptance_median": "referrals_made"}
# Figures of staff and their workload, not of children: shown as they are (a supervisor knows the team and sees
# each case worker's caseload when assigning a case).
NOT_COUNTS = {"case_workers", "supervisors", "case_workers_over_limit", "supervisors_over_span",
              "open_caseload_median", "open_caseload_max"}
# Shares whose count sits beside them with the same breakdown (deadlines_met_share of deadlines_judged).
PAIRED = {"deadlines_met_share": "deadlines_judged"}
# Breakdowns whose cells add up, group by group, to the cells of a coarser one: (region, cercle) to (region,).
NESTED = {("region", "cercle"): ("region",)}


def suppress(values: list[Value], min_cell: int) -> list[Value]:
    """The values with small counts, their complements and the figures derived from small counts withheld."""
    if min_cell <= 1:
        return list(values)
    small = [_is_small(value, min_cell) for value in values]
    sums = _sums(values)
    changed = True
    while changed:  # each pass only withholds more, so it ends
        changed = False
        for members, margin in sums:
            if sum(small[i] for i in members) + (margin is not None and small[margin]) != 1:
                continue
            others = [i for i in members if not small[i] and values[i].value]
            if others:
                small[min(others, key=lambda i: values[i].value)] = changed = True
            elif margin is not None and not small[margin]:
                small[margin] = changed = True
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


def _sums(values: list[Value]) -> list[tuple[list[int], int | None]]:
    """The cells that add up together, as indexes into values, with the index of what they add up to (None when it
    is not among the values): each breakdown to the indicator's total, each region's cercles to the region."""
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    totals: dict[str, int] = {}
    for index, value in enumerate(values):
        if value.indicator in BASES or value.indicator in PAIRED:
            continue
        if value.by:
            groups[(value.indicator, value.dimensions)].append(index)
        else:
            totals[value.indicator] = index
    tables: list[tuple[list[int], int | None]] = [(members, totals.get(indicator))
                                                   for (indicator, _dimensions), members in groups.items()]
    for (indicator, dimensions), members in groups.items():
        coarser = NESTED.get(dimensions)
        if coarser is None or (indicator, coarser) not in groups:
            continue
        margins = {values[i].by: i for i in groups[(indicator, coarser)]}
        nested: dict[tuple, list[int]] = defaultdict(list)
        for i in members:
            nested[tuple((name, values[i].get(name)) for name in coarser)].append(i)
        tables += [(cells, margins.get(key)) for key, cells in nested.items()]
    return tables


def _is_small(value: Value, min_cell: int) -> bool:
    return (value.indicator not in BASES and value.indicator not in PAIRED and value.indicator not in NOT_COUNTS
            and isinstance(value.value, int) and not isinstance(value.value, bool) and 0 < value.value < min_cell)

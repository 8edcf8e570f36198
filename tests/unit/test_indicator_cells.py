"""The small-cell rule on hand-made values: small counts withheld, one more in a breakdown that would give a single
one away, zeros shown, and figures derived from few items withheld."""
from __future__ import annotations

from casecore.indicators.cells import suppress
from casecore.indicators.values import Value


def _withheld(values):
    return [(v.indicator, v.by, v.value) for v in values if v.suppressed]


def test_a_single_small_cell_takes_the_next_smallest_with_it():
    values = [Value("reports_received", 30), Value("reports_received", 3, (("sex", "female"),)),
              Value("reports_received", 12, (("sex", "male"),)), Value("reports_received", 15, (("sex", "unknown"),))]
    assert _withheld(suppress(values, 5)) == [("reports_received", (("sex", "female"),), 3),
                                              ("reports_received", (("sex", "male"),), 12)]


def test_two_small_cells_protect_each_other_and_zero_is_shown():
    values = [Value("x", 9), Value("x", 2, (("c", "a"),)), Value("x", 3, (("c", "b"),)), Value("x", 4, (("c", "d"),)),
              Value("x", 0, (("c", "e"),))]
    assert [v.value for v in suppress(values, 5) if v.suppressed] == [2, 3, 4]


def test_shares_and_times_from_few_decisions_are_withheld_big_ones_shown():
    few = [Value("triage_decided", 3), Value("triage_hours_median", 1.5), Value("triage_in_time_share", 0.5)]
    many = [Value("triage_decided", 40), Value("triage_hours_median", 1.5), Value("triage_in_time_share", 0.5)]
    assert [v.indicator for v in suppress(few, 5) if v.suppressed] == [
        "triage_decided", "triage_hours_median", "triage_in_time_share"]
    assert not any(v.suppressed for v in suppress(many, 5))


def test_a_minimum_of_one_withholds_nothing():
    assert not any(v.suppressed for v in suppress([Value("x", 1), Value("x", 1, (("c", "a"),))], 1))

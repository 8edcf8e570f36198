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


def _place(region, cercle=None):
    return (("region", region),) if cercle is None else (("region", region), ("cercle", cercle))


def test_a_small_cercle_takes_another_of_its_own_region_with_it():
    """Bamako 12 = cercle A 3 + cercle B 9; Kati 22 = C 2 + D 20. Withholding A and C together (the rule for one
    table) would leave A = 12 - 9 to anyone reading both breakdowns: B goes with A, D with C."""
    values = [Value("r", 34), Value("r", 12, _place("bko")), Value("r", 22, _place("kati")),
              Value("r", 3, _place("bko", "a")), Value("r", 9, _place("bko", "b")),
              Value("r", 2, _place("kati", "c")), Value("r", 20, _place("kati", "d"))]
    assert [v.by for v in suppress(values, 5) if v.suppressed] == [
        _place("bko", "a"), _place("bko", "b"), _place("kati", "c"), _place("kati", "d")]


def test_a_region_withheld_to_protect_another_does_not_stay_readable_from_its_cercles():
    """Koulikoro 3 (all in cercle A), Bamako 30 (all in cercle B), 33 in all: Koulikoro is small, so Bamako goes
    with it; Bamako's one cercle would then give Bamako, and Koulikoro by difference: B goes too."""
    values = [Value("r", 33), Value("r", 3, _place("kkro")), Value("r", 30, _place("bko")),
              Value("r", 3, _place("kkro", "a")), Value("r", 30, _place("bko", "b"))]
    assert [v.by for v in suppress(values, 5) if v.suppressed] == [
        _place("kkro"), _place("bko"), _place("kkro", "a"), _place("bko", "b")]


def test_reports_placed_at_a_region_only_stand_beside_its_cercles():
    """Koulikoro 8 = cercle A 3 + 5 placed at the region only: A and the region-only count go together."""
    values = [Value("r", 38), Value("r", 8, _place("kkro")), Value("r", 30, _place("bko")),
              Value("r", 3, _place("kkro", "a")), Value("r", 5, _place("kkro", "none")),
              Value("r", 30, _place("bko", "b"))]
    assert [v.by for v in suppress(values, 5) if v.suppressed] == [_place("kkro", "a"), _place("kkro", "none")]


def test_caseloads_are_staff_figures_shown_as_they_are():
    values = [Value("case_workers", 2), Value("open_caseload_median", 3.5), Value("open_caseload_max", 4)]
    assert not any(v.suppressed for v in suppress(values, 5))

"""Periods in the deployment's days: a month in Nairobi starts at 21:00 UTC the day before; a zone name that does
not exist stops the process at start-up."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bootstrap import Runtime
from casecore.periods import calendar_period, ended_months, format_day, months_of, parse_day, period_for
from tests.conftest import make_settings

NAIROBI = ZoneInfo("Africa/Nairobi")


def test_a_month_in_nairobi_runs_from_midnight_to_midnight_there():
    november = calendar_period("2026-11", NAIROBI)
    assert november.start == datetime(2026, 10, 31, 21, 0, tzinfo=timezone.utc)
    assert november.end == datetime(2026, 11, 30, 21, 0, tzinfo=timezone.utc)
    assert calendar_period("2026-11").start == datetime(2026, 11, 1, tzinfo=timezone.utc)  # UTC when none given


def test_the_zone_travels_with_the_periods_made_from_a_period():
    quarter = calendar_period("2026-Q4", NAIROBI)
    assert {month.zone for month in months_of(quarter)} == {NAIROBI}
    assert ended_months(quarter, date(2026, 12, 6)).zone == NAIROBI
    assert period_for("custom", "2026-11-01", "2026-11-15", zone=NAIROBI).start.utcoffset().total_seconds() == 3 * 3600


@pytest.mark.parametrize("name", ["Africa/Bamako", "Africa/Nairobi", "UTC"])
def test_a_time_zone_name_is_taken(name):
    assert str(Runtime(make_settings(TIME_ZONE=name)).zone) == name


@pytest.mark.parametrize("name", ["Africa/Atlantis", "../etc/passwd", "GMT+99", "Africa"])
def test_a_time_zone_that_does_not_exist_stops_the_process_at_start_up(name):
    with pytest.raises(ValueError, match="TIME_ZONE"):
        Runtime(make_settings(TIME_ZONE=name))


@pytest.mark.parametrize("typed, day", [
    ("05/03/2026", date(2026, 3, 5)), ("5/3/2026", date(2026, 3, 5)), (" 05-03-2026 ", date(2026, 3, 5)),
    ("05.03.2026", date(2026, 3, 5)), ("2026-03-05", date(2026, 3, 5)), ("29/02/2028", date(2028, 2, 29)),
])
def test_a_day_is_read_day_first_or_as_a_date_picker_sends_it(typed, day):
    assert parse_day(typed) == day
    assert parse_day(format_day(day)) == day
    assert format_day(day) == day.strftime("%d/%m/%Y")


@pytest.mark.parametrize("typed", ["03/13/2026", "31/11/2026", "29/02/2027", "20260305", "2026-W10-4", "5/3/26",
                                   "", "demain", "05/03/2026 10:00"])
def test_what_is_not_a_day_is_refused(typed):
    with pytest.raises(ValueError):
        parse_day(typed)

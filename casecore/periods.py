"""Periods that figures cover: a named one (this month, last month...), a calendar month or quarter, or two dates;
both ends included, days as the deployment's clocks count them (TIME_ZONE: Mali keeps UTC all year, Kenya UTC+3),
so a report received at 23:30 on the 30th in Nairobi counts in that month there."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.i18n import N_

PERIODS = ("this_month", "last_month", "last_90_days", "this_year", "custom")
MAX_PERIOD_YEARS = 3
_MONTH = re.compile(r"\A(\d{4})-(\d{2})\Z")
_QUARTER = re.compile(r"\A(\d{4})-Q([1-4])\Z")
# A day as people write it here (day first), whatever the browser's own format: 5/3/2026, 05-03-2026, 05.03.2026.
_DAY_FIRST = re.compile(r"\A(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\Z")
_ISO_DAY = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


@dataclass(frozen=True)
class Period:
    """From the start of `first` to the end of `last` (dates in `zone`, both included)."""

    name: str
    first: date
    last: date
    zone: tzinfo = timezone.utc

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)


def local_today(zone: tzinfo = timezone.utc) -> date:
    """Today's date on the deployment's clocks."""
    return utcnow().astimezone(zone).date()


def period_for(name: str | None, first: str | None = None, last: str | None = None,
               today: date | None = None, zone: tzinfo = timezone.utc) -> Period:
    """The period named (this month by default), or the custom one from..to, in days of `zone`; InvalidInput saying
    what is wrong."""
    today = today or local_today(zone)
    name = name or ("custom" if first or last else "this_month")
    if name == "this_month":
        return Period(name, today.replace(day=1), today, zone)
    if name == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(name, end.replace(day=1), end, zone)
    if name == "last_90_days":
        return Period(name, today - timedelta(days=89), today, zone)
    if name == "this_year":
        return Period(name, today.replace(month=1, day=1), today, zone)
    if name != "custom":
        raise InvalidInput("choose a period from the list")
    start, end = _date(first), _date(last)
    if start > end:
        raise InvalidInput("the start date is after the end date")
    if end >= _years_after(start, MAX_PERIOD_YEARS):
        raise InvalidInput("a period is at most 3 years")
    return Period(name, start, end, zone)


def ended_months(period: Period, today: date) -> Period | None:
    """The whole calendar months of the period that ended before today; None when there is none."""
    first = period.first if period.first.day == 1 else _next_month(period.first)
    last_day = min(period.last, today.replace(day=1) - timedelta(days=1))
    if _next_month(last_day) != last_day + timedelta(days=1):  # the month of last_day is not whole in the period
        last_day = last_day.replace(day=1) - timedelta(days=1)
    return replace(period, name="months", first=first, last=last_day) if first <= last_day else None


def _next_month(day: date) -> date:
    """The first day of the month after day's."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _years_after(day: date, years: int) -> date:
    """The same day that many years on (29 February gives 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


def parse_day(text: str) -> date:
    """A day typed in a form: day/month/year (the way West and East Africa write dates) or the ISO YYYY-MM-DD a
    date picker sends; ValueError for anything else, or a day that does not exist."""
    text = text.strip()
    day_first = _DAY_FIRST.match(text)
    if day_first:
        day, month, year = (int(part) for part in day_first.groups())
        return date(year, month, day)
    if not _ISO_DAY.match(text):  # fromisoformat would also take 20260305 and week dates: nobody types those
        raise ValueError(f"not a day: {text!r}")
    return date.fromisoformat(text)


def format_day(value: date | None) -> str:
    """A day as forms show it and parse_day reads it back: 05/03/2026."""
    return value.strftime("%d/%m/%Y") if value else ""


def _date(text: str | None) -> date:
    try:
        value = parse_day(text or "")
    except ValueError:
        raise InvalidInput("write both dates as DD/MM/YYYY") from None
    if not 2000 <= value.year <= 2099:
        raise InvalidInput("give dates between 2000 and 2099")
    return value


def calendar_period(text: str, zone: tzinfo = timezone.utc) -> Period:
    """A calendar month ("2026-11") or quarter ("2026-Q4"), as DHIS2 and coordinators name them, in days of zone."""
    text = (text or "").strip().upper()
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or not 2000 <= year <= 2099:
            raise InvalidInput(N_("give a month as YYYY-MM, between 2000 and 2099"))
        first = date(year, month, 1)
        return Period("month", first, _next_month(first) - timedelta(days=1), zone)
    if match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        if not 2000 <= year <= 2099:
            raise InvalidInput(N_("give a quarter as YYYY-Q1 to YYYY-Q4, between 2000 and 2099"))
        first = date(year, 3 * quarter - 2, 1)
        last = _next_month(_next_month(_next_month(first))) - timedelta(days=1)
        return Period("quarter", first, last, zone)
    raise InvalidInput(N_("give a month as YYYY-MM or a quarter as YYYY-Q1 to YYYY-Q4"))


def months_of(period: Period) -> list[Period]:
    """The calendar months the period touches, each clipped to the period, in order (for trends by month)."""
    months, first = [], period.first
    while first <= period.last:
        last = min(_next_month(first) - timedelta(days=1), period.last)
        months.append(Period("month", first, last, period.zone))
        first = last + timedelta(days=1)
    return months

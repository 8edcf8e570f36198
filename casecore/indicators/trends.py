"""Month by month: reports received and cases opened over the months up to a period's end, for a trend chart."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casecore.cases.models import Case
from casecore.indicators.holding import held_by
from casecore.indicators.values import Value
from casecore.periods import Period, calendar_period
from casecore.reports.models import Report

TREND_MONTHS = 6


def monthly_trend(session: Session, organisation_id: uuid.UUID, period: Period,
                  months: int = TREND_MONTHS) -> list[Value]:
    """reports_received and cases_opened for each of the `months` calendar months ending with the period's last,
    broken down by `month` (YYYY-MM)."""
    values = []
    for month in _months_back(period, months):
        code = month.first.strftime("%Y-%m")
        for indicator, model, moment, ours in (
                ("reports_received", Report, Report.received_at, Report.organisation_id == organisation_id),
                ("cases_opened", Case, Case.opened_at, held_by(organisation_id, Case.opened_at))):
            count = session.scalar(select(func.count()).select_from(model).where(
                ours, moment >= month.start, moment < month.end))
            values.append(Value(indicator, count or 0, (("month", code),)))
    return values


def _months_back(period: Period, months: int) -> list[Period]:
    found, day = [], period.last
    for _ in range(months):
        month = calendar_period(day.strftime("%Y-%m"), period.zone)
        found.insert(0, month)
        day = month.first - timedelta(days=1)
    return found

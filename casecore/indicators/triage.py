"""Triage indicators for a period: how long reports waited for a supervisor's decision (median, 90th percentile,
in hours) and the share decided within their assignment deadline (TIMELINE_ASSIGN_*: 1 h urgent, 3 h otherwise).

Of the reports received in the period: the times are those of the reports decided (in Relais: a report handed
straight over to CPIMS+ is decided there); the share counts a report once its outcome is known — decided, or still
waiting past its deadline — and leaves out those still within their time.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.deadlines.models import CaseDeadline
from casecore.indicators.values import Value
from casecore.periods import Period
from casecore.reports.models import Report
from casecore.stats import hours_between, percentile

DECIDED_IN_RELAIS = ("accepted", "duplicate", "not_eligible", "referred", "closed")


def triage_indicators(session: Session, organisation_id: uuid.UUID, period: Period,
                      now: datetime | None = None) -> list[Value]:
    """Time to decision and the share decided in time, for the organisation's reports received in the period."""
    now = now or utcnow()
    received = and_(Report.organisation_id == organisation_id, Report.received_at >= period.start,
                    Report.received_at < period.end)
    # Hours computed in SQL: a quarter's tens of thousands of decisions are not made into datetimes one by one.
    waits = sorted(session.scalars(select(hours_between(session, Report.received_at, Report.decided_at)).where(
        received, Report.decided_at.is_not(None), Report.status.in_(DECIDED_IN_RELAIS))))
    known = or_(CaseDeadline.met_at.is_not(None), CaseDeadline.due_at < now)
    judged, in_time = session.execute(
        select(func.count(), func.sum(case((CaseDeadline.met_at <= CaseDeadline.due_at, 1), else_=0)))
        .select_from(Report).join(CaseDeadline, and_(CaseDeadline.report_id == Report.id,
                                                     CaseDeadline.kind == "assignment"))
        .where(received, known)).one()
    return [
        Value("triage_decided", len(waits)),
        Value("triage_hours_median", _round(percentile(waits, 0.5))),
        Value("triage_hours_p90", _round(percentile(waits, 0.9))),
        Value("triage_in_time_share", round((in_time or 0) / judged, 4) if judged else None),
    ]


def _round(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 2)

"""Deadlines of case work: the configurable timelines, the dates each case (or new report) must meet, and when a
date is due its warning or overdue alert (alert_due, for cases' and complaints' dates alike).

Defaults follow ../shared/domain/README.md (CPIMS+ configurations, Primero system settings); every one is a
setting (settings.py), handed in as Timelines, because country procedures differ.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, cast, extract, func, literal, or_, select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import UTCDateTime, utcnow
from casecore.deadlines.models import CaseDeadline
from casecore.errors import InvalidInput


@dataclass(frozen=True)
class Timelines:
    """Every case-work timeline, in hours, by risk level where it depends on it."""

    assign_high_risk_hours: float = 1  # Primero TIMEFRAME_HOURS_TO_ASSIGN_HIGH
    assign_hours: float = 3  # Primero TIMEFRAME_HOURS_TO_ASSIGN
    first_response_hours: dict[str, float] = None  # high 24 h, medium 3 days, low 7 days
    assessment_hours: dict[str, float] = None  # after registration: high 1 day, medium 3 days, low 7 days
    case_plan_hours: dict[str, float] = None  # after the assessment's approval: high 3 days, medium 1 w, low 2 w
    review_hours: float = 30 * 24  # the case plan is reviewed at least monthly
    post_closure_check_hours: float = 90 * 24  # a final follow-up 3 months after closure
    warn_before_fraction: float = 0.25  # the case worker is warned when this share of the time is left
    caseload_limit: int = 25  # a case worker with more open cases is flagged at assignment
    # A complaint is to be closed within these hours of its receipt, by severity (critical 24 h, high 3 days,
    # medium 7 days, low 14 days).
    complaint_hours: dict[str, float] = None

    def __post_init__(self) -> None:
        defaults = {
            "first_response_hours": {"high": 24, "medium": 72, "low": 168},
            "assessment_hours": {"high": 24, "medium": 72, "low": 168},
            "case_plan_hours": {"high": 72, "medium": 168, "low": 336},
            "complaint_hours": {"critical": 24, "high": 72, "medium": 168, "low": 336},
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)

    def assignment_due(self, received_at: datetime, urgent: bool) -> datetime:
        """When a new report must be assigned: within the hour when urgent (treated as high risk)."""
        return received_at + timedelta(hours=self.assign_high_risk_hours if urgent else self.assign_hours)

    def by_risk(self, kind: str, risk_level: str, start: datetime) -> datetime:
        """When a risk-dependent deadline (first_response, assessment, case_plan) falls after start."""
        table = {"first_response": self.first_response_hours, "assessment": self.assessment_hours,
                 "case_plan": self.case_plan_hours}.get(kind)
        if table is None:
            raise InvalidInput(f"{kind} does not depend on the risk level")
        taxonomy.require(risk_level, taxonomy.CASE_RISK_LEVELS, "risk level")
        return start + timedelta(hours=table[risk_level])

    def complaint_due(self, received_at: datetime, severity: str) -> datetime:
        """When a complaint of this severity must be closed."""
        taxonomy.require(severity, taxonomy.COMPLAINT_SEVERITIES, "complaint severity")
        return received_at + timedelta(hours=self.complaint_hours[severity])

    def review_due(self, start: datetime) -> datetime:
        """When the next case plan review falls."""
        return start + timedelta(hours=self.review_hours)

    def post_closure_check_due(self, closed_at: datetime) -> datetime:
        """When the final follow-up after closure falls."""
        return closed_at + timedelta(hours=self.post_closure_check_hours)

    def warn_at(self, created_at: datetime, due_at: datetime) -> datetime:
        """When the case worker is warned that a deadline is near."""
        return due_at - (due_at - created_at) * self.warn_before_fraction


def schedule(session: Session, kind: str, due_at: datetime, *, case_id: uuid.UUID | None = None,
             report_id: uuid.UUID | None = None) -> uuid.UUID:
    """Add a deadline for a case or a report; an open one of the same kind is replaced (a new date supersedes)."""
    taxonomy.require(kind, taxonomy.DEADLINE_KINDS, "deadline kind")
    if (case_id is None) == (report_id is None):
        raise InvalidInput("a deadline belongs to a case or to a report")
    owner = CaseDeadline.case_id == case_id if case_id is not None else CaseDeadline.report_id == report_id
    # Superseded, not deleted: the trail of what was due when stays.
    session.execute(update(CaseDeadline).where(owner, CaseDeadline.kind == kind, CaseDeadline.met_at.is_(None))
                    .values(met_at=utcnow()).execution_options(synchronize_session=False))
    deadline = CaseDeadline(case_id=case_id, report_id=report_id, kind=kind, due_at=due_at, created_at=utcnow())
    session.add(deadline)
    session.flush()
    return deadline.id


def meet(session: Session, kind: str, *, case_id: uuid.UUID | None = None,
         report_id: uuid.UUID | None = None) -> int:
    """Mark the open deadlines of this kind met (the work was done); returns how many."""
    owner = CaseDeadline.case_id == case_id if case_id is not None else CaseDeadline.report_id == report_id
    return session.execute(
        update(CaseDeadline).where(owner, CaseDeadline.kind == kind, CaseDeadline.met_at.is_(None))
        .values(met_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount


def open_deadlines(session: Session, *, case_id: uuid.UUID | None = None,
                   report_id: uuid.UUID | None = None) -> list[CaseDeadline]:
    """The deadlines still to meet, soonest first."""
    owner = CaseDeadline.case_id == case_id if case_id is not None else CaseDeadline.report_id == report_id
    return list(session.scalars(select(CaseDeadline).where(owner, CaseDeadline.met_at.is_(None))
                                .order_by(CaseDeadline.due_at)))


# The two alerts a date gets: a warning before it, then overdue once it has passed.
WARNING = "warning"
OVERDUE = "overdue"


def alert_due(session: Session, now: datetime, warn_fraction: float, *, due_at, set_at, warned_at, overdue_alerted_at):
    """SQL condition: a date whose warning time or the date itself has passed without its alert. Warned when no
    more than warn_fraction of the time between set_at and the date is left (columns of any table with dates)."""
    seconds = _seconds_since_epoch(session)
    due, start, at = seconds(due_at), seconds(set_at), seconds(literal(now, UTCDateTime))
    to_warn = warned_at.is_(None) & (due_at > now) & (due - at <= (due - start) * warn_fraction)
    passed = overdue_alerted_at.is_(None) & (due_at <= now)
    return or_(to_warn, passed)


def _seconds_since_epoch(session: Session):
    """A function giving an SQL expression for a stored time in seconds (any fixed origin), per database."""
    if session.get_bind().dialect.name == "sqlite":
        return lambda column: func.julianday(column) * 86400.0
    return lambda column: cast(extract("epoch", column), Float)

"""Complaint figures for a period, with no personal data, that count only what the viewer may already know.

Need to know. A count can reveal a complaint as well as reading it can: a staff member named in one, or a
supervisor for a sensitive one, would see it counted the day it arrives. So:
- every breakdown of the viewer's organisation (category, channel, severity, status, times to acknowledge and to
  resolve, deadlines met, open past the deadline) counts exactly the complaints the viewer may read
  (complaint_access.visible_complaints: focal points all but those naming them, supervisors the non-sensitive ones
  not naming them, administrators none). Exact numbers: nothing in them the viewer could not list one by one.
- the table by organisation is the only place other complaints are counted, and so the only one with bands: per
  organisation, the complaints and those in sensitive categories (taxonomy.SENSITIVE_COMPLAINT_CATEGORIES), each in
  a band of five where 0 to 4 are one band ("fewer than 5"), then 5-9, 10-14... It covers only calendar months that
  have ended, the period clipped to the whole ended months in it: a period of a day, or one slid a day across a band
  edge, would otherwise tell when a complaint arrived; a month that has ended no longer changes.
  The viewer's own organisation is left out of it for those who have its breakdowns (focal points, supervisors):
  a band beside their exact count would tell them that some complaint is kept from them. Administrators, who read
  no complaint, see every organisation.

Everything is counted in SQL (GROUP BY); only the durations of the period are fetched, as one column of hours,
to take their median and 90th percentile (SQLite has no percentile_cont).

Deadlines. Of the complaints whose date to be closed by (due_at) falls in the period, or that were closed in it,
the share closed at or before that date; those still open whose date is yet to come are not counted (their outcome
is not known), nor those without a date. Apart: how many are open and past their date now, whatever the period.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.complaints.access import may_read_complaints, visible_complaints
from casecore.complaints.models import Complaint
from casecore.people.models import Organisation
from casecore.people.roles import ADMIN, FOCAL_POINT, SUPERVISOR, Staff
from casecore.periods import Period, ended_months
from casecore.stats import hours_between, percentile

SENSITIVE = tuple(sorted(taxonomy.SENSITIVE_COMPLAINT_CATEGORIES))
NOT_SET = "not_set"  # a complaint received before severities existed, until the scheduler gives it one
BAND = 5
OPEN = tuple(status for status in taxonomy.COMPLAINT_STATUSES if status != "closed")


def may_view_figures(role: str) -> bool:
    """Whether this role reports on the service: focal points, supervisors and administrators."""
    return role in (FOCAL_POINT, SUPERVISOR, ADMIN)


@dataclass(frozen=True)
class Band:
    """A count known only within its band of five: 0 to 4 ("fewer than 5"), 5 to 9, 10 to 14..."""

    low: int
    high: int

    @property
    def fewer_than_band(self) -> bool:
        return self.low == 0


def banded(n: int) -> Band:
    """n in its band: 0 to 4 together, then 5-9, 10-14..."""
    low = n - n % BAND
    return Band(low, low + BAND - 1)


@dataclass(frozen=True)
class Times:
    """How long the complaints of the period took to reach a step, in hours, and how many have not reached it."""

    done: int
    waiting: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Deadlines:
    """Complaints judged against their date (see the module), those closed by it, and those open past it now."""

    judged: int
    within: int
    open_past_due: int

    @property
    def share(self) -> float | None:
        return self.within / self.judged if self.judged else None


@dataclass(frozen=True)
class Breakdowns:
    """The complaints of the period the viewer may read, exactly, broken down."""

    by_category: dict[str, int]
    by_channel: dict[str, int]
    by_severity: dict[str, int]
    by_status: dict[str, int]
    acknowledge: dict[str, Times]  # "all", then each severity
    resolve: dict[str, Times]
    deadlines: dict[str, Deadlines]

    @property
    def total(self) -> int:
        return sum(self.by_category.values())

    @property
    def empty(self) -> bool:
        return self.total == 0


@dataclass(frozen=True)
class OrganisationCounts:
    """One organisation's complaints over the ended months, in bands."""

    name: str
    own: bool
    complaints: Band
    sensitive: Band


@dataclass(frozen=True)
class OrganisationTable:
    """Every organisation's counts over `months`, the whole ended months of the period (None: none yet, no rows)."""

    months: Period | None
    rows: list[OrganisationCounts]


@dataclass(frozen=True)
class Figures:
    """The figures of one period as its viewer may see them."""

    period: Period
    breakdowns: Breakdowns | None  # None for those who read no complaint (administrators)
    organisations: OrganisationTable


def complaint_figures(session: Session, staff: Staff, period: Period, now: datetime | None = None) -> Figures:
    """The breakdowns of the complaints the viewer may read, and every organisation's banded counts."""
    now = now or utcnow()
    breakdowns = _breakdowns(session, staff, period, now) if may_read_complaints(staff.role) else None
    today = now.astimezone(period.zone).date()
    return Figures(period, breakdowns, _organisations(session, staff, ended_months(period, today)))


def _breakdowns(session: Session, staff: Staff, period: Period, now: datetime) -> Breakdowns:
    scope = visible_complaints(staff)
    received = scope & _within(period, Complaint.received_at)
    severity = func.coalesce(Complaint.severity, NOT_SET)
    rows = session.execute(
        select(Complaint.category, Complaint.channel, severity, Complaint.status, func.count(),
               func.sum(case((Complaint.acknowledged_at.is_(None), 1), else_=0)),
               func.sum(case((Complaint.resolved_at.is_(None), 1), else_=0)))
        .where(received).group_by(Complaint.category, Complaint.channel, severity, Complaint.status)
    ).all()
    by = {key: Counter() for key in ("category", "channel", "severity", "status", "unacknowledged", "unresolved")}
    for category, channel, level, status, n, unacknowledged, unresolved in rows:
        by["category"][category] += n
        by["channel"][channel] += n
        by["severity"][level] += n
        by["status"][status] += n
        by["unacknowledged"][level] += unacknowledged or 0
        by["unresolved"][level] += unresolved or 0
    # A supervisor reads no sensitive category: no row for them, rather than a zero that says nothing true.
    categories = [code for code in taxonomy.COMPLAINT_CATEGORIES
                  if staff.role == FOCAL_POINT or code not in SENSITIVE]
    levels = (*taxonomy.COMPLAINT_SEVERITIES, *((NOT_SET,) if by["severity"][NOT_SET] else ()))
    times = _times(session, received, {"acknowledge": by["unacknowledged"], "resolve": by["unresolved"]}, levels)
    return Breakdowns(
        by_category={code: by["category"][code] for code in categories},
        by_channel={code: by["channel"][code] for code in taxonomy.COMPLAINT_INTAKE_CHANNELS},
        by_severity={code: by["severity"][code] for code in levels},
        by_status={code: by["status"][code] for code in taxonomy.COMPLAINT_STATUSES},
        acknowledge=times["acknowledge"], resolve=times["resolve"],
        deadlines=_deadlines(session, scope, period, now, levels),
    )


def _organisations(session: Session, staff: Staff, months: Period | None) -> OrganisationTable:
    """Every organisation's complaints and sensitive ones over the ended months, banded (rows only with months)."""
    if months is None:
        return OrganisationTable(None, [])
    counts = {
        organisation_id: (n, sensitive or 0) for organisation_id, n, sensitive in session.execute(
            select(Complaint.organisation_id, func.count(),
                   func.sum(case((Complaint.category.in_(SENSITIVE), 1), else_=0)))
            .where(_within(months, Complaint.received_at)).group_by(Complaint.organisation_id)
        )
    }
    rows = []
    # Who reads their own organisation's complaints has its breakdowns; its banded row beside their exact counts
    # would tell them by difference that a complaint is kept from them (one naming them, perhaps).
    own_left_out = may_read_complaints(staff.role)
    organisations = session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name))
    for organisation_id, name in organisations:
        if own_left_out and organisation_id == staff.organisation_id:
            continue
        n, sensitive = counts.get(organisation_id, (0, 0))
        rows.append(OrganisationCounts(name, organisation_id == staff.organisation_id, banded(n), banded(sensitive)))
    return OrganisationTable(months, rows)


def _times(session: Session, received, waiting: dict[str, Counter], levels) -> dict[str, dict[str, Times]]:
    """Times to acknowledge and to resolve, by severity and for all: one pass over the period's durations."""
    durations = {"acknowledge": defaultdict(list), "resolve": defaultdict(list)}
    for level, acknowledged, resolved in session.execute(
        select(func.coalesce(Complaint.severity, NOT_SET),
               hours_between(session, Complaint.received_at, Complaint.acknowledged_at),
               hours_between(session, Complaint.received_at, Complaint.resolved_at))
        .where(received, or_(Complaint.acknowledged_at.is_not(None), Complaint.resolved_at.is_not(None)))
    ):
        if acknowledged is not None:
            durations["acknowledge"][level].append(acknowledged)
        if resolved is not None:
            durations["resolve"][level].append(resolved)
    result = {}
    for step, by_level in durations.items():
        by_level["all"] = [value for values in list(by_level.values()) for value in values]
        still = Counter(waiting[step], all=sum(waiting[step].values()))
        result[step] = {}
        for key in ("all", *levels):
            values = sorted(float(value) for value in by_level.get(key, ()))
            result[step][key] = Times(len(values), still[key], percentile(values, 0.5), percentile(values, 0.9))
    return result


def _deadlines(session: Session, scope, period: Period, now: datetime, levels) -> dict[str, Deadlines]:
    severity = func.coalesce(Complaint.severity, NOT_SET)
    judged = {
        level: (n, within or 0) for level, n, within in session.execute(
            select(severity, func.count(), func.sum(case((Complaint.closed_at <= Complaint.due_at, 1), else_=0)))
            .where(scope, Complaint.due_at.is_not(None),
                   or_(_within(period, Complaint.due_at), _within(period, Complaint.closed_at)),
                   # Still open and not yet due: neither met nor missed.
                   ~(Complaint.closed_at.is_(None) & (Complaint.due_at >= now)))
            .group_by(severity)
        )
    }
    overdue = dict(session.execute(
        select(severity, func.count())
        # By status too, so the organisation's index skips the closed ones.
        .where(scope, Complaint.status.in_(OPEN), Complaint.closed_at.is_(None), Complaint.due_at < now)
        .group_by(severity)
    ).all())
    every = {**dict.fromkeys(levels), **judged, **overdue}
    result = {key: Deadlines(*judged.get(key, (0, 0)), overdue.get(key, 0)) for key in every}
    return {"all": Deadlines(sum(d.judged for d in result.values()), sum(d.within for d in result.values()),
                             sum(d.open_past_due for d in result.values())), **result}


def _within(period: Period, column):
    """SQL: the time in column falls in the period."""
    return (column >= period.start) & (column < period.end)


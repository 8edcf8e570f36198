"""What an operator watches, read from the database when Prometheus scrapes /metrics: backlogs and delays, as counts
and ages only (never a number, a name or a reference).

One query per function, each walking an index (docs/metrics.md says which); they stand above the features they
count, like casecore.retention.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import String, any_, bindparam, case, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import alert_due
from casecore.handoff.models import Handoff
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.people.models import Organisation, User
from casecore.reports.alerts import alert_purpose_key
from casecore.reports.models import Report

# Outbox rows not (yet) sent: their counts are what an operator alarms on; sent and rerouted ones only grow.
OUTBOX_STATUSES = ("queued", "sending", "unknown", "failed", "held")
# Hand-offs to Primero not (yet) accepted by it.
HANDOFF_STATUSES = ("waiting", "sending", "unknown", "failed")
# How far back urgent reports are looked at for their alert's delay: a day of them, a few hundred at most.
URGENT_WINDOW = timedelta(hours=24)
# Keys per IN list when looking alerts up by their purpose key on SQLite (each one an index seek).
_KEYS_PER_QUERY = 500


def limit_statement_time(session: Session, milliseconds: int) -> None:
    """On PostgreSQL, cancel any statement of this transaction running longer (SQLite reads never wait in WAL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {int(milliseconds)}"))


@dataclass(frozen=True)
class Backlog:
    """How many rows wait, and since when the oldest (None when none does)."""

    count: int
    oldest: datetime | None


def inbox_waiting(session: Session) -> Backlog:
    """Inbound messages received and not yet handled by a worker (ix_inbound_message_status_received)."""
    count, oldest = session.execute(
        select(func.count(), func.min(InboundMessage.received_at)).where(InboundMessage.status == "received")
    ).one()
    return Backlog(count or 0, oldest)


def outbox_by_status(session: Session) -> dict[str, int]:
    """Outbox rows in each not-sent status, every status given (ix_outbound_message_status_next_attempt)."""
    counts = dict(session.execute(
        select(OutboundMessage.status, func.count()).where(OutboundMessage.status.in_(OUTBOX_STATUSES))
        .group_by(OutboundMessage.status)
    ).all())
    return {status: counts.get(status, 0) for status in OUTBOX_STATUSES}


def oldest_queued_outbound(session: Session) -> datetime | None:
    """When the oldest message still queued for sending was written (a retry waiting for its time included)."""
    return session.scalar(select(func.min(OutboundMessage.created_at)).where(OutboundMessage.status == "queued"))


def handoffs_by_status(session: Session) -> dict[str, int]:
    """Hand-offs to Primero in each not-sent status, every status given (ix_primero_handoff_status_next_attempt)."""
    counts = dict(session.execute(
        select(Handoff.status, func.count()).where(Handoff.status.in_(HANDOFF_STATUSES)).group_by(Handoff.status)
    ).all())
    return {status: counts.get(status, 0) for status in HANDOFF_STATUSES}


@dataclass(frozen=True)
class DeadlineFigures:
    """Open deadlines past their date, and alerts whose time has come but that no job has written yet."""

    overdue: int
    warnings_due: int
    overdue_alerts_due: int


def deadline_figures(session: Session, now: datetime, warn_fraction: float) -> DeadlineFigures:
    """One pass over the open deadlines (ix_case_deadline_open_due): overdue ones, and alerts due but unwritten."""
    passed = CaseDeadline.due_at <= now
    due = alert_due(session, now, warn_fraction, due_at=CaseDeadline.due_at, set_at=CaseDeadline.created_at,
                    warned_at=CaseDeadline.warned_at, overdue_alerted_at=CaseDeadline.overdue_alerted_at)
    overdue, warnings, overdue_alerts = session.execute(
        select(func.sum(case((passed, 1), else_=0)),
               func.sum(case((due & ~passed, 1), else_=0)),
               func.sum(case((due & passed, 1), else_=0)))
        .where(CaseDeadline.met_at.is_(None))
    ).one()
    return DeadlineFigures(overdue or 0, warnings or 0, overdue_alerts or 0)


@dataclass(frozen=True)
class UrgentAlerts:
    """Urgent reports received in the window: the seconds each took until its first alert was sent, and the
    receipt times of those with no alert sent yet."""

    delays: list[float]
    unsent_since: list[datetime]


def urgent_alerts(session: Session, now: datetime, window: timedelta = URGENT_WINDOW) -> UrgentAlerts:
    """How long urgent reports received since now - window waited for a supervisor's alert to be sent.

    A report's alerts are the outbox rows under alert_purpose_key(report, supervisor): they are found by those exact
    keys (the unique index), for every supervisor account of the organisation, active or not.
    """
    # Through the organisations, so the database walks ix_report_org_received rather than every report.
    reports = session.execute(
        select(Report.id, Report.organisation_id, Report.received_at)
        .where(Report.organisation_id.in_(select(Organisation.id)), Report.received_at >= now - window,
               Report.urgent.is_(True))
    ).all()
    if not reports:
        return UrgentAlerts([], [])
    organisations = {row.organisation_id for row in reports}
    supervisors: dict[uuid.UUID, list[uuid.UUID]] = {}
    for user_id, organisation_id in session.execute(
            select(User.id, User.organisation_id)
            .where(User.organisation_id.in_(organisations), User.role == "supervisor")):
        supervisors.setdefault(organisation_id, []).append(user_id)
    report_of = {alert_purpose_key(row.id, user_id): row.id
                 for row in reports for user_id in supervisors.get(row.organisation_id, ())}
    first_sent: dict[uuid.UUID, datetime] = {}
    for key, sent_at in _sent_alerts(session, list(report_of)):
        report_id = report_of[key]
        if sent_at is not None and (report_id not in first_sent or sent_at < first_sent[report_id]):
            first_sent[report_id] = sent_at
    delays, unsent = [], []
    for row in reports:
        sent_at = first_sent.get(row.id)
        if sent_at is None:
            unsent.append(row.received_at)
        else:
            delays.append(max(0.0, (sent_at - row.received_at).total_seconds()))
    return UrgentAlerts(sorted(delays), sorted(unsent))


def _sent_alerts(session: Session, keys: list[str]) -> list[tuple[str, datetime | None]]:
    """The purpose key and time sent of the outbox rows sent under these keys (each an index seek)."""
    sent = select(OutboundMessage.purpose_key, OutboundMessage.sent_at).where(OutboundMessage.status == "sent")
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter: rendering a thousand IN parameters cost SQLAlchemy ten times the query.
        return list(session.execute(sent.where(
            OutboundMessage.purpose_key == any_(bindparam("alert_keys", keys, type_=postgresql.ARRAY(String))))))
    rows, remaining = [], iter(keys)
    while chunk := list(islice(remaining, _KEYS_PER_QUERY)):
        rows += session.execute(sent.where(OutboundMessage.purpose_key.in_(chunk))).all()
    return rows

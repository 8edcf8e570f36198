"""What the web view shows of hand-offs: one report's, and an organisation's queue with its counts."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from casecore.cases.access import visible_reports
from casecore.handoff.models import Handoff
from casecore.paging import Page, fetch_page
from casecore.people.roles import ADMIN, SUPERVISOR, Staff
from casecore.reports.models import Report
from casecore.taxonomy import HANDOFF_STATUSES

# The queue's order: what needs attention first.
ATTENTION = {"failed": 0, "unknown": 1, "waiting": 2, "sending": 3, "sent": 4}
# Who sees the hand-off queue: administrators fix its configuration, supervisors see what their reports became.
QUEUE_ROLES = (ADMIN, SUPERVISOR)


@dataclass(frozen=True)
class HandoffRow:
    """One hand-off as the report page and the queue show it: no child's data, Primero's words for the failures."""

    id: uuid.UUID
    report_id: uuid.UUID
    reference: str | None  # None for an administrator
    trigger: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    reason: str | None
    invalid_fields: list[str] | None
    primero_id: uuid.UUID
    short_id: str | None
    primero_status: str | None
    owned_by: str | None
    followed_at: datetime | None


_COLUMNS = (Handoff.id, Handoff.report_id, Report.reference, Handoff.trigger, Handoff.status, Handoff.attempts,
            Handoff.created_at, Handoff.next_attempt_at, Handoff.sent_at, Handoff.reason, Handoff.invalid_fields,
            Handoff.primero_id, Handoff.short_id, Handoff.primero_status, Handoff.owned_by, Handoff.followed_at)


def may_view_handoffs(role: str) -> bool:
    """Whether a role sees the hand-off queue."""
    return role in QUEUE_ROLES


def report_handoff(session: Session, organisation_id: uuid.UUID, report_id: uuid.UUID) -> HandoffRow | None:
    """The report's hand-off, if it has one."""
    row = session.execute(select(*_COLUMNS).join(Report, Report.id == Handoff.report_id)
                          .where(Handoff.report_id == report_id, Handoff.organisation_id == organisation_id)).first()
    return HandoffRow(*row) if row else None


def handoff_queue(session: Session, staff: Staff, status: str | None = None, page: int = 1) -> Page:
    """A page of the hand-offs a person may see, those needing attention first (failed, then waiting), newest first
    within.

    A supervisor sees those of the reports they may read (not another team's case); an administrator, who never
    sees case content, sees every one of the organisation without its report's reference or Primero's case: enough
    to fix the configuration and send it again, nothing to tell which child it is about.
    """
    query = (select(*_COLUMNS).join(Report, Report.id == Handoff.report_id)
             .where(Handoff.organisation_id == staff.organisation_id))
    if staff.role != ADMIN:
        query = query.where(visible_reports(staff))
    if status:
        query = query.where(Handoff.status == status)
    attention = case(ATTENTION, value=Handoff.status, else_=len(ATTENTION))
    found = fetch_page(session, query.order_by(attention, Handoff.created_at.desc(), Handoff.id), page)
    rows = tuple(HandoffRow(*row) for row in found.rows)
    if staff.role == ADMIN:
        rows = tuple(replace(row, reference=None, short_id=None, owned_by=None, primero_status=None) for row in rows)
    return replace(found, rows=rows)


def handoff_counts(session: Session, organisation_id: uuid.UUID) -> dict[str, int]:  # counts: no case content
    """How many of the organisation's hand-offs are in each status (every status named, zeros too)."""
    counts = dict.fromkeys(HANDOFF_STATUSES, 0)
    counts.update(session.execute(select(Handoff.status, func.count()).where(
        Handoff.organisation_id == organisation_id).group_by(Handoff.status)).all())
    return counts


def needing_attention(session: Session, organisation_id: uuid.UUID) -> int:
    """Failed hand-offs of the organisation: what the menu counts."""
    return session.scalar(select(func.count()).select_from(Handoff).where(
        Handoff.organisation_id == organisation_id, Handoff.status == "failed")) or 0

"""What waits for a person now, counted for their landing page and the menu: each a number and whether it is late.

- supervisors: new reports (urgent, past their assignment deadline), approvals and transfers waiting for them,
  their teams' deadlines overdue, their case workers over the caseload limit;
- case workers: their deadlines overdue and due today (UTC), families' messages they have not read (newer than
  their last opening of the case);
- focal points: new complaints and those past their date to be closed.
Each counts only what the person may read (the access rules of cases, reports and complaints).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from casecore.audit import AuditEvent
from casecore.cases.access import visible_cases, visible_reports
from casecore.cases.models import Case, CaseApproval, CaseEvent, CaseTransfer
from casecore.complaints.access import visible_complaints
from casecore.complaints.models import Complaint
from casecore.deadlines.models import CaseDeadline
from casecore.people.models import User
from casecore.people.roles import CASEWORKER, FOCAL_POINT, SUPERVISOR, Staff, teams_led_by
from casecore.reports.models import Report

OPEN = ("open", "closure_requested")


@dataclass(frozen=True)
class Waiting:
    """One thing waiting: its code (the page words and links it), how many, and whether it is already late."""

    code: str
    count: int
    late: bool = False


def waiting_for(session: Session, staff: Staff, now: datetime, caseload_limit: int,
                zone: tzinfo = timezone.utc) -> list[Waiting]:
    """What waits for this person now, in the order their landing page shows it (zeros included); "today" is the
    day in zone (TIME_ZONE)."""
    if staff.role == SUPERVISOR:
        return _supervisor(session, staff, now, caseload_limit)
    if staff.role == CASEWORKER:
        return _case_worker(session, staff, now, zone)
    if staff.role == FOCAL_POINT:
        return _focal_point(session, staff, now)
    return []


def _supervisor(session: Session, staff: Staff, now: datetime, caseload_limit: int) -> list[Waiting]:
    new = and_(visible_reports(staff), Report.status == "new")
    # Not correlated: the overdue assignment dates are read once from the open-dates index, then each new report
    # looked up in them (a correlated EXISTS made SQLite scan every open date for every report: 2 s at 100,000).
    overdue_assignment = Report.id.in_(select(CaseDeadline.report_id).where(
        CaseDeadline.met_at.is_(None), CaseDeadline.due_at < now, CaseDeadline.kind == "assignment"))
    seen_cases = and_(visible_cases(staff), Case.status.in_(OPEN))
    workers = aliased(User)
    loads = (select(func.count(Case.id)).select_from(workers)
             .join(Case, and_(Case.assigned_to_id == workers.id, Case.status.in_(OPEN)))
             .where(workers.team_id.in_(teams_led_by(staff.id)), workers.is_active.is_(True))
             .group_by(workers.id).having(func.count(Case.id) > caseload_limit))
    return [
        Waiting("new_reports", _count(session, select(func.count()).select_from(Report).where(new))),
        Waiting("new_urgent", _count(session, select(func.count()).select_from(Report).where(
            new, Report.urgent.is_(True))), late=True),
        Waiting("new_overdue", _count(session, select(func.count()).select_from(Report).where(
            new, overdue_assignment)), late=True),
        Waiting("approvals", _count(session, select(func.count()).select_from(CaseApproval).join(
            Case, Case.id == CaseApproval.case_id).where(CaseApproval.decision == "pending", visible_cases(staff)))),
        Waiting("transfers", _count(session, select(func.count()).select_from(CaseTransfer).where(
            CaseTransfer.status == "pending", CaseTransfer.to_organisation_id == staff.organisation_id))),
        Waiting("team_deadlines_overdue", _overdue(session, seen_cases, now), late=True),
        Waiting("over_caseload", _count(session, select(func.count()).select_from(loads.subquery()))),
    ]


def _case_worker(session: Session, staff: Staff, now: datetime, zone: tzinfo) -> list[Waiting]:
    mine = and_(Case.assigned_to_id == staff.id, Case.status.in_(OPEN))
    end_of_day = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
    # When they last opened each of their cases (the audit trail's record of it), to count what came after.
    case_ids = list(session.scalars(select(Case.id).where(mine)))
    opened = dict(session.execute(
        select(AuditEvent.object_id, func.max(AuditEvent.at)).where(
            AuditEvent.user_id == staff.id, AuditEvent.action == "case.viewed",
            AuditEvent.object_id.in_([str(case_id) for case_id in case_ids]))
        .group_by(AuditEvent.object_id)).all())
    newer = [CaseEvent.case_id == case_id if str(case_id) not in opened
             else and_(CaseEvent.case_id == case_id, CaseEvent.at > opened[str(case_id)]) for case_id in case_ids]
    unread = (select(func.count()).select_from(CaseEvent)
              .where(CaseEvent.kind == "family_message", or_(*newer))) if newer else None
    return [
        Waiting("my_deadlines_overdue", _overdue(session, mine, now), late=True),
        Waiting("my_deadlines_today", _count(session, select(func.count()).select_from(CaseDeadline).join(
            Case, Case.id == CaseDeadline.case_id).where(mine, CaseDeadline.met_at.is_(None),
                                                         CaseDeadline.due_at >= now,
                                                         CaseDeadline.due_at < end_of_day))),
        Waiting("family_messages", _count(session, unread) if unread is not None else 0),
    ]


def _focal_point(session: Session, staff: Staff, now: datetime) -> list[Waiting]:
    mine = visible_complaints(staff)
    return [
        Waiting("complaints_new", _count(session, select(func.count()).select_from(Complaint).where(
            mine, Complaint.status == "new"))),
        Waiting("complaints_overdue", _count(session, select(func.count()).select_from(Complaint).where(
            mine, Complaint.status != "closed", Complaint.due_at < now)), late=True),
    ]


def _overdue(session: Session, cases, now: datetime) -> int:
    return _count(session, select(func.count()).select_from(CaseDeadline).join(
        Case, Case.id == CaseDeadline.case_id).where(cases, CaseDeadline.met_at.is_(None), CaseDeadline.due_at < now))


def _count(session: Session, query) -> int:
    return session.scalar(query) or 0

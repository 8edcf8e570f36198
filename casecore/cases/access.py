"""Need to know: which cases and reports a staff member may see, in one place for every page and query.

A case worker sees the cases assigned to them; a supervisor sees their organisation's new reports and the cases
of the teams they lead (and the organisation's cases not yet in any team), and a report that became a case only
while they may see that case (not another team's, nor one transferred away); an administrator manages people,
places and settings but sees no case content; a complaints focal point sees complaints (issue 6), not cases.
"""
from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from casecore.cases.models import Case
from casecore.errors import NotFound
from casecore.ids import parse_id
from casecore.people.roles import CASEWORKER, SUPERVISOR, Staff, may_triage, teams_led_by
from casecore.reports.models import Report


def visible_cases(staff: Staff) -> ColumnElement[bool]:
    """SQL condition on Case: the cases this person may see (nothing for roles without case access)."""
    if staff.role == CASEWORKER:
        return Case.assigned_to_id == staff.id
    if staff.role == SUPERVISOR:
        return (Case.organisation_id == staff.organisation_id) & or_(
            Case.team_id.in_(teams_led_by(staff.id)), Case.team_id.is_(None)
        )
    return false()


def may_view_case(session: Session, staff: Staff, case_id: str | uuid.UUID) -> bool:
    """Whether this person may see the case (False for a case that does not exist)."""
    key = parse_id(case_id, "case")
    return session.scalar(select(Case.id).where(Case.id == key, visible_cases(staff))) is not None


def visible_reports(staff: Staff) -> ColumnElement[bool]:
    """SQL condition on Report: the organisation's reports for a supervisor, except those opened into a case they
    may not see (the report is that case's content)."""
    if not may_triage(staff.role):
        return false()
    return (Report.organisation_id == staff.organisation_id) & ~exists().where(
        Case.report_id == Report.id, ~visible_cases(staff))


def may_view_report(session: Session, staff: Staff, report_id: str | uuid.UUID) -> bool:
    """Whether this person may read the report (False for a report that does not exist)."""
    key = parse_id(report_id, "report")
    return session.scalar(select(Report.id).where(Report.id == key, visible_reports(staff))) is not None


def require_case(session: Session, staff: Staff, case_id: str | uuid.UUID) -> Case:
    """The case if this person may see it; NotFound otherwise, so its existence is not revealed either."""
    key = parse_id(case_id, "case")
    case = session.scalar(select(Case).where(Case.id == key, visible_cases(staff)))
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case

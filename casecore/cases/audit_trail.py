"""The audit trail as a supervisor reads it: who did what and when, about what they may see; never content."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from casecore.audit import AuditEvent
from casecore.cases.access import visible_cases, visible_reports
from casecore.cases.models import Case
from casecore.people.models import User
from casecore.people.roles import SUPERVISOR, Staff, teams_led_by
from casecore.reports.models import Report

PAGE_SIZE = 50


class uuid_text(FunctionElement):  # named like the SQL function it stands for
    """A UUID column as the text record_event stores ('2f1c...-...'), whatever the database keeps."""

    type = String()
    inherit_cache = True


@compiles(uuid_text)
def _uuid_text_sqlite(element, compiler, **kw):
    # SQLite keeps SQLAlchemy's Uuid as 32 hex digits without dashes.
    column = compiler.process(element.clauses, **kw)
    parts = [f"substr({column}, {start}, {length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    return " || '-' || ".join(parts)


@compiles(uuid_text, "postgresql")
def _uuid_text_postgresql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@dataclass(frozen=True)
class AuditRow:
    """One event: when, who (their display name; None for the system or an unknown login), the action and its
    object."""

    at: datetime
    who: str | None
    action: str
    object_type: str
    reference: str | None


@dataclass(frozen=True)
class AuditPage:
    """A page of the trail, newest first."""

    rows: tuple[AuditRow, ...]
    page: int
    has_next: bool


def may_read_audit(role: str) -> bool:
    """Whether this role reads the audit trail (supervisors, for their teams)."""
    return role == SUPERVISOR


def _in_view(staff: Staff):
    """SQL condition on AuditEvent: about the organisation's reports, the cases the supervisor sees, or done by the
    supervisor or a member of a team they lead."""
    reports = select(uuid_text(Report.id)).where(visible_reports(staff))
    cases = select(uuid_text(Case.id)).where(visible_cases(staff))
    members = select(User.id).where(User.team_id.in_(teams_led_by(staff.id)))
    # Complaints are the focal points' (issue 6): a member's action on one must not tell the supervisor, who may
    # be the person it names, that it exists.
    not_a_complaint = or_(AuditEvent.object_type.is_(None), AuditEvent.object_type != "complaint")
    return or_(
        and_(AuditEvent.object_type == "report", AuditEvent.object_id.in_(reports)),
        and_(AuditEvent.object_type == "case", AuditEvent.object_id.in_(cases)),
        and_(AuditEvent.user_id.in_(members), not_a_complaint),
        AuditEvent.user_id == staff.id,
    )


def audit_trail(session: Session, staff: Staff, page: int = 1) -> AuditPage:
    """One page of the events this supervisor may read, newest first (nothing for other roles)."""
    if not may_read_audit(staff.role):
        return AuditPage((), page, False)
    found = session.execute(
        select(AuditEvent.at, User.display_name, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(_in_view(staff))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    shown = found[:PAGE_SIZE]
    references = _references(session, shown)
    rows = tuple(
        AuditRow(r.at, r.display_name, r.action, r.object_type, references.get((r.object_type, r.object_id)))
        for r in shown
    )
    return AuditPage(rows, page, len(found) > PAGE_SIZE)


def _references(session: Session, rows) -> dict[tuple[str, str], str]:
    """The readable reference of each report, case or staff account the page names (one query per kind)."""
    tables = {"report": (Report, Report.reference), "case": (Case, Case.reference), "user": (User, User.display_name)}
    found: dict[tuple[str, str], str] = {}
    for kind, (model, column) in tables.items():
        ids = {_as_uuid(r.object_id) for r in rows if r.object_type == kind} - {None}
        if ids:
            for key, value in session.execute(select(model.id, column).where(model.id.in_(ids))):
                found[(kind, str(key))] = value
    return found


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None

"""Revising a case's overall risk level at any step (form 2.A's "overall risk", reviews' "revised risk level"): the
history is kept, and the open deadlines that depend on the level move to the dates the new level gives them, from
the moment each was set (a deadline now passed is alerted by the next sweep as any other)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.casework import add_event, lock_open_case, record_changed
from casecore.cases.record_models import CaseRiskChange
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import Timelines
from casecore.errors import Refused
from casecore.free_text import staff_text
from casecore.people.models import User
from casecore.people.roles import Staff

log = logging.getLogger(__name__)

# The deadlines whose dates follow the risk level (casecore.deadlines.timelines.Timelines.by_risk), and a case's
# assignment (within the hour at high risk).
RISK_DEADLINES = ("first_response", "assessment", "case_plan")


@dataclass(frozen=True)
class RiskChange:
    """One revision as the case page lists it."""

    from_level: str | None
    to_level: str
    step: str
    reason: str
    changed_by: str | None
    changed_at: datetime


def revise_risk(session: Session, staff: Staff, case_id: str | uuid.UUID, level: str, reason: str | None,
                timelines: Timelines) -> int:
    """Set the case's risk level, saying why; returns how many open deadlines moved."""
    case = lock_open_case(session, staff, case_id)
    if level not in taxonomy.CASE_RISK_LEVELS:
        raise Refused("risk_level_required")
    if level == case.risk_level:
        raise Refused("risk_unchanged")
    why = staff_text(reason, "risk_reason")
    now = utcnow()
    session.add(CaseRiskChange(case_id=case.id, from_level=case.risk_level, to_level=level, step=case.current_step,
                               reason=why, changed_by_id=staff.id, changed_at=now))
    previous, case.risk_level = case.risk_level, level
    record_changed(case)
    moved = 0
    for deadline in session.scalars(select(CaseDeadline).where(
            CaseDeadline.case_id == case.id, CaseDeadline.met_at.is_(None),
            CaseDeadline.kind.in_((*RISK_DEADLINES, "assignment"))).with_for_update()):
        due = _due(deadline, level, timelines)
        if due == deadline.due_at:
            continue
        deadline.due_at = due
        # Alerts follow the new date: a warning or an overdue alert already sent is sent again if the date moved
        # later and comes near (or passes) again.
        if deadline.warned_at is not None and timelines.warn_at(deadline.created_at, due) > now:
            deadline.warned_at = None
        if deadline.overdue_alerted_at is not None and due > now:
            deadline.overdue_alerted_at = None
        moved += 1
    session.flush()
    add_event(session, case.id, "risk_changed", staff.id, f"{previous or ''}>{level}")
    record_event(session, staff.id, "case.risk_revised", "case", case.id)
    log.info("case %s risk %s -> %s, %d deadline(s) moved", case.id, previous, level, moved)
    return moved


def risk_history(session: Session, case_id: uuid.UUID) -> list[RiskChange]:
    """The case's risk revisions, latest first (display names stand for the people)."""
    rows = session.execute(
        select(CaseRiskChange.from_level, CaseRiskChange.to_level, CaseRiskChange.step, CaseRiskChange.reason,
               User.display_name, CaseRiskChange.changed_at)
        .outerjoin(User, User.id == CaseRiskChange.changed_by_id)
        .where(CaseRiskChange.case_id == case_id).order_by(CaseRiskChange.changed_at.desc()))
    return [RiskChange(*row) for row in rows]


def _due(deadline: CaseDeadline, level: str, timelines: Timelines) -> datetime:
    if deadline.kind == "assignment":
        hours = timelines.assign_high_risk_hours if level == "high" else timelines.assign_hours
        return deadline.created_at + timedelta(hours=hours)
    return timelines.by_risk(deadline.kind, level, deadline.created_at)

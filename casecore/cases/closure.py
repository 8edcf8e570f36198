"""Closure forms (6.A-6.C): the criteria a closure request ticks, and the feedback the supervisor takes from the
child and an adult of the family before approving it, as the training report's module 5 asks ("le superviseur ...
renseigne d'abord les formulaires feedback enfant et adulte avant de donner son approbation"). Whoever could not be
met is marked so, and the closure's SMS survey asks them instead (casecore.cases.surveys)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.casework import add_event, lock_case
from casecore.cases.models import CaseApproval
from casecore.cases.record_models import ClosureFeedback
from casecore.errors import Refused
from casecore.free_text import staff_text
from casecore.people.roles import Staff


def checked_criteria(reason: str | None, criteria: Sequence[str]) -> list[str]:
    """The criteria ticked, in the form's order; Refused when one is unknown or the reason needs one not ticked."""
    ticked = set(criteria)
    if ticked - set(taxonomy.CLOSURE_CRITERIA):
        raise Refused("closure_criteria_unknown")
    if not set(taxonomy.CLOSURE_REASON_CRITERIA.get(reason or "", ())) <= ticked:
        raise Refused("closure_criteria_needed")
    return [code for code in taxonomy.CLOSURE_CRITERIA if code in ticked]


def record_feedback(session: Session, staff: Staff, case_id: str | uuid.UUID, *, audience: str, met: bool,
                    rating: int | None, listened_to: bool | None, helped: str | None,
                    better: str | None) -> uuid.UUID:
    """The supervisor records the child's or an adult's feedback on the pending closure (again: corrected)."""
    case = lock_case(session, staff, case_id, supervisor_only=True)
    approval = session.scalar(select(CaseApproval).where(
        CaseApproval.case_id == case.id, CaseApproval.step == "closure", CaseApproval.decision == "pending"))
    if approval is None:
        raise Refused("no_closure_pending")
    if audience not in taxonomy.FEEDBACK_AUDIENCES:
        raise Refused("feedback_audience")
    if met and rating not in taxonomy.FEEDBACK_RATINGS:
        raise Refused("feedback_rating")
    row = session.scalar(select(ClosureFeedback).where(ClosureFeedback.approval_id == approval.id,
                                                       ClosureFeedback.audience == audience))
    if row is None:
        row = ClosureFeedback(case_id=case.id, approval_id=approval.id, audience=audience)
        session.add(row)
    row.met = bool(met)
    row.rating = rating if met else None
    row.listened_to = listened_to if met else None
    row.helped = staff_text(helped, "helped", required=False) if met else None
    row.better = staff_text(better, "better", required=False) if met else None
    row.recorded_by_id, row.recorded_at = staff.id, utcnow()
    session.flush()
    add_event(session, case.id, "closure_feedback", staff.id, audience)
    record_event(session, staff.id, "case.closure_feedback", "case", case.id)
    return row.id


def feedback_for(session: Session, approval_id: uuid.UUID) -> dict[str, ClosureFeedback]:
    """The feedback taken for a closure request, by audience."""
    return {row.audience: row for row in session.scalars(
        select(ClosureFeedback).where(ClosureFeedback.approval_id == approval_id))}


def require_feedback(session: Session, approval: CaseApproval) -> list[str]:
    """The audiences not met (the SMS survey asks them); Refused when the child's or the adult's feedback is
    missing."""
    taken = feedback_for(session, approval.id)
    if set(taxonomy.FEEDBACK_AUDIENCES) - set(taken):
        raise Refused("closure_feedback_needed")
    return [audience for audience in taxonomy.FEEDBACK_AUDIENCES if not taken[audience].met]

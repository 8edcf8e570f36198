"""Supervisor approval of the assessment, the case plan and the closure: requested, then approved or returned.

Approving the assessment moves the case to its plan (due by risk level); approving the plan moves it to
implementation (first review a month on; a revised plan keeps the review already set); approving the closure closes
it, schedules the check three months later and invites the family's feedback. A returned request stays at its step,
with the comment, and may be made again.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import log_when_committed, record_event
from casecore.base import utcnow
from casecore.cases.casework import add_event, lock_case, meet_first_response, move_to, timeline_risk
from casecore.cases.closure import checked_criteria, require_feedback
from casecore.cases.models import Case, CaseApproval
from casecore.cases.surveys import SurveyPlan, queue_closure_surveys
from casecore.deadlines import timelines as deadlines
from casecore.deadlines.models import CaseDeadline
from casecore.errors import NotAllowed, NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.people.roles import SUPERVISOR, Staff

log = logging.getLogger(__name__)

# The steps from which each approval may be asked for: the assessment from registration too (asking starts it),
# a revised plan after a review.
REQUEST_FROM = {
    "assessment": ("registration", "assessment"),
    "case_plan": ("case_plan", "implementation", "follow_up"),
    "closure": taxonomy.CASE_STEPS,
}
DECISIONS = ("approved", "returned")


def request_approval(session: Session, staff: Staff, case_id: str | uuid.UUID, step: str, content: str | None,
                     closure_reason: str | None = None, criteria: Sequence[str] = ()) -> uuid.UUID:
    """The case worker asks the supervisor to approve a step; one pending request per step. Asking meets the
    step's deadline."""
    case = lock_case(session, staff, case_id)
    if staff.role == SUPERVISOR:
        # A supervisor may not decide their own request, and the case is theirs alone to see: it would be stuck.
        raise NotAllowed("the case worker asks, the supervisor decides")
    taxonomy.require(step, taxonomy.APPROVAL_STEPS, "approval step")
    if case.status != "open":
        raise Refused("closure_pending" if case.status == "closure_requested" else "not_open")
    if case.current_step not in REQUEST_FROM[step]:
        raise Refused("wrong_step", f"{step} cannot be asked for at {case.current_step}")
    if pending_approval(session, case.id, step) is not None:
        raise Refused("approval_pending")
    ticked = None
    if step == "closure":
        if closure_reason not in taxonomy.CLOSURE_REASONS:
            raise Refused("closure_reason_required")
        ticked = checked_criteria(closure_reason, criteria)
        text = staff_text(content, "content", required=False)
        case.status = "closure_requested"
    else:
        closure_reason = None
        text = staff_text(content, "content")
    if step == "assessment":
        move_to(session, staff, case, "assessment")
        meet_first_response(session, case.id)
    if step in ("assessment", "case_plan"):
        # Submitted in time is what the deadline asks; the supervisor's answer has no deadline of its own here.
        deadlines.meet(session, step, case_id=case.id)
    approval = CaseApproval(case_id=case.id, step=step, content=text, closure_reason=closure_reason,
                            requested_by_id=staff.id, requested_at=utcnow(), decision="pending",
                            closure_criteria=ticked)
    session.add(approval)
    session.flush()
    add_event(session, case.id, "approval_requested", staff.id, step)
    record_event(session, staff.id, f"case.{step}_requested", "case", case.id)
    log.info("case %s: %s approval %s requested", case.id, step, approval.id)
    return approval.id


def decide_approval(session: Session, staff: Staff, case_id: str | uuid.UUID, approval_id: str | uuid.UUID,
                    decision: str, comment: str | None, *, timelines: deadlines.Timelines,
                    surveys: SurveyPlan) -> list[uuid.UUID]:
    """A supervisor approves or returns (with a comment) a pending request; returns the outbox ids to send."""
    case = lock_case(session, staff, case_id, supervisor_only=True)
    if decision not in DECISIONS:
        raise Refused("unknown_decision")
    if case.status == "closed":
        raise Refused("case_closed")
    approval = session.get(CaseApproval, parse_id(approval_id, "approval"))
    if approval is None or approval.case_id != case.id:
        raise NotFound(f"approval {approval_id} not found")
    if approval.requested_by_id == staff.id:
        raise Refused("own_request")
    text = staff_text(comment, "comment", required=decision == "returned")
    not_met = None
    if decision == "approved" and approval.step == "closure":
        # The child's and an adult's feedback first (forms 6.B, 6.C); the survey asks those not met.
        not_met = require_feedback(session, approval)
    now = utcnow()
    # Decided once: of two supervisors answering at once, the second finds it decided.
    decided = session.execute(
        update(CaseApproval).where(CaseApproval.id == approval.id, CaseApproval.decision == "pending")
        .values(decision=decision, decided_by_id=staff.id, decided_at=now, comment=text)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not decided:
        raise Refused("already_decided")
    add_event(session, case.id, f"approval_{decision}", staff.id, approval.step)
    record_event(session, staff.id, f"case.{approval.step}_{decision}", "case", case.id)
    log_when_committed(session, log, "case %s: %s approval %s %s", case.id, approval.step, approval.id, decision)
    if decision == "returned":
        if approval.step == "closure":
            case.status = "open"
        return []
    return _carry_out(session, staff, case, approval, timelines, surveys, not_met)


def settle_at_closure(session: Session, case_id: uuid.UUID, now: datetime, decided_by_id: uuid.UUID | None) -> None:
    """A case closing: nothing waits for approval (pending requests returned) and its open deadlines are met."""
    session.execute(update(CaseApproval)
                    .where(CaseApproval.case_id == case_id, CaseApproval.decision == "pending")
                    .values(decision="returned", decided_by_id=decided_by_id, decided_at=now)
                    .execution_options(synchronize_session=False))
    session.execute(update(CaseDeadline).where(CaseDeadline.case_id == case_id, CaseDeadline.met_at.is_(None))
                    .values(met_at=now).execution_options(synchronize_session=False))


def pending_approval(session: Session, case_id: uuid.UUID, step: str) -> CaseApproval | None:
    """The request for this step still waiting for a supervisor, if any."""
    return session.scalar(select(CaseApproval).where(
        CaseApproval.case_id == case_id, CaseApproval.step == step, CaseApproval.decision == "pending"))


def _carry_out(session: Session, staff: Staff, case: Case, approval: CaseApproval, timelines: deadlines.Timelines,
               surveys: SurveyPlan, not_met: list[str] | None = None) -> list[uuid.UUID]:
    now = utcnow()
    if approval.step == "assessment":
        move_to(session, staff, case, "case_plan")
        deadlines.schedule(session, "case_plan", timelines.by_risk("case_plan", timeline_risk(case), now),
                           case_id=case.id)
        return []
    if approval.step == "case_plan":
        move_to(session, staff, case, "implementation")
        # A revised plan keeps the next review its last review set; a first plan has its first review a month on.
        if not any(deadline.kind == "review" for deadline in deadlines.open_deadlines(session, case_id=case.id)):
            deadlines.schedule(session, "review", timelines.review_due(now), case_id=case.id)
        return []
    return _close(session, staff, case, approval, timelines, surveys, not_met)


def _close(session: Session, staff: Staff, case: Case, approval: CaseApproval, timelines: deadlines.Timelines,
           surveys: SurveyPlan, not_met: list[str] | None) -> list[uuid.UUID]:
    now = utcnow()
    case.status, case.closed_at, case.closure_reason = "closed", now, approval.closure_reason
    move_to(session, staff, case, "closure")
    # Nothing is due on a closed case any more but the check three months on.
    settle_at_closure(session, case.id, now, staff.id)
    deadlines.schedule(session, "post_closure_check", timelines.post_closure_check_due(now), case_id=case.id)
    add_event(session, case.id, "closed", staff.id, approval.closure_reason)
    log_when_committed(session, log, "case %s closed", case.id)
    return queue_closure_surveys(session, case, approval.id, surveys, audiences=not_met)

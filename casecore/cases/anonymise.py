"""A closed case past its retention period, anonymised: everything that identifies the child and family or tells
their story goes (names, birth date, address, numbers, relatives, notes and every text staff wrote, documents and
files); what the figures count stays (the case, its dates and steps, concern, sex, age, place, risk, services,
referrals, deadlines, approvals' decisions). Never a case under a legal hold, still open, or in a transfer
(casecore.retention chooses which).
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from casecore.cases.models import (
    Case,
    CaseApproval,
    CaseConsent,
    CaseContact,
    CaseEvent,
    CaseFollowUp,
    CaseTransfer,
    FeedbackRequest,
    Referral,
)
from casecore.cases.record_models import (
    AssessmentDomain,
    BestInterestAssessment,
    BestInterestDetermination,
    CaseAction,
    CaseCaregiver,
    CaseConference,
    CaseDocument,
    CaseGoal,
    CaseRiskChange,
    ChildRegistration,
    ClosureFeedback,
    GoalProgress,
    ServiceGiven,
    TraceMatch,
    TracingAction,
)
from casecore.cases.registration import NAME_FIELDS
from casecore.messaging.models import InboundMedia
from casecore.reports.models import Report

# Timeline entries whose body is a code (a step, a purpose, an outcome): kept; any other body is text, removed.
CODED_EVENTS = ("step_changed", "approval_requested", "approval_approved", "approval_returned", "consent_recorded",
                "consent_refused", "consent_withdrawn", "follow_up", "service_given", "tracing_action",
                "tracing_match", "closed", "risk_changed")
# Text staff wrote, by table: to null where the column may be empty, to "" where it may not.
TO_NULL = {
    CaseApproval: ("content", "comment"), AssessmentDomain: ("needs", "risk_factors", "protective_factors",
                                                             "child_views"),
    CaseConference: ("staff_present", "services_present"), CaseConsent: ("note",),
    CaseFollowUp: ("notes", "shared_with_family"), ServiceGiven: ("outcome",), TraceMatch: ("verification",),
    TracingAction: ("address", "contacted"), CaseTransfer: ("reason",), ClosureFeedback: ("helped", "better"),
    Referral: ("notes", "counter_referral_notes"), BestInterestDetermination: ("dissent", "follow_up"),
    ChildRegistration: (*NAME_FIELDS, "date_of_birth", "address_current"),
}
TO_EMPTY = {
    CaseConference: ("decisions",), TracingAction: ("action",), CaseGoal: ("goal",), CaseAction: ("what",),
    CaseRiskChange: ("reason",), BestInterestAssessment: ("findings", "child_views", "recommendation"),
    BestInterestDetermination: ("evidence", "child_views", "decision", "reasons"),
}
FILES_REMOVED = "retention"
# What a report keeps once anonymised: its coded fields; who reported, what they said, what staff wrote go.
ANONYMOUS_REPORT = {"description": None, "reporter_phone": None, "reporter_key": None, "answers": {},
                    "decision_note": None}


def anonymise_case(session: Session, case_id: uuid.UUID, now: datetime) -> list[str] | None:
    """Remove what identifies or tells about the case's child and family; mark the case anonymised. Returns the
    stored files to delete once this commits (None: the case changed since it was chosen, nothing done)."""
    case = session.get(Case, case_id, with_for_update=True, populate_existing=True)
    if case is None or case.status != "closed" or case.legal_hold or case.anonymised_at is not None:
        return None  # reopened, held or done since the batch was chosen
    for model, columns in TO_NULL.items():
        session.execute(update(model).where(model.case_id == case_id).values(dict.fromkeys(columns))
                        .execution_options(synchronize_session=False))
    for model, columns in TO_EMPTY.items():
        session.execute(update(model).where(model.case_id == case_id).values(dict.fromkeys(columns, ""))
                        .execution_options(synchronize_session=False))
    session.execute(update(BestInterestDetermination).where(BestInterestDetermination.case_id == case_id)
                    .values(panel=[]).execution_options(synchronize_session=False))
    goals = select(CaseGoal.id).where(CaseGoal.case_id == case_id)
    session.execute(update(GoalProgress).where(GoalProgress.goal_id.in_(goals)).values(progress=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind.not_in(CODED_EVENTS))
                    .values(body=None).execution_options(synchronize_session=False))
    session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id).values(unlinked_phone=None)
                    .execution_options(synchronize_session=False))
    # Survey invitations name the family's numbers: they go before the numbers do.
    session.execute(delete(FeedbackRequest).where(FeedbackRequest.case_id == case_id)
                    .execution_options(synchronize_session=False))
    for model in (CaseCaregiver, CaseContact):
        session.execute(delete(model).where(model.case_id == case_id).execution_options(synchronize_session=False))
    files = _remove_files(session, case_id, case.report_id)
    if case.report_id is not None:
        session.execute(update(Report).where(Report.id == case.report_id)
                        .values(ANONYMOUS_REPORT).execution_options(synchronize_session=False))
    case.reopen_reason, case.legal_hold_reason, case.anonymised_at = None, None, now
    session.flush()
    return files


def _remove_files(session: Session, case_id: uuid.UUID, report_id: uuid.UUID | None) -> list[str]:
    """The case's documents and the files that came with the family's messages or the report: rows emptied now,
    the keys returned for the files to go once this commits."""
    keys = list(session.scalars(select(CaseDocument.storage_key).where(CaseDocument.case_id == case_id)))
    session.execute(delete(CaseDocument).where(CaseDocument.case_id == case_id)
                    .execution_options(synchronize_session=False))
    mine = or_(InboundMedia.case_id == case_id, InboundMedia.report_id == report_id) if report_id \
        else InboundMedia.case_id == case_id
    keys += [key for key in session.scalars(select(InboundMedia.storage_key).where(mine)) if key]
    session.execute(update(InboundMedia).where(mine)
                    .values(storage_key=None, source_url="", status="refused", reason=FILES_REMOVED)
                    .execution_options(synchronize_session=False))
    return keys

"""A closed case past its retention period, anonymised: everything that identifies the child and family or tells
their story goes (names, birth date, address, numbers, relatives, notes and every text staff wrote, documents and
files); what the figures count stays (the case, its dates and steps, concern, sex, age, place, risk, services,
referrals, deadlines, approvals' decisions). Never a case under a legal hold, still open, or in a transfer
(casecore.retention chooses which).
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from casecore.cases.models import (
    Case,
    CaseApproval,
    CaseConsent,
    CaseContact,
    CaseEvent,
    CaseFollowUp,
    CaseTransfer,
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
from casecore.messaging.media_store import MediaStore
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
    ChildRegistration: ("name_first", "name_middle", "name_last", "name_nickname", "name_other", "date_of_birth",
                        "address_current"),
}
TO_EMPTY = {
    CaseConference: ("decisions",), TracingAction: ("action",), CaseGoal: ("goal",), CaseAction: ("what",),
    CaseRiskChange: ("reason",), BestInterestAssessment: ("findings", "child_views", "recommendation"),
    BestInterestDetermination: ("evidence", "child_views", "decision", "reasons"),
}
FILES_REMOVED = "retention"


def anonymise_case(session: Session, case_id: uuid.UUID, media_store: MediaStore | None, now: datetime) -> None:
    """Remove what identifies or tells about the case's child and family; mark the case anonymised."""
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
    for model in (CaseCaregiver, CaseContact):
        session.execute(delete(model).where(model.case_id == case_id).execution_options(synchronize_session=False))
    _remove_files(session, case_id, media_store)
    case = session.get(Case, case_id)
    if case.report_id is not None:
        session.execute(update(Report).where(Report.id == case.report_id)
                        .values(description=None, reporter_phone=None, reporter_key=None, answers={})
                        .execution_options(synchronize_session=False))
    case.reopen_reason, case.anonymised_at = None, now
    session.flush()


def _remove_files(session: Session, case_id: uuid.UUID, media_store: MediaStore | None) -> None:
    for key in session.scalars(select(CaseDocument.storage_key).where(CaseDocument.case_id == case_id)):
        if media_store is not None:
            media_store.delete(key)
    session.execute(delete(CaseDocument).where(CaseDocument.case_id == case_id)
                    .execution_options(synchronize_session=False))
    for key in session.scalars(select(InboundMedia.storage_key).where(InboundMedia.case_id == case_id,
                                                                       InboundMedia.storage_key.is_not(None))):
        if media_store is not None:
            media_store.delete(key)
    session.execute(update(InboundMedia).where(InboundMedia.case_id == case_id, InboundMedia.storage_key.is_not(None))
                    .values(storage_key=None, status="refused", reason=FILES_REMOVED)
                    .execution_options(synchronize_session=False))

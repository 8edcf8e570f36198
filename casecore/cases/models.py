"""A case from opening to closure: its family numbers, timeline, approvals, consents, follow-ups, referrals,
transfers and the surveys asked of its family."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedText, number_key, sealed_number


class Case(Base):
    """A case opened from a report (issue 5 grows it); "case_file" because CASE is an SQL keyword."""

    __tablename__ = "case_file"
    __table_args__ = (
        # Each case worker's open caseload counted from the index alone, and their own cases found by status.
        Index("ix_case_file_caseload", "assigned_to_id", "status", "id"),
        # The indicators of a period: an organisation's cases by time opened.
        Index("ix_case_file_org_opened", "organisation_id", "opened_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    report_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("report.id"), index=True)
    assigned_to_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    # open -> closure_requested -> closed (reopened: open again); transferred when another organisation took it.
    status: Mapped[str] = mapped_column(String(32), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Issue 5: risk level (taxonomy.CASE_RISK_LEVELS), the current step (taxonomy.CASE_STEPS), matching needs.
    risk_level: Mapped[Optional[str]] = mapped_column(String(16))
    current_step: Mapped[str] = mapped_column(String(24), default="registration", server_default="registration")
    team_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("team.id", use_alter=True), index=True)
    wants_female_worker: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    family_language: Mapped[Optional[str]] = mapped_column(String(8))
    assigned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closure_reason: Mapped[Optional[str]] = mapped_column(String(40))
    reopened_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[Optional[str]] = mapped_column(SealedText)
    # Counts the changes of what a hand-off carries to CPIMS+ (consents, registration, risk, services given,
    # tracing), bumped in the writer's transaction: Primero is sent the record again while it is ahead.
    record_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Retention (casecore.retention): a case under a legal hold is never anonymised; when one was.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    legal_hold_reason: Mapped[Optional[str]] = mapped_column(SealedText)
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class CaseContact(Base):
    """A family's number linked to a case: messages from it reach the case's timeline."""

    __tablename__ = "case_contact"
    __table_args__ = (UniqueConstraint("case_id", "phone_key", name="uq_case_contact_case_phone_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    phone: Mapped[str] = sealed_number("phone")
    phone_key: Mapped[str] = number_key("phone", index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(Base):
    """One entry in a case's timeline: a family's message, feedback arriving, and (issue 5) the work done."""

    __tablename__ = "case_event"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[Optional[str]] = mapped_column(String(16))
    body: Mapped[Optional[str]] = mapped_column(SealedText)
    author_user_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What produced the event (e.g. the inbound message), unique: a retried delivery writes one event.
    source_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    # A family message sent with the case's reference from a number not linked to it: that number, which the case
    # worker may link (or not: anyone given the reference can write).
    unlinked_phone: Mapped[Optional[str]] = mapped_column(SealedText)


class CaseApproval(Base):
    """A supervisor's approval of an assessment, a case plan or a closure: requested, then approved or returned."""

    __tablename__ = "case_approval"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    step: Mapped[str] = mapped_column(String(24))  # taxonomy.APPROVAL_STEPS
    # What is submitted: the assessment or the plan as written, or the closure's narrative.
    content: Mapped[Optional[str]] = mapped_column(SealedText)
    closure_reason: Mapped[Optional[str]] = mapped_column(String(40))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str] = mapped_column(String(16), default="pending")  # taxonomy.APPROVAL_DECISIONS
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    comment: Mapped[Optional[str]] = mapped_column(SealedText)
    # A closure request's criteria met (form 6.A; taxonomy.CLOSURE_CRITERIA).
    closure_criteria: Mapped[Optional[list[str]]] = mapped_column(JSON)


class CaseConsent(Base):
    """Consent for one purpose on a case, who gave it, and its withdrawal (which revokes pending referrals)."""

    __tablename__ = "case_consent"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # taxonomy.CONSENT_PURPOSES
    given: Mapped[bool] = mapped_column(Boolean)
    given_by: Mapped[str] = mapped_column(String(32))  # taxonomy.CONSENT_GIVERS
    note: Mapped[Optional[str]] = mapped_column(SealedText)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The child's assent when a caregiver consents for a child of 6 to 14 (taxonomy.ASSENT_ANSWERS).
    child_assent: Mapped[Optional[str]] = mapped_column(String(16))


class CaseFollowUp(Base):
    """A follow-up visit or a case plan review, with when the next one is due."""

    __tablename__ = "case_follow_up"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # taxonomy.FOLLOW_UP_KINDS
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[Optional[str]] = mapped_column(SealedText)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    next_due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A review's (form 5.A): what was shared with the child and the family, and whether the plan changes.
    shared_with_family: Mapped[Optional[str]] = mapped_column(SealedText)
    plan_changes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Referral(Base):
    """A case referred to a service, on the consent recorded for it; the provider's counter-referral notes."""

    __tablename__ = "referral"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service.id"), index=True)
    consent_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_consent.id"))
    status: Mapped[str] = mapped_column(String(16), default="sent")  # taxonomy.REFERRAL_STATUSES
    notes: Mapped[Optional[str]] = mapped_column(SealedText)
    counter_referral_notes: Mapped[Optional[str]] = mapped_column(SealedText)
    # Why the referral was declined when the provider did not say so (taxonomy.REFERRAL_DECLINED_BECAUSE).
    declined_because: Mapped[Optional[str]] = mapped_column(String(32))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseTransfer(Base):
    """A case handed to another organisation; it takes effect when that organisation accepts it."""

    __tablename__ = "case_transfer"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    from_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    reason: Mapped[Optional[str]] = mapped_column(SealedText)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # taxonomy.TRANSFER_STATUSES
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class FeedbackRequest(Base):
    """A survey the system sent to a family's number (at closure, after a service), so its answer can be tied to it."""

    __tablename__ = "feedback_request"

    id: Mapped[uuid.UUID] = uuid_pk()
    # The outbox message's purpose key: a survey is asked once.
    purpose_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"))
    referral_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("referral.id"))
    # The number asked, as linked to the case (no copy of the number here).
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_contact.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # taxonomy.FEEDBACK_REQUEST_KINDS
    audience: Mapped[Optional[str]] = mapped_column(String(8))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    feedback_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("feedback.id"))

"""The case record beyond the case itself (issue 16, the CPIMS+ standard forms): the child's registration and
relatives, the risk level's history, the assessment by domain, the plan's goals and actions and their progress at
reviews, services given, conferences, best interests, tracing and matches, the closure's feedback, the supervision
log and documents. Field names follow Primero's where it has one (README, "The case record")."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedJSON, SealedText


class GoalProgress(Base):
    """A goal's progress as a plan review found it, and where the goal stood then."""

    __tablename__ = "case_goal_progress"

    id: Mapped[uuid.UUID] = uuid_pk()
    follow_up_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_follow_up.id"), index=True)
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_goal.id"), index=True)
    progress: Mapped[Optional[str]] = mapped_column(SealedText)
    status: Mapped[str] = mapped_column(String(16))  # taxonomy.GOAL_STATUSES


class ChildRegistration(Base):
    """Who the child is (forms 1.A, 1.B, 1.E): names, age, languages, functioning, documents, where they live, their
    separation status and protection concerns. One per case; field names follow Primero's (README, data dictionary).

    Names are case content shown only on the case page's registration section, at a request that is audited."""

    __tablename__ = "child_registration"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), unique=True)
    name_first: Mapped[Optional[str]] = mapped_column(SealedText)
    name_middle: Mapped[Optional[str]] = mapped_column(SealedText)
    name_last: Mapped[Optional[str]] = mapped_column(SealedText)
    name_nickname: Mapped[Optional[str]] = mapped_column(SealedText)
    name_other: Mapped[Optional[str]] = mapped_column(SealedText)
    # The report's sex until corrected here (taxonomy.CHILD_SEXES).
    sex: Mapped[Optional[str]] = mapped_column(String(16))
    date_of_birth: Mapped[Optional[date]] = mapped_column(Date)
    # Years, given or computed from the date of birth when it was recorded; estimated: a guess, not a document.
    age: Mapped[Optional[int]] = mapped_column(Integer)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # taxonomy.CHILD_LANGUAGES
    # The Washington Group short set, one answer per domain (taxonomy.WG_DOMAINS, WG_ANSWERS); none: not asked.
    wg_seeing: Mapped[Optional[str]] = mapped_column(String(24))
    wg_hearing: Mapped[Optional[str]] = mapped_column(String(24))
    wg_walking: Mapped[Optional[str]] = mapped_column(String(24))
    wg_remembering: Mapped[Optional[str]] = mapped_column(String(24))
    wg_self_care: Mapped[Optional[str]] = mapped_column(String(24))
    wg_communicating: Mapped[Optional[str]] = mapped_column(String(24))
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)  # taxonomy.CHILD_DOCUMENTS
    location_current_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"))
    address_current: Mapped[Optional[str]] = mapped_column(SealedText)
    protection_status: Mapped[Optional[str]] = mapped_column(String(16))  # taxonomy.PROTECTION_STATUSES
    # Several at once, from taxonomy.PROTECTION_CONCERNS; the reporter's concern first.
    protection_concerns: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))


class CaseCaregiver(Base):
    """A relative or caregiver of the child (Primero's family_details_section row)."""

    __tablename__ = "case_caregiver"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    relation_name: Mapped[Optional[str]] = mapped_column(SealedText)
    relation: Mapped[str] = mapped_column(String(24))  # taxonomy.FAMILY_RELATIONSHIPS
    relation_is_caregiver: Mapped[bool] = mapped_column(Boolean, default=False)
    lives_with_child: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseRiskChange(Base):
    """A revision of the case's overall risk level, at any step, with why: the history the assessment form keeps."""

    __tablename__ = "case_risk_change"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    from_level: Mapped[Optional[str]] = mapped_column(String(16))
    to_level: Mapped[str] = mapped_column(String(16))  # taxonomy.CASE_RISK_LEVELS
    step: Mapped[str] = mapped_column(String(24))  # the step the case was at
    reason: Mapped[str] = mapped_column(SealedText)
    changed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssessmentDomain(Base):
    """One domain of the child's assessment (form 2.A): needs, risk and protective factors, the child's views."""

    __tablename__ = "case_assessment_domain"
    __table_args__ = (UniqueConstraint("case_id", "domain", name="uq_case_assessment_domain_case_domain"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"))
    domain: Mapped[str] = mapped_column(String(24))  # taxonomy.ASSESSMENT_DOMAINS
    needs: Mapped[Optional[str]] = mapped_column(SealedText)
    risk_factors: Mapped[Optional[str]] = mapped_column(SealedText)
    protective_factors: Mapped[Optional[str]] = mapped_column(SealedText)
    child_views: Mapped[Optional[str]] = mapped_column(SealedText)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))


class CaseGoal(Base):
    """A goal of the case plan (form 3.A), for one assessment domain or the whole case."""

    __tablename__ = "case_goal"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    domain: Mapped[Optional[str]] = mapped_column(String(24))  # taxonomy.ASSESSMENT_DOMAINS
    goal: Mapped[str] = mapped_column(SealedText)
    status: Mapped[str] = mapped_column(String(16), default="open")  # taxonomy.GOAL_STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseAction(Base):
    """An action towards a goal: what, who (the case worker, the family, the child, a service of the directory,
    someone else), by when, and how it went."""

    __tablename__ = "case_action"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_goal.id"), index=True)
    what: Mapped[str] = mapped_column(SealedText)
    by: Mapped[str] = mapped_column(String(16))  # taxonomy.ACTION_BY
    service_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("service.id"))
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # taxonomy.ACTION_STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))


class ServiceGiven(Base):
    """A service the organisation gave the child itself (not a referral): its type, when, and the outcome."""

    __tablename__ = "case_service_given"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(40))  # taxonomy.SERVICE_TYPES
    given_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[Optional[str]] = mapped_column(SealedText)
    given_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseConference(Base):
    """A case conference (forms 3.B, 5.C): a meeting on a complex or high-risk case, who took part, what it
    decided; its follow-up actions go into the plan (CaseAction rows of the goals they serve)."""

    __tablename__ = "case_conference"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    staff_present: Mapped[Optional[str]] = mapped_column(SealedText)  # names and roles, as written
    services_present: Mapped[Optional[str]] = mapped_column(SealedText)
    family_present: Mapped[bool] = mapped_column(Boolean, default=False)
    child_present: Mapped[bool] = mapped_column(Boolean, default=False)
    decisions: Mapped[str] = mapped_column(SealedText)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BestInterestAssessment(Base):
    """A best-interest assessment by a trained case worker (UNHCR BIP): why, what was found, what the child said,
    what is recommended."""

    __tablename__ = "case_bia"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    done_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32))  # taxonomy.BIA_REASONS
    findings: Mapped[str] = mapped_column(SealedText)
    child_views: Mapped[str] = mapped_column(SealedText)
    recommendation: Mapped[str] = mapped_column(SealedText)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BestInterestDetermination(Base):
    """A best-interest determination by a panel (at least three people, not only the case worker): the evidence, the
    child's views, the decision with its reasons, any dissent, the follow-up; signed off by a supervisor."""

    __tablename__ = "case_bid"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    panel: Mapped[list[str]] = mapped_column(SealedJSON, default=list)  # "name, role" of each member, as written
    evidence: Mapped[str] = mapped_column(SealedText)
    child_views: Mapped[str] = mapped_column(SealedText)
    decision: Mapped[str] = mapped_column(SealedText)
    reasons: Mapped[str] = mapped_column(SealedText)
    dissent: Mapped[Optional[str]] = mapped_column(SealedText)
    follow_up: Mapped[Optional[str]] = mapped_column(SealedText)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_off_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    signed_off_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class TracingAction(Base):
    """A tracing action for a separated or unaccompanied child (form 4.B): when, where, whom it reached, what was
    done, and how it ended."""

    __tablename__ = "case_tracing_action"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    done_on: Mapped[date] = mapped_column(Date)
    location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"))
    address: Mapped[Optional[str]] = mapped_column(SealedText)
    contacted: Mapped[Optional[str]] = mapped_column(SealedText)
    action: Mapped[str] = mapped_column(SealedText)
    outcome: Mapped[str] = mapped_column(String(16))  # taxonomy.TRACING_OUTCOMES
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TraceMatch(Base):
    """A community tracing request (a report of a missing child) that may be this case's child: proposed by its
    score, confirmed or rejected by staff, then the family link verified, the reunification dated, and the person
    who asked told there is news (forms 4.C-4.E)."""

    __tablename__ = "case_trace_match"
    __table_args__ = (UniqueConstraint("case_id", "report_id", name="uq_case_trace_match_case_report"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # taxonomy.MATCH_STATUSES
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    verified_on: Mapped[Optional[date]] = mapped_column(Date)
    verification: Mapped[Optional[str]] = mapped_column(SealedText)
    reunified_on: Mapped[Optional[date]] = mapped_column(Date)
    news_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ClosureFeedback(Base):
    """The child's (form 6.B) or an adult's (form 6.C) feedback taken by the supervisor before approving a closure;
    met False: not met, the SMS survey asks them instead."""

    __tablename__ = "case_closure_feedback"
    __table_args__ = (UniqueConstraint("approval_id", "audience", name="uq_case_closure_feedback_approval_audience"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    approval_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_approval.id"))
    audience: Mapped[str] = mapped_column(String(8))  # taxonomy.FEEDBACK_AUDIENCES
    met: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[Optional[int]] = mapped_column(Integer)  # taxonomy.FEEDBACK_RATINGS
    listened_to: Mapped[Optional[bool]] = mapped_column(Boolean)
    helped: Mapped[Optional[str]] = mapped_column(SealedText)
    better: Mapped[Optional[str]] = mapped_column(SealedText)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupervisionSession(Base):
    """A supervision session a supervisor keeps with one of their case workers: when, which cases were reviewed,
    what was decided. The case worker reads it."""

    __tablename__ = "supervision_session"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    supervisor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    case_worker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    case_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    decisions: Mapped[str] = mapped_column(SealedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseDocument(Base):
    """A document or photo staff attached to a case: what it is, and our checked copy in the media store."""

    __tablename__ = "case_document"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # taxonomy.DOCUMENT_KINDS
    title: Mapped[str] = mapped_column(SealedText)
    content_type: Mapped[str] = mapped_column(String(100))  # read from the file's first bytes
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

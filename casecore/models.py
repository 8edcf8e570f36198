"""Persistent records, as SQLAlchemy 2 typed mappings; ids are UUIDs so records can travel to other systems."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    false,
    true,
    orm,
)
# orm.relationship() rather than relationship(): Report has a column of that name, which would shadow it.
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names are fixed so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no time zone and PostgreSQL must agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Organisation(Base):
    """An agency that receives reports and employs supervisors and case workers."""

    __tablename__ = "organisation"

    id: Mapped[uuid.UUID] = _id()
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Location(Base):
    """A place in the administrative hierarchy (level 1 region, 2 cercle, 3 commune), keyed by its p-code."""

    __tablename__ = "location"

    id: Mapped[uuid.UUID] = _id()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"), index=True)

    parent: Mapped[Optional["Location"]] = orm.relationship(remote_side="Location.id")


class User(Base):
    """A staff member who logs in to the web view and may receive alerts by SMS."""

    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The team a case worker belongs to (a supervisor leads teams: Team.supervisor_id).
    team_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("team.id", use_alter=True), index=True)
    # Matching a case worker to a family: a girl may ask for a woman; the languages spoken (comma-separated codes).
    sex: Mapped[Optional[str]] = mapped_column(String(16))
    spoken_languages: Mapped[Optional[str]] = mapped_column(String(64))
    # Repeated failed logins lock the account until locked_until.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = orm.relationship()


class Report(Base):
    """What a community member told us about a child, exactly as received, before any triage."""

    __tablename__ = "report"
    __table_args__ = (
        # The provider's session id makes a retried final step land on the same report.
        UniqueConstraint("channel", "channel_session_id", name="uq_report_channel_session"),
        Index("ix_report_triage", "organisation_id", "status", "urgent", "received_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(String(16), default="child_at_risk", server_default="child_at_risk")
    channel: Mapped[str] = mapped_column(String(16))
    channel_session_id: Mapped[Optional[str]] = mapped_column(String(128))
    reporter_phone: Mapped[Optional[str]] = mapped_column(String(20))
    # Keyed hash of the reporter's number, kept even for anonymous reports: the same number can later ask for
    # the report's status, and the number itself is not kept.
    reporter_key: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8))
    concern: Mapped[str] = mapped_column(String(40))
    danger_now: Mapped[bool] = mapped_column(Boolean)
    urgent: Mapped[bool] = mapped_column(Boolean)
    child_sex: Mapped[str] = mapped_column(String(16))
    child_age_band: Mapped[str] = mapped_column(String(16))
    location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"))
    # Tracing reports: when the child was last seen and who the reporter is to the child.
    last_seen: Mapped[Optional[str]] = mapped_column(String(16))
    relationship: Mapped[Optional[str]] = mapped_column(String(16))
    # A short free-text description (SMS and WhatsApp only).
    description: Mapped[Optional[str]] = mapped_column(Text)
    may_contact: Mapped[bool] = mapped_column(Boolean)
    # The reporter agreed that child protection workers know who reported (their number); without it the
    # report is kept anonymous: no number stored, no contact.
    consent_to_share: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(32), default="new")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Triage (issue 5): the supervisor's decision, who made it and when, and what it needs.
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    duplicate_of_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("report.id"))
    not_eligible_reason: Mapped[Optional[str]] = mapped_column(String(40))
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    referred_to_service_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("service.id", use_alter=True))
    # A report made by a registered community committee member (their number matched).
    committee_member_id: Mapped[Optional[uuid.UUID]] = mapped_column(
        ForeignKey("committee_member.id", use_alter=True))

    location: Mapped[Optional[Location]] = orm.relationship()
    organisation: Mapped[Organisation] = orm.relationship()


class Case(Base):
    """A case opened from a report (issue 5 grows it); "case_file" because CASE is an SQL keyword."""

    __tablename__ = "case_file"
    __table_args__ = (
        # Each case worker's open caseload counted from the index alone, and their own cases found by status.
        Index("ix_case_file_caseload", "assigned_to_id", "status", "id"),
    )

    id: Mapped[uuid.UUID] = _id()
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
    reopen_reason: Mapped[Optional[str]] = mapped_column(Text)


class CaseContact(Base):
    """A family's number linked to a case: messages from it reach the case's timeline."""

    __tablename__ = "case_contact"
    __table_args__ = (UniqueConstraint("case_id", "phone", name="uq_case_contact_case_phone"),)

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(Base):
    """One entry in a case's timeline: a family's message, feedback arriving, and (issue 5) the work done."""

    __tablename__ = "case_event"

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[Optional[str]] = mapped_column(String(16))
    body: Mapped[Optional[str]] = mapped_column(Text)
    author_user_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What produced the event (e.g. the inbound message), unique: a retried delivery writes one event.
    source_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)


class Feedback(Base):
    """A community member's rating of the service; no phone number is kept."""

    __tablename__ = "feedback"
    # The feedback page reads an organisation's answers over a period.
    __table_args__ = (Index("ix_feedback_org_received", "organisation_id", "received_at"),)

    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_file.id"))
    channel: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(200), unique=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the answer is about (taxonomy.FEEDBACK_ABOUT): a referral's service, the closure, the case, or nothing
    # known; and who answered (adult or child) when the survey asked one of them.
    referral_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("referral.id"))
    about: Mapped[str] = mapped_column(String(16), default="general")
    audience: Mapped[Optional[str]] = mapped_column(String(8))
    # The case's worker when the answer came: "your cases" figures stay as they were when a case changes hands
    # (counted by today's worker, moving a case would tell its family's rating by difference).
    case_worker_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))


class FeedbackRequest(Base):
    """A survey the system sent to a family's number (at closure, after a service), so its answer can be tied to it."""

    __tablename__ = "feedback_request"

    id: Mapped[uuid.UUID] = _id()
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


class Complaint(Base):
    """A complaint about the service or its staff, possibly anonymous, with its own reference."""

    __tablename__ = "complaint"
    __table_args__ = (
        UniqueConstraint("channel", "channel_session_id", name="uq_complaint_channel_session"),
        # The complaint pages: an organisation's complaints by status, newest first; and the deadline scan.
        Index("ix_complaint_org_status_received", "organisation_id", "status", "received_at"),
        Index("ix_complaint_due_open", "due_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    channel: Mapped[str] = mapped_column(String(16))
    channel_session_id: Mapped[Optional[str]] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(40))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    # Only when the complainant is not anonymous and agreed to be contacted.
    contact_phone: Mapped[Optional[str]] = mapped_column(String(20))
    may_contact: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[Optional[str]] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="new")
    # Keyed hash of the number, kept even when anonymous, so that number alone can ask for the status.
    complainant_key: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Handling (issue 6): severity and the date it must be closed by (None until the scheduler sets it, for a
    # complaint received before severities existed), then each step of the focal point's workflow.
    severity: Mapped[Optional[str]] = mapped_column(String(16))
    due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The staff member who logged a complaint received in person or by phone (seeing it takes more than that).
    received_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[Optional[str]] = mapped_column(Text)
    informed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    # When the focal points were warned that the date nears, and told it had passed (each once per date).
    warned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    overdue_alerted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ComplaintStaff(Base):
    """A staff member a complaint names: they never see it, whatever their role."""

    __tablename__ = "complaint_staff"
    __table_args__ = (UniqueConstraint("complaint_id", "user_id", name="uq_complaint_staff_complaint_user"),)

    id: Mapped[uuid.UUID] = _id()
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"))
    # Indexed: every complaint query asks whether the person asking is named in it.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    added_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintNote(Base):
    """One entry in a complaint's private trail: a focal point's note, or a step of the workflow."""

    __tablename__ = "complaint_note"

    id: Mapped[uuid.UUID] = _id()
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), index=True)
    author_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # note | acknowledged | resolved | informed | closed | severity | named | category (taxonomy.COMPLAINT_NOTE_KINDS)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[Optional[str]] = mapped_column(Text)


class CommunityContact(Base):
    """What we remember about a community member's number: their language and whether they opted out."""

    __tablename__ = "community_contact"

    id: Mapped[uuid.UUID] = _id()
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    language: Mapped[Optional[str]] = mapped_column(String(8))
    opted_out_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(Base):
    """An SMS or WhatsApp message as received, stored before anything else is done with it (durable inbox)."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        # A provider delivering the same message twice leaves one row.
        UniqueConstraint("provider", "provider_message_id", name="uq_inbound_message_provider_message"),
        Index("ix_inbound_message_status_received", "status", "received_at"),
        # The last WhatsApp message from a number opens Twilio's 24-hour window for free-form messages.
        Index("ix_inbound_message_phone_channel_received", "phone", "channel", "received_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(20))
    to_address: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # received -> processed; limited (over its number's rate limit) stays as it is, never handled
    status: Mapped[str] = mapped_column(String(16), default="received")
    processed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class InboundMedia(Base):
    """A photo or file that came with an inbound message: where the provider keeps it, then our checked copy."""

    __tablename__ = "inbound_media"
    __table_args__ = (
        UniqueConstraint("inbound_message_id", "position", name="uq_inbound_media_message_position"),
        Index("ix_inbound_media_status_created", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    inbound_message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbound_message.id"), index=True)
    # The provider's numbering (Twilio's MediaUrl{N}), from 0.
    position: Mapped[int] = mapped_column(Integer)
    # The provider's URL holds account and message ids, never the sender's number; it is not logged all the same.
    source_url: Mapped[str] = mapped_column(String(1000))
    declared_type: Mapped[str] = mapped_column(String(100))
    # Keyed hash of the sender's number, as Report.reporter_key: finds this number's report without the number.
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    # pending -> stored | refused (too big, type not allowed or not what it claims) | failed (gone, refused to us,
    # or too many tries); reason says why in a short code.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[Optional[str]] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The type read from the file's first bytes, its size, digest and key in the media store, once stored.
    stored_type: Mapped[Optional[str]] = mapped_column(String(100))
    size: Mapped[Optional[int]] = mapped_column(Integer)
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    storage_key: Mapped[Optional[str]] = mapped_column(String(200))
    # What it is attached to (casecore.media): a case, or a report, or nothing yet.
    report_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("report.id"), index=True)
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_file.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class OutboundMessage(Base):
    """One SMS or WhatsApp message to one number: written before it is sent, so nothing is lost or sent twice."""

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_message_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = _id()
    # What the message is for, unique: a job run twice finds the row it already wrote.
    purpose_key: Mapped[str] = mapped_column(String(200), unique=True)
    organisation_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("organisation.id"))
    recipient_user_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    to_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16), default="sms", server_default="sms")
    # Only the confirmation of an opt-out is sent to a number that opted out.
    ignores_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Quick-reply labels (WhatsApp), a list of strings.
    options: Mapped[Optional[list[str]]] = mapped_column(JSON(none_as_null=True))
    # An approved WhatsApp template (Twilio ContentSid) sent instead of the body.
    content_sid: Mapped[Optional[str]] = mapped_column(String(64))
    # queued -> sending (claimed by one send job) -> sent | failed, or back to queued to retry (next_attempt_at);
    # sending -> unknown when the provider may have taken it but never said so (a job killed mid-send, a read
    # timeout): found at the provider -> sent, surely not -> queued, never known -> failed. A WhatsApp message
    # outside the 24-hour window is rerouted (an SMS row replaces it) or held until the number writes again.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    provider_message_id: Mapped[Optional[str]] = mapped_column(String(128), index=True)
    failure_reason: Mapped[Optional[str]] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # A message waiting for another try is not claimed before this time (backoff); None means at once.
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # What the provider later reported (casecore.delivery): queued, sent, delivered or failed; a final status
    # (delivered, failed) is never replaced.
    delivery_status: Mapped[Optional[str]] = mapped_column(String(16))
    delivery_reason: Mapped[Optional[str]] = mapped_column(String(200))
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # SMS only, so cost is visible: GSM-7 or UCS-2 and the segments billed; None for WhatsApp.
    encoding: Mapped[Optional[str]] = mapped_column(String(8))
    segments: Mapped[Optional[int]] = mapped_column(Integer)


class UssdSessionEnd(Base):
    """How a USSD session ended, as AT notified it: counts only, never the number or the answers given."""

    __tablename__ = "ussd_session_end"

    id: Mapped[uuid.UUID] = _id()
    # One row per session: a notification delivered twice adds nothing.
    session_id: Mapped[str] = mapped_column(String(128), unique=True)
    # Incomplete, Success or Failed; anything else AT sends is kept as given.
    status: Mapped[str] = mapped_column(String(16))
    network_code: Mapped[Optional[str]] = mapped_column(String(16))
    duration_ms: Mapped[Optional[int]] = mapped_column(Integer)
    hops: Mapped[Optional[int]] = mapped_column(Integer)
    cost_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 4))
    cost_currency: Mapped[Optional[str]] = mapped_column(String(8))
    # How many inputs the person gave before the session ended: where people drop off, without their answers.
    last_step_count: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[Optional[str]] = mapped_column(String(200))
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Who saw or changed what, and when."""

    __tablename__ = "audit_event"

    id: Mapped[uuid.UUID] = _id()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)


# -- case work (issue 5) -----------------------------------------------------------------------------------------

class Team(Base):
    """A supervisor's team of case workers within an organisation; a supervisor sees the team's cases."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_team_organisation_name"),)

    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    supervisor_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseDeadline(Base):
    """A date a case (or a report's assignment) must meet: warned before, alerted when it passes, met once."""

    __tablename__ = "case_deadline"
    __table_args__ = (
        Index("ix_case_deadline_open_due", "met_at", "due_at"),
        # A case's next open deadline in one index seek (the case list asks it for every case it shows).
        Index("ix_case_deadline_case_open", "case_id", "met_at", "due_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_file.id"), index=True)
    report_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("report.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # taxonomy.DEADLINE_KINDS
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    met_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    warned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # the case worker was told it is near
    overdue_alerted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # the supervisor was told it passed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseApproval(Base):
    """A supervisor's approval of an assessment, a case plan or a closure: requested, then approved or returned."""

    __tablename__ = "case_approval"

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    step: Mapped[str] = mapped_column(String(24))  # taxonomy.APPROVAL_STEPS
    # What is submitted: the assessment or the plan as written, or the closure's narrative.
    content: Mapped[Optional[str]] = mapped_column(Text)
    closure_reason: Mapped[Optional[str]] = mapped_column(String(40))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str] = mapped_column(String(16), default="pending")  # taxonomy.APPROVAL_DECISIONS
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    comment: Mapped[Optional[str]] = mapped_column(Text)


class CaseConsent(Base):
    """Consent for one purpose on a case, who gave it, and its withdrawal (which revokes pending referrals)."""

    __tablename__ = "case_consent"

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # taxonomy.CONSENT_PURPOSES
    given: Mapped[bool] = mapped_column(Boolean)
    given_by: Mapped[str] = mapped_column(String(32))  # taxonomy.CONSENT_GIVERS
    note: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class CaseFollowUp(Base):
    """A follow-up visit or a case plan review, with when the next one is due."""

    __tablename__ = "case_follow_up"

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # taxonomy.FOLLOW_UP_KINDS
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    next_due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Service(Base):
    """An entry of the service directory: who provides what, where, how to reach them, when last checked."""

    __tablename__ = "service"

    id: Mapped[uuid.UUID] = _id()
    # The organisation whose directory lists it.
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    provider_name: Mapped[str] = mapped_column(String(200))
    service_type: Mapped[str] = mapped_column(String(40))  # taxonomy.SERVICE_TYPES
    area_location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"))
    contact: Mapped[Optional[str]] = mapped_column(String(200))
    # When the provider is itself an organisation in Relais, a case can be transferred to it.
    provider_organisation_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("organisation.id"))
    last_verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """A case referred to a service, on the consent recorded for it; the provider's counter-referral notes."""

    __tablename__ = "referral"

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service.id"), index=True)
    consent_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_consent.id"))
    status: Mapped[str] = mapped_column(String(16), default="sent")  # taxonomy.REFERRAL_STATUSES
    notes: Mapped[Optional[str]] = mapped_column(Text)
    counter_referral_notes: Mapped[Optional[str]] = mapped_column(Text)
    # Why the referral was declined when the provider did not say so (taxonomy.REFERRAL_DECLINED_BECAUSE).
    declined_because: Mapped[Optional[str]] = mapped_column(String(32))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseTransfer(Base):
    """A case handed to another organisation; it takes effect when that organisation accepts it."""

    __tablename__ = "case_transfer"

    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    from_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # taxonomy.TRANSFER_STATUSES
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class CommitteeMember(Base):
    """A member of a community child protection committee, registered by a supervisor."""

    __tablename__ = "committee_member"
    __table_args__ = (UniqueConstraint("organisation_id", "phone", name="uq_committee_member_org_phone"),)

    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    committee: Mapped[str] = mapped_column(String(200))
    location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"))
    registered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FormUse(Base):
    """A staff form acted on: its key, so the same form sent twice (a double click, a resend) acts once."""

    __tablename__ = "form_use"

    form_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

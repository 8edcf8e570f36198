"""What the community tells us (a report, before triage), and the committee members who tell it."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, orm, true

# orm.relationship() rather than relationship(): Report has a column of that name, which would shadow it.
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.people.models import Location, Organisation
from casecore.sealing import SealedJSON, SealedText, number_key, sealed_number


class Report(Base):
    """What a community member told us about a child, exactly as received, before any triage."""

    __tablename__ = "report"
    __table_args__ = (
        # The provider's session id makes a retried final step land on the same report.
        UniqueConstraint("channel", "channel_session_id", name="uq_report_channel_session"),
        Index("ix_report_triage", "organisation_id", "status", "urgent", "received_at"),
        # The indicators of a period: an organisation's reports by time received.
        Index("ix_report_org_received", "organisation_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(String(16), default="child_at_risk", server_default="child_at_risk")
    channel: Mapped[str] = mapped_column(String(16))
    channel_session_id: Mapped[Optional[str]] = mapped_column(String(128))
    reporter_phone: Mapped[Optional[str]] = mapped_column(SealedText)
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
    description: Mapped[Optional[str]] = mapped_column(SealedText)
    may_contact: Mapped[bool] = mapped_column(Boolean)
    # The reporter agreed that child protection workers know who reported (their number); without it the
    # report is kept anonymous: no number stored, no contact.
    consent_to_share: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[dict[str, Any]] = mapped_column(SealedJSON, default=dict)
    status: Mapped[str] = mapped_column(String(32), default="new")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Triage (issue 5): the supervisor's decision, who made it and when, and what it needs.
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    duplicate_of_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("report.id"))
    not_eligible_reason: Mapped[Optional[str]] = mapped_column(String(40))
    decision_note: Mapped[Optional[str]] = mapped_column(SealedText)
    referred_to_service_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("service.id", use_alter=True))
    # A report made by a registered community committee member (their number matched).
    committee_member_id: Mapped[Optional[uuid.UUID]] = mapped_column(
        ForeignKey("committee_member.id", use_alter=True))

    location: Mapped[Optional[Location]] = orm.relationship()
    organisation: Mapped[Organisation] = orm.relationship()


class CommitteeMember(Base):
    """A member of a community child protection committee, registered by a supervisor."""

    __tablename__ = "committee_member"
    __table_args__ = (UniqueConstraint("organisation_id", "phone_key", name="uq_committee_member_org_phone_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(SealedText)
    phone: Mapped[str] = sealed_number("phone")
    phone_key: Mapped[str] = number_key("phone", index=True)
    committee: Mapped[str] = mapped_column(String(200))
    location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"))
    registered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

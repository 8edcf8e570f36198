"""A complaint, the staff it names and its private trail of notes."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedText


class Complaint(Base):
    """A complaint about the service or its staff, possibly anonymous, with its own reference."""

    __tablename__ = "complaint"
    __table_args__ = (
        UniqueConstraint("channel", "channel_session_id", name="uq_complaint_channel_session"),
        # The complaint pages: an organisation's complaints by status, newest first; and the deadline scan.
        Index("ix_complaint_org_status_received", "organisation_id", "status", "received_at"),
        Index("ix_complaint_due_open", "due_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    channel: Mapped[str] = mapped_column(String(16))
    channel_session_id: Mapped[Optional[str]] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(40))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    # Only when the complainant is not anonymous and agreed to be contacted.
    contact_phone: Mapped[Optional[str]] = mapped_column(SealedText)
    may_contact: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[Optional[str]] = mapped_column(SealedText)
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
    outcome: Mapped[Optional[str]] = mapped_column(SealedText)
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

    id: Mapped[uuid.UUID] = uuid_pk()
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"))
    # Indexed: every complaint query asks whether the person asking is named in it.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    added_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintNote(Base):
    """One entry in a complaint's private trail: a focal point's note, or a step of the workflow."""

    __tablename__ = "complaint_note"

    id: Mapped[uuid.UUID] = uuid_pk()
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), index=True)
    author_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # note | acknowledged | resolved | informed | closed | severity | named | category (taxonomy.COMPLAINT_NOTE_KINDS)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[Optional[str]] = mapped_column(SealedText)

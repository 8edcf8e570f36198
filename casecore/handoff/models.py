"""What Relais keeps of each hand-off to CPIMS+ (Primero): the row that makes it happen once, the pause that stops
every hand-off while Primero refuses the account, and the family messages added to Primero cases as notes."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedJSON


class Handoff(Base):
    """One report handed over to Primero: written with the decision, sent once, then followed from Primero."""

    __tablename__ = "primero_handoff"
    __table_args__ = (
        Index("ix_primero_handoff_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_primero_handoff_org_status", "organisation_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id"), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    # The Relais case opened by the acceptance (on_accept); none when the report went straight over (on_report).
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_file.id"), index=True)
    # The id the Primero case is created under, derived from the report: a resend can never make a second case.
    primero_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    trigger: Mapped[str] = mapped_column(String(16))  # HANDOFF_MODES but off
    # waiting -> sending (claimed by one job) -> sent | failed, or back to waiting (backoff); sending -> unknown
    # when Primero may have created the case without saying so (a timeout, a worker killed): looked up first.
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_tried_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_tried_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Which job holds the claim: only it records the outcome (two workers on one row).
    claim: Mapped[Optional[str]] = mapped_column(String(32))
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Why it waits or failed, as Primero said it (an HTTP status, the fields it refused): never the child's data.
    reason: Mapped[Optional[str]] = mapped_column(String(300))
    invalid_fields: Mapped[Optional[list[str]]] = mapped_column(JSON(none_as_null=True))
    # What Relais last read of the case in Primero (a webhook or a poll): short id, status, owner, and its
    # last_updated_at, so an older snapshot arriving late changes nothing.
    short_id: Mapped[Optional[str]] = mapped_column(String(40))
    primero_status: Mapped[Optional[str]] = mapped_column(String(32))
    owned_by: Mapped[Optional[str]] = mapped_column(String(100))
    primero_updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    followed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    # When Relais acted on the case's closure in Primero (surveys, thanks); cleared when Primero reopens it.
    closure_seen_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The case record (consents, registration, risk, services, tracing) as Primero last got it: the case's
    # record_version then (while the case is ahead, the record is looked at again), when, and what was sent as
    # digests (casecore.handoff.record.Sent: only what differs goes again; no child's data in it, but a name's
    # digest can be guessed by trying names: sealed).
    record_version_synced: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    record_synced_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    record_sent: Mapped[Optional[dict]] = mapped_column(SealedJSON)


class HandoffPause(Base):
    """Primero refused the account or its role: no hand-off is tried until an administrator resumes them."""

    __tablename__ = "primero_pause"

    id: Mapped[uuid.UUID] = uuid_pk()
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(300))
    resumed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    resumed_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))


class HandoffNote(Base):
    """A family's message added to its handed-over case in Primero as a note (or refused there): once each."""

    __tablename__ = "primero_note"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_event.id"), primary_key=True)
    handoff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("primero_handoff.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # added | refused
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

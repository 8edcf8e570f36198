"""Community numbers, messages in and out, received files and ended USSD sessions."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedText, number_key, sealed_number


class CommunityContact(Base):
    """What we remember about a community member's number: their language and whether they opted out."""

    __tablename__ = "community_contact"

    id: Mapped[uuid.UUID] = uuid_pk()
    phone: Mapped[str] = sealed_number("phone")
    phone_key: Mapped[str] = number_key("phone", unique=True)
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
        Index("ix_inbound_message_phone_key_channel_received", "phone_key", "channel", "received_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = sealed_number("phone")
    phone_key: Mapped[str] = number_key("phone")
    to_address: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(SealedText)
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

    id: Mapped[uuid.UUID] = uuid_pk()
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
    # What it is attached to (casecore.messaging.media): a case, or a report, or nothing yet.
    report_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("report.id"), index=True)
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_file.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class OutboundMessage(Base):
    """One SMS or WhatsApp message to one number: written before it is sent, so nothing is lost or sent twice."""

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_message_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    # What the message is for, unique: a job run twice finds the row it already wrote.
    purpose_key: Mapped[str] = mapped_column(String(200), unique=True)
    organisation_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("organisation.id"))
    recipient_user_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    to_phone: Mapped[str] = sealed_number("to_phone")
    # The held messages of a number and a delivery report's number are found by it.
    to_phone_key: Mapped[str] = number_key("to_phone", index=True)
    body: Mapped[str] = mapped_column(SealedText)
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
    # What the provider later reported (casecore.messaging.delivery): queued, sent, delivered, read or failed; a final
    # status is never replaced, except delivered by read.
    delivery_status: Mapped[Optional[str]] = mapped_column(String(16))
    delivery_reason: Mapped[Optional[str]] = mapped_column(String(200))
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # SMS only, so cost is visible: GSM-7 or UCS-2 and the segments billed; None for WhatsApp.
    encoding: Mapped[Optional[str]] = mapped_column(String(8))
    segments: Mapped[Optional[int]] = mapped_column(Integer)


class UssdSessionEnd(Base):
    """How a USSD session ended, as AT notified it: counts only, never the number or the answers given."""

    __tablename__ = "ussd_session_end"

    id: Mapped[uuid.UUID] = uuid_pk()
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

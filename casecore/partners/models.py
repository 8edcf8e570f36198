"""API tokens (service accounts of an organisation), the audit line of every call made with one, and the event
subscriptions of partner systems with their deliveries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedJSON, SealedText


class ApiToken(Base):
    """A partner system's credential: shown once when made, kept only as a hash; revoked, never deleted (the audit
    trail names it)."""

    __tablename__ = "api_token"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's public part, which finds its row; the secret part is kept only as SHA-256 (it is random).
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # Space-separated, from casecore.partners.tokens.SCOPES.
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ApiCall(Base):
    """One call made with a token: which endpoint, its answer, and the ids of what it returned or changed."""

    __tablename__ = "api_call"
    __table_args__ = (Index("ix_api_call_token_at", "token_id", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    token_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_token.id"))
    method: Mapped[str] = mapped_column(String(8))
    # The route's template (/api/v1/reports/{reference}), never the values in the path or the query.
    endpoint: Mapped[str] = mapped_column(String(120))
    status: Mapped[int] = mapped_column(Integer)
    object_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class EventSubscription(Base):
    """A partner's receiver for some kinds of events, under one of its organisation's tokens (which masks what the
    events carry); ended, never deleted, so its deliveries keep their subscription."""

    __tablename__ = "event_subscription"

    id: Mapped[uuid.UUID] = uuid_pk()
    token_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_token.id"), index=True)
    # May hold a key of the partner's in its query: never logged, and listed without its query.
    url: Mapped[str] = mapped_column(String(2000))
    # Space-separated, from casecore.changes.KINDS.
    event_types: Mapped[str] = mapped_column(String(200))
    # The key every delivery is signed with (HMAC-SHA256): shown once at subscribe time, sealed at rest.
    secret: Mapped[str] = mapped_column(SealedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class EventDelivery(Base):
    """One event for one subscription: written in the transaction of the change it tells, then posted by a worker
    until the receiver answers 2xx (delivered) or 24 hours have passed (failed). Its id is the delivery id the
    receiver dedupes by."""

    __tablename__ = "event_delivery"
    __table_args__ = (
        # The sweep: pending deliveries by when they are due, and claims left by a job that died.
        Index("ix_event_delivery_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_subscription.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    # The report, case or complaint the event is about.
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The event's data as the subscription's token could see it then (personal data only with personal_data);
    # masked again by the token's scopes when sent, and cleared once the delivery is settled.
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(SealedJSON)
    # pending -> sending (claimed by a job) -> delivered | pending again (retry) | failed.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # None: due at once (a first try).
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Drawn at each claim: only the job holding it records the outcome (a late job after its claim went stale
    # cannot overwrite what the next one recorded).
    claim: Mapped[Optional[uuid.UUID]] = mapped_column(Uuid)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Why the last try failed ("HTTP 500", "timeout"): never the URL, nor anything the receiver answered.
    last_error: Mapped[Optional[str]] = mapped_column(String(200))

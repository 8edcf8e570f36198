"""API tokens (service accounts of an organisation) and the audit line of every call made with one."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk


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

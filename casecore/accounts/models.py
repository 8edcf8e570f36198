"""What accounts keep besides the account: failed logins per address and their locks, staff sessions, and grants of
access waiting for a second person."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk


class LoginLock(Base):
    """Failed logins in a row to one account from one address, and until when that address is locked out of it.

    Per address, not per account: whoever guesses an email cannot lock its owner out from everywhere. The address
    is kept as a keyed hash (casecore.accounts.logins.address_key), never in clear."""

    __tablename__ = "login_lock"
    __table_args__ = (UniqueConstraint("user_id", "source_key", name="uq_login_lock_user_source"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    source_key: Mapped[str] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A staff member's login, kept on the server: the browser's cookie names it, and it ends here for good (logout,
    deactivation, an administrator ending the account's sessions) or after SESSION_MAX_HOURS whatever the use."""

    __tablename__ = "staff_session"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # logout | deactivated | ended_by_admin | expired
    end_reason: Mapped[Optional[str]] = mapped_column(String(16))


class AccessGrant(Base):
    """An administrator's grant of access to sensitive data, waiting for a second person: a supervisor or focal-point
    role (a new account stays inactive until then), or a case worker's place in a team. Administrators may not
    read cases or complaints; without this they could give themselves an account that does."""

    __tablename__ = "access_grant"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # role | team_member
    role: Mapped[Optional[str]] = mapped_column(String(16))
    team_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("team.id"))
    # A new account made for the grant: confirming it opens the account.
    activates: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending | confirmed | refused | replaced (by a later request) | stale (the account changed before confirming)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

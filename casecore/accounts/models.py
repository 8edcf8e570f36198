"""What logging in keeps: the failed logins to an account from one address, and the lock they led to."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
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

"""Staff sessions kept on the server: opened at login, checked on every request, ended at once by a logout, a
deactivation or an administrator, and ended after SESSION_MAX_HOURS however busy (the idle limit is the cookie's)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore.accounts.models import StaffSession
from casecore.base import utcnow
from casecore.errors import NotFound
from casecore.ids import parse_id

END_REASONS = ("logout", "deactivated", "ended_by_admin", "expired", "password_changed")


def open_session(session: Session, user_id: uuid.UUID) -> uuid.UUID:
    """A new session for a user who just logged in; its id goes in the signed cookie."""
    row = StaffSession(user_id=user_id, created_at=utcnow())
    session.add(row)
    session.flush()
    return row.id


def session_open(session: Session, session_id: str | None, user_id: uuid.UUID, max_hours: float,
                 now: datetime | None = None) -> bool:
    """Whether the cookie's session is one of this user's, not ended and younger than max_hours (read only)."""
    try:
        key = parse_id(session_id or "", "session")
    except NotFound:  # an old or forged cookie: no session
        return False
    row = session.execute(select(StaffSession.user_id, StaffSession.created_at, StaffSession.ended_at)
                          .where(StaffSession.id == key)).first()
    now = now or utcnow()
    return (row is not None and row.user_id == user_id and row.ended_at is None
            and now - row.created_at < timedelta(hours=max_hours))


def end_session(session: Session, session_id: str | None, reason: str) -> bool:
    """End one session (a logout, its time up); True when it was open."""
    try:
        key = parse_id(session_id or "", "session")
    except NotFound:  # nothing to end
        return False
    return _end(session, StaffSession.id == key, reason) > 0


def end_user_sessions(session: Session, user_id: uuid.UUID, reason: str) -> int:
    """End every open session of the account (deactivated, or an administrator ending them); returns how many."""
    return _end(session, StaffSession.user_id == user_id, reason)


def _end(session: Session, which, reason: str) -> int:
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    return session.execute(update(StaffSession).where(which, StaffSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), end_reason=reason)
                           .execution_options(synchronize_session=False)).rowcount

"""Logging in with a lockout: repeated failed passwords lock the account for a while; every outcome is audited."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from casecore.accounts.users import timing_hash
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.people.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins in a row lock an account, and for how long (LOGIN_MAX_FAILURES, LOGIN_LOCK_MINUTES)."""

    max_failures: int = 5
    lock_minutes: int = 15


@dataclass(frozen=True)
class LoginOutcome:
    """What a login attempt gave: the user on success; the minutes left when the account is locked."""

    user: User | None = None
    locked_minutes: int = 0


def _minutes_left(locked_until: datetime, now: datetime) -> int:
    return max(1, math.ceil((locked_until - now).total_seconds() / 60))


def attempt_login(session: Session, email: str, password: str, policy: LoginPolicy,
                  now: datetime | None = None) -> LoginOutcome:
    """Check an email and password under the lockout policy; the failure count is kept when the unit commits."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        # Same work as for a known email: the answer's timing does not tell whether it exists.
        check_password_hash(timing_hash(), password or "")
        record_event(session, None, "login.failed", "user", None)
        return LoginOutcome()
    correct = check_password_hash(user.password_hash, password or "")
    if user.locked_until is not None and user.locked_until > now:
        # Even the right password waits: otherwise the lock would not slow down guessing.
        record_event(session, user.id, "login.refused_locked", "user", user.id)
        return LoginOutcome(locked_minutes=_minutes_left(user.locked_until, now))
    if correct and user.is_active:
        user.failed_logins, user.locked_until = 0, None
        session.flush()
        record_event(session, user.id, "login.succeeded", "user", user.id)
        return LoginOutcome(user=user)
    record_event(session, user.id, "login.failed", "user", user.id)
    if not correct:
        return _count_failure(session, user, policy, now)
    return LoginOutcome()


def _count_failure(session: Session, user: User, policy: LoginPolicy, now: datetime) -> LoginOutcome:
    # Incremented in SQL: two guesses at once must both count.
    session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(user, ["failed_logins"])
    if user.failed_logins < policy.max_failures:
        return LoginOutcome()
    user.failed_logins, user.locked_until = 0, now + timedelta(minutes=policy.lock_minutes)
    session.flush()
    record_event(session, user.id, "login.locked", "user", user.id)
    log.info("user %s locked for %d minutes after repeated failed logins", user.id, policy.lock_minutes)
    return LoginOutcome(locked_minutes=policy.lock_minutes)

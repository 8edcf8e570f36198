"""Logging in with a lockout: repeated failed passwords to an account from one address lock that address out of it
for a while (even with the right password); every outcome is audited. Another address, the account's owner at
work, is not locked by someone guessing elsewhere; the web form throttles each address's failures besides."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from casecore.accounts.models import LoginLock
from casecore.accounts.users import timing_hash
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.db import dialect_insert
from casecore.people.models import User

log = logging.getLogger(__name__)


def address_key(address: str, secret: str) -> str:
    """A keyed hash of a client's address (32 hex characters): recognised again, never kept in clear. An IPv6
    address counts as its /64, which one subscriber holds whole: changing the rest evades nothing."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return hmac.new(secret.encode(), f"address:{address}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins in a row lock an account, and for how long (LOGIN_MAX_FAILURES, LOGIN_LOCK_MINUTES)."""

    max_failures: int = 5
    lock_minutes: int = 15


@dataclass(frozen=True)
class LoginOutcome:
    """What a login attempt gave: the user on success; the minutes left when the account is locked, and whether
    this attempt locked it."""

    user: User | None = None
    locked_minutes: int = 0
    locked_now: bool = False


def _minutes_left(locked_until: datetime, now: datetime) -> int:
    return max(1, math.ceil((locked_until - now).total_seconds() / 60))


def attempt_login(session: Session, email: str, password: str, policy: LoginPolicy, source_key: str,
                  now: datetime | None = None) -> LoginOutcome:
    """Check an email and password under the lockout policy, for a client known by source_key (address_key); the
    failure count is kept when the unit commits."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        # Same work as for a known email: the answer's timing does not tell whether it exists.
        check_password_hash(timing_hash(), password or "")
        record_event(session, None, "login.failed", "user", None)
        return LoginOutcome()
    correct = check_password_hash(user.password_hash, password or "")
    lock = session.scalar(select(LoginLock).where(LoginLock.user_id == user.id, LoginLock.source_key == source_key))
    if lock is not None and lock.locked_until is not None and lock.locked_until > now:
        # Even the right password waits: otherwise the lock would not slow down guessing.
        record_event(session, user.id, "login.refused_locked", "user", user.id)
        return LoginOutcome(locked_minutes=_minutes_left(lock.locked_until, now))
    if correct and user.is_active:
        if lock is not None:
            session.delete(lock)
        session.flush()
        record_event(session, user.id, "login.succeeded", "user", user.id)
        return LoginOutcome(user=user)
    record_event(session, user.id, "login.failed", "user", user.id)
    if not correct:
        return _count_failure(session, user, source_key, policy, now)
    return LoginOutcome()


def _count_failure(session: Session, user: User, source_key: str, policy: LoginPolicy, now: datetime) -> LoginOutcome:
    # Counted in SQL, row created if need be: two guesses at once must both count.
    insert = dialect_insert(session, LoginLock.__table__)
    session.execute(insert.values(id=uuid.uuid4(), user_id=user.id, source_key=source_key, failures=1,
                                  updated_at=now)
                    .on_conflict_do_update(index_elements=["user_id", "source_key"],
                                           set_={"failures": LoginLock.__table__.c.failures + 1, "updated_at": now}))
    lock = session.scalar(select(LoginLock).where(LoginLock.user_id == user.id, LoginLock.source_key == source_key)
                          .execution_options(populate_existing=True))
    if lock.failures < policy.max_failures:
        return LoginOutcome()
    lock.failures, lock.locked_until = 0, now + timedelta(minutes=policy.lock_minutes)
    session.flush()
    record_event(session, user.id, "login.locked", "user", user.id)
    log.warning("user %s locked out from one address for %d minutes after repeated failed logins", user.id,
                policy.lock_minutes)
    return LoginOutcome(locked_minutes=policy.lock_minutes, locked_now=True)

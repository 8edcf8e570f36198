"""USSD sessions as AT reports their end: stored once per session, counts only, and the drop-off figures."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.db import dialect_insert
from casecore.errors import InvalidInput
from casecore.messaging.models import UssdSessionEnd

log = logging.getLogger(__name__)

INCOMPLETE = "Incomplete"


class SessionEnd(Protocol):
    """What a channel read from an end-of-session notification (channels.africastalking_ussd_events)."""

    session_id: str
    status: str
    network_code: str | None
    duration_ms: int | None
    hops: int | None
    cost_amount: Decimal | None
    cost_currency: str | None
    error_message: str | None
    ended_at: datetime | None

    @property
    def step_count(self) -> int: ...


def record_ussd_session_end(session: Session, event: SessionEnd) -> bool:
    """Store how a session ended, once per session id; False when it was stored before (the first notice wins).

    The phone number and the input path are never stored: only how many inputs there were.
    """
    if not event.session_id or not event.status:
        raise InvalidInput("a USSD session end needs its session id and status")
    inserted = session.execute(
        dialect_insert(session, UssdSessionEnd.__table__)
        .values(
            id=uuid.uuid4(), session_id=event.session_id[:128], status=event.status[:16],
            network_code=event.network_code, duration_ms=event.duration_ms, hops=event.hops,
            cost_amount=event.cost_amount, cost_currency=event.cost_currency,
            last_step_count=event.step_count, error_message=(event.error_message or "")[:200] or None,
            ended_at=event.ended_at, received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["session_id"])
        .returning(UssdSessionEnd.__table__.c.id)
    ).first()
    log.info("USSD session %s ended %s%s", event.session_id, event.status, "" if inserted else " (repeat ignored)")
    return inserted is not None


def ussd_drop_off(session: Session, since: datetime) -> dict:
    """Sessions ended since `since`: counts by status, the share left Incomplete, and after how many inputs.

    `incomplete_share` is None when no session ended; `incomplete_steps` maps an input count to its sessions.
    """
    ended = func.coalesce(UssdSessionEnd.ended_at, UssdSessionEnd.received_at)
    by_status = dict(session.execute(
        select(UssdSessionEnd.status, func.count()).where(ended >= since).group_by(UssdSessionEnd.status)
    ).all())
    steps = session.execute(
        select(UssdSessionEnd.last_step_count, func.count())
        .where(ended >= since, UssdSessionEnd.status == INCOMPLETE)
        .group_by(UssdSessionEnd.last_step_count)
        .order_by(UssdSessionEnd.last_step_count)
    ).all()
    total = sum(by_status.values())
    return {
        "total": total,
        "by_status": by_status,
        "incomplete_share": by_status.get(INCOMPLETE, 0) / total if total else None,
        "incomplete_steps": {count: n for count, n in steps},
    }

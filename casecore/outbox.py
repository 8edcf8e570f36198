"""The outbox: each SMS is a row written before sending; these functions claim it and record what happened."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore.errors import InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.models import OutboundMessage, utcnow

log = logging.getLogger(__name__)

# After this many tries a message that keeps coming back "retry" is marked failed, so that a number AT will never
# reach (or an account left without credit) does not keep the queue busy forever.
MAX_SEND_ATTEMPTS = 30
RESULT_STATUSES = ("sent", "retry", "failed")


@dataclass(frozen=True)
class OutboundSnapshot:
    """What a sender needs from an outbox row, detached from the session."""

    id: uuid.UUID
    to_phone: str
    body: str
    backend: str
    attempts: int


def claim_for_sending(session: Session, message_id: str | uuid.UUID) -> OutboundSnapshot | None:
    """Mark a queued message as being sent and return it; None when another job has it or it is done.

    One conditional UPDATE: of two jobs claiming the same message at once, exactly one gets it.
    """
    key = parse_id(message_id, "outbound message")
    claimed = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == key, OutboundMessage.status == "queued")
        .values(status="sending", attempts=OutboundMessage.attempts + 1, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    message = session.get(OutboundMessage, key, populate_existing=True)
    if message is None:
        raise NotFound(f"outbound message {message_id} does not exist")
    if not claimed:
        return None
    return OutboundSnapshot(message.id, message.to_phone, message.body, message.backend, message.attempts)


def release_stale_claims(session: Session, claimed_before: datetime) -> int:
    """Put back in the queue messages claimed before claimed_before and never settled (their job died).

    Their SMS may have gone out before the job died: sending again is preferred to losing an alert.
    """
    released = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == "sending", OutboundMessage.claimed_at < claimed_before)
        .values(status="queued")
        .execution_options(synchronize_session=False)
    ).rowcount
    if released:
        log.warning("%d outbound message(s) claimed by a job that never finished are queued again", released)
    return released


def record_send_result(
    session: Session,
    message_id: str | uuid.UUID,
    result_status: str,
    provider_message_id: str | None,
    reason: str | None,
) -> str:
    """Store a backend's verdict (sent, retry or failed) and return the message's new status."""
    if result_status not in RESULT_STATUSES:
        raise InvalidInput(f"unknown send result {result_status!r}")
    message = session.get(OutboundMessage, parse_id(message_id, "outbound message"), with_for_update=True)
    if message is None:
        raise NotFound(f"outbound message {message_id} does not exist")
    if message.status == "sent":
        # Never turn a delivered message back into a pending or failed one.
        return message.status
    if result_status == "sent":
        message.status = "sent"
        message.sent_at = utcnow()
        message.provider_message_id = provider_message_id
        message.failure_reason = None
    elif result_status == "failed":
        message.status = "failed"
        message.failure_reason = _short(reason or "failed")
    elif message.attempts >= MAX_SEND_ATTEMPTS:
        message.status = "failed"
        message.failure_reason = _short(f"gave up after {message.attempts} attempts: {reason or 'retry'}")
    else:
        message.status = "queued"
        message.failure_reason = _short(reason or "retry")
    session.flush()
    log.info("outbound message %s: %s after %d attempt(s)", message.id, message.status, message.attempts)
    return message.status


def messages_awaiting_send(session: Session, created_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Ids of messages still queued that were written before created_before, oldest first."""
    return list(
        session.scalars(
            select(OutboundMessage.id)
            .where(OutboundMessage.status == "queued", OutboundMessage.created_at < created_before)
            .order_by(OutboundMessage.created_at)
            .limit(limit)
        )
    )


def _short(text: str) -> str:
    return text[:200]

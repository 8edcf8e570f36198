"""Delivery reports: what a provider later says about a sent message, mapped to one status set, never downgraded."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.messaging.contacts import opt_out
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import (
    MAX_SEND_ATTEMPTS,
    OPTED_OUT_REASON,
    OUTSIDE_WINDOW_REASON,
    RATE_LIMITED_REASON,
    retry_delay,
)

log = logging.getLogger(__name__)

# read: the person opened it (WhatsApp read receipts, Twilio's `read`); it says delivered too.
DELIVERY_STATUSES = ("queued", "sent", "delivered", "read", "failed")
FINAL_STATUSES = ("delivered", "read", "failed")
# Callbacks arrive out of order: a report only moves a message forward. delivered and failed share a rank, so the
# first of them wins: a late "failed" never undoes "delivered", nor a late "delivered" a "failed". read comes after
# delivered: a late "delivered" (or "sent") never undoes it, and a late "failed" neither; a failed message stays
# failed, whatever comes after.
_RANK = {"queued": 0, "sent": 1, "delivered": 2, "failed": 2, "read": 3}


@dataclass(frozen=True)
class SendAgain:
    """A sent message its provider then failed for a rate limit: queued again, due at due after attempts tries."""

    id: uuid.UUID
    due: datetime
    attempts: int


def record_delivery(session: Session, provider_message_id: str, status: str, reason: str | None = None) -> bool:
    """Store a provider's report on the message it sent as provider_message_id; False when no such message.

    True also when the report is older than what is stored and so changes nothing.
    """
    if status not in DELIVERY_STATUSES:
        raise InvalidInput(f"unknown delivery status {status!r}")
    if not provider_message_id:
        raise InvalidInput("a delivery report needs the provider's message id")
    message = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.provider_message_id == provider_message_id)
        .order_by(OutboundMessage.created_at)
        .limit(1)
        .with_for_update()
    ).first()
    if message is None:
        # A report for a message sent by another system on the same account, or one we never stored.
        log.info("%s delivery report for an unknown message ignored", status)
        return False
    current = message.delivery_status
    if current == "failed" or (current is not None and _RANK[status] <= _RANK[current]):
        log.info("outbound message %s: %s report ignored, already %s", message.id, status, current)
        return True
    message.delivery_status = status
    if status == "failed":
        message.delivery_reason = (reason or "failed")[:200]
        if reason == OPTED_OUT_REASON:
            # The recipient replied STOP at the provider: nothing more may go to the number, on any channel.
            opt_out(session, message.to_phone)
    elif status in ("delivered", "read") and message.delivered_at is None:
        # A read receipt that overtook its delivery report says delivered as well.
        message.delivered_at = utcnow()
    session.flush()
    log.info("outbound message %s: delivery %s", message.id, status)
    return True


def send_again_after_rate_limit(session: Session, provider_message_id: str, status: str,
                                reason: str | None) -> SendAgain | None:
    """A sent message this report says the provider failed for a rate limit: queued again after a backoff.

    The provider never sent it on, so sending it again cannot reach the person twice. Its provider id is cleared:
    reports on the failed try no longer find it, and the next send records its own. After MAX_SEND_ATTEMPTS tries
    it is left as the report says (delivery failed, rate_limited); None then, and for any other report.
    """
    if status != "failed" or reason != RATE_LIMITED_REASON:
        return None
    message = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.provider_message_id == provider_message_id, OutboundMessage.status == "sent")
        .order_by(OutboundMessage.created_at).limit(1).with_for_update()
    ).first()
    if message is None or message.attempts >= MAX_SEND_ATTEMPTS:
        return None
    due = utcnow() + timedelta(seconds=retry_delay(message.attempts))
    message.status, message.next_attempt_at, message.failure_reason = "queued", due, RATE_LIMITED_REASON
    message.provider_message_id, message.sent_at = None, None
    message.delivery_status, message.delivery_reason, message.delivered_at = None, None, None
    session.flush()
    log.info("outbound message %s: rate limited at the provider; queued again after %d attempt(s)", message.id,
             message.attempts)
    return SendAgain(message.id, due, message.attempts)


def whatsapp_refused_outside_window(session: Session, provider_message_id: str, status: str,
                                    reason: str | None) -> uuid.UUID | None:
    """The id of a sent WhatsApp message this report says was refused outside the 24-hour window, else None."""
    if status != "failed" or reason != OUTSIDE_WINDOW_REASON:
        return None
    return session.scalar(
        select(OutboundMessage.id).where(OutboundMessage.provider_message_id == provider_message_id,
                                         OutboundMessage.channel == "whatsapp", OutboundMessage.status == "sent")
        .limit(1)
    )

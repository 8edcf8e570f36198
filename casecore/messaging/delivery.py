"""Delivery reports: what a provider later says about a sent message, mapped to one status set, never downgraded."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.messaging.contacts import opt_out
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import OPTED_OUT_REASON, OUTSIDE_WINDOW_REASON

log = logging.getLogger(__name__)

DELIVERY_STATUSES = ("queued", "sent", "delivered", "failed")
FINAL_STATUSES = ("delivered", "failed")
# Callbacks arrive out of order: a report only moves a message forward. Both final statuses share the top rank,
# so the first final report wins: a late "failed" never undoes "delivered", nor a late "delivered" a "failed".
_RANK = {"queued": 0, "sent": 1, "delivered": 2, "failed": 2}


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
    if current is not None and _RANK[status] <= _RANK[current]:
        log.info("outbound message %s: %s report ignored, already %s", message.id, status, current)
        return True
    message.delivery_status = status
    if status == "failed":
        message.delivery_reason = (reason or "failed")[:200]
        if reason == OPTED_OUT_REASON:
            # The recipient replied STOP at the provider: nothing more may go to the number, on any channel.
            opt_out(session, message.to_phone)
    elif status == "delivered":
        message.delivered_at = utcnow()
    session.flush()
    log.info("outbound message %s: delivery %s", message.id, status)
    return True


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

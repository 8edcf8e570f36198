"""WhatsApp's 24-hour window: free-form messages only within 24 hours of the person's last message to us.

Outside it a message is either sent by SMS instead (a new outbox row replaces it) or held, with an approved
template telling the person to write back; their next WhatsApp message releases what was held. Someone known only
by a business-scoped id has no SMS route: their message is held whatever the policy, with the template if there is
one.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.messaging.outbox import OutboundRef, OutboundSnapshot, queue_message
from casecore.phones import is_business_scoped_id, sender_address

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
POLICIES = ("sms", "template")
TEMPLATE_BODY = "[WhatsApp template {sid}]"


def window_open(session: Session, phone: str, now: datetime | None = None) -> bool:
    """Whether the number sent us a WhatsApp message within the last 24 hours."""
    last = session.scalar(
        select(func.max(InboundMessage.received_at))
        .where(InboundMessage.phone == sender_address(phone), InboundMessage.channel == "whatsapp")
    )
    return last is not None and last > (now or utcnow()) - WINDOW


def outside_window(session: Session, message: OutboundSnapshot, policy: str, *, sms_backend: str,
                   sms_body: Callable[[str], str], template_sid: str = "") -> tuple[str, list[uuid.UUID]]:
    """Deal with a WhatsApp message that may not go as it is; returns its new status and the outbox rows to send.

    policy "sms": an SMS row with the same text (sms_body respells it) replaces the message, marked "rerouted".
    policy "template": the message is "held" and, unless an earlier held message already asked, a row sending
    the approved template (which says only that a message is waiting) is written. A message to a business-scoped
    id is held under either policy, the template asking only when one is configured.
    """
    if policy not in POLICIES:
        raise InvalidInput(f"unknown WhatsApp window policy {policy!r}; choose one of {', '.join(POLICIES)}")
    if policy == "template" and not template_sid:
        raise InvalidInput("the template policy needs an approved template (TWILIO_WHATSAPP_TEMPLATE_SID)")
    if policy == "sms" and not is_business_scoped_id(message.to_phone):
        replacement = queue_message(
            session, purpose_key=f"sms-instead-of:{message.id}", to_phone=message.to_phone,
            body=sms_body(message.body), backend=sms_backend, channel="sms", ignores_opt_out=message.ignores_opt_out,
        )
        _settle(session, message.id, "rerouted", f"outside the WhatsApp window: sent by SMS ({replacement.id})")
        log.info("outbound message %s: outside the WhatsApp window, sent by SMS instead", message.id)
        return "rerouted", _to_send(replacement)
    already_asked = session.scalar(
        select(func.count()).select_from(OutboundMessage)
        .where(OutboundMessage.to_phone == message.to_phone, OutboundMessage.status == "held",
               OutboundMessage.id != message.id)
    )
    _settle(session, message.id, "held", "outside the WhatsApp window: waiting for the person to write")
    log.info("outbound message %s: outside the WhatsApp window, held", message.id)
    if already_asked or not template_sid:
        return "held", []
    template = queue_message(
        session, purpose_key=f"template-for:{message.id}", to_phone=message.to_phone,
        body=TEMPLATE_BODY.format(sid=template_sid), backend=message.backend, channel="whatsapp",
        content_sid=template_sid, ignores_opt_out=message.ignores_opt_out,
    )
    return "held", _to_send(template)


def release_held(session: Session, phone: str) -> list[uuid.UUID]:
    """The number wrote on WhatsApp, opening the window: queue again what was held for it; returns their ids."""
    ids = list(session.scalars(
        update(OutboundMessage)
        .where(OutboundMessage.to_phone == sender_address(phone), OutboundMessage.status == "held")
        # A try the provider refused outside the window leaves its id and its failed delivery: the next try is a
        # new message to the provider, whose reports must find it (as after a rate limit's send again).
        .values(status="queued", next_attempt_at=None, failure_reason=None, provider_message_id=None, sent_at=None,
                delivery_status=None, delivery_reason=None, delivered_at=None)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    ))
    if ids:
        log.info("%d held WhatsApp message(s) released: the number wrote again", len(ids))
    return ids


def _settle(session: Session, message_id: uuid.UUID, status: str, reason: str) -> None:
    session.execute(
        update(OutboundMessage).where(OutboundMessage.id == message_id)
        .values(status=status, failure_reason=reason[:200])
        .execution_options(synchronize_session=False)
    )


def _to_send(ref: OutboundRef) -> list[uuid.UUID]:
    return [ref.id] if ref.status == "queued" else []

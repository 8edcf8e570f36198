"""How staff's words reach a community number: the channel and provider it last wrote through, and what fits."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.errors import Refused
from casecore.messaging.contacts import is_opted_out
from casecore.messaging.models import InboundMessage
from casecore.messaging.sms_length import measure_sms
from casecore.phones import is_business_scoped_id

# Messages to simulated numbers stay in the simulator, whatever the configured backend.
SIMULATOR = "simulator"


@dataclass(frozen=True)
class Route:
    """How a message reaches a number: the channel the family last wrote on and the backend that answers it."""

    channel: str
    backend: str


def family_route(session: Session, phone: str, sms_backend: str) -> Route:
    """WhatsApp when the number last wrote on WhatsApp, else SMS; the provider it wrote through, else sms_backend.

    A business-scoped id is reached on WhatsApp only, whatever its history.
    """
    last = session.execute(
        select(InboundMessage.channel, InboundMessage.provider).where(InboundMessage.phone == phone)
        .order_by(InboundMessage.received_at.desc()).limit(1)
    ).first()
    channel = "whatsapp" if is_business_scoped_id(phone) or (last is not None and last.channel == "whatsapp") else "sms"
    if last is not None and last.provider == SIMULATOR:
        return Route(channel, SIMULATOR)
    if sms_backend == "console" or last is None:
        return Route(channel, sms_backend)
    return Route(channel, last.provider)


def staff_text_to(session: Session, phone: str, body: str, sms_backend: str,
                  respell_sms: Callable[[str], str]) -> tuple[Route, str]:
    """How staff's words reach a community number, and the words as they go that way (respelt for SMS); Refused
    when the number opted out or the text would take more than MAX_SMS_SEGMENTS."""
    if is_opted_out(session, phone):
        raise Refused("opted_out")
    route = family_route(session, phone, sms_backend)
    wire = respell_sms(body) if route.channel == "sms" else body
    if route.channel == "sms" and measure_sms(wire).segments > MAX_SMS_SEGMENTS:
        raise Refused("message_too_long")
    return route, wire


# A case worker's message: what fits two SMS once respelt for GSM-7.
MESSAGE_LENGTH = 300
MAX_SMS_SEGMENTS = 2

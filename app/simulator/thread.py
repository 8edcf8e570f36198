"""Read side of the simulator: the simulated phone's SMS thread, from the inbox and the outbox."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Iterable

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import Session

from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.messaging.outbox import withheld_by_opt_out
from workers.inbound import SIMULATOR

THREAD_LIMIT = 100


@dataclass(frozen=True)
class ThreadMessage:
    """One bubble: sent by the simulated phone, or received by it."""

    id: uuid.UUID
    direction: str  # "sent" | "received"
    body: str
    created_at: datetime

    def as_json(self, zone: tzinfo) -> dict:
        """The bubble as the page's script reads it, with its time of day on the deployment's clocks (zone)."""
        return {"id": str(self.id), "direction": self.direction, "body": self.body,
                "created_at": self.created_at.isoformat(), "clock": self.created_at.astimezone(zone).strftime("%H:%M")}


def _received_by_phone():
    # Only what the simulator wrote: a real person's messages to or from the same number stay out of the page.
    # A message that a number which opted out will never get is not shown as received (the outbox's rule,
    # casecore.messaging.outbox).
    withheld = and_(OutboundMessage.status == "queued", withheld_by_opt_out())
    return and_(OutboundMessage.backend == SIMULATOR, OutboundMessage.status != "failed", not_(withheld))


def simulated_thread(session: Session, phone: str, since: datetime | None = None,
                     limit: int = THREAD_LIMIT) -> list[ThreadMessage]:
    """The simulator's messages from and to phone (E.164) since a time, oldest first, at most limit of the newest."""
    sent = select(InboundMessage.id, InboundMessage.body, InboundMessage.received_at.label("at")).where(
        InboundMessage.phone == phone, InboundMessage.provider == SIMULATOR)
    received = select(OutboundMessage.id, OutboundMessage.body, OutboundMessage.created_at.label("at")).where(
        OutboundMessage.to_phone == phone, _received_by_phone())
    if since is not None:
        sent = sent.where(InboundMessage.received_at >= since)
        received = received.where(OutboundMessage.created_at >= since)
    sent = sent.order_by(InboundMessage.received_at.desc()).limit(limit)
    received = received.order_by(OutboundMessage.created_at.desc()).limit(limit)
    messages = _bubbles(session.execute(sent), "sent") + _bubbles(session.execute(received), "received")
    return sorted(messages, key=_in_order)[-limit:]


def exchange(session: Session, inbound_id: uuid.UUID, outbound_ids: Iterable[uuid.UUID]) -> list[ThreadMessage]:
    """One message sent by the simulated phone and the replies written for it, in order."""
    sent = select(InboundMessage.id, InboundMessage.body, InboundMessage.received_at.label("at")).where(
        InboundMessage.id == inbound_id)
    ids = list(outbound_ids)
    messages = _bubbles(session.execute(sent), "sent")
    if ids:
        received = select(OutboundMessage.id, OutboundMessage.body, OutboundMessage.created_at.label("at")).where(
            OutboundMessage.id.in_(ids), _received_by_phone())
        messages += _bubbles(session.execute(received), "received")
    return sorted(messages, key=_in_order)


def _bubbles(rows, direction: str) -> list[ThreadMessage]:
    return [ThreadMessage(row.id, direction, row.body, row.at) for row in rows]


def _in_order(message: ThreadMessage):
    # A message and its reply can share a timestamp: what the phone sent comes first.
    return message.created_at, message.direction != "sent"

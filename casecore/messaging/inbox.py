"""The durable inbox: each SMS or WhatsApp message is stored as received before it is handled, once per provider id.

A message stays "received" until it has been handled, so a sweep finds those a dead job left behind. One whose
number was over its rate limit is stored "limited": kept as received, never handled nor swept.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.errors import InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.messaging.media import MediaDraft, record_media
from casecore.messaging.models import InboundMessage
from casecore.phones import is_business_scoped_id, sender_address

log = logging.getLogger(__name__)

# "limited": kept but never handled, its number having sent more than its rate limit allows.
RECEIVED, PROCESSED, LIMITED = "received", "processed", "limited"
STATUSES = (RECEIVED, PROCESSED, LIMITED)


# Built once per dialect so its compiled form is cached: a webhook stores one message per request, and building the
# statement anew cost a quarter of that (SQLAlchemy's cache key over inline values). A provider's redelivery hits
# the unique constraint and inserts nothing instead of raising, so no SELECT is needed before it.
_INSERT_INBOUND = {
    name: dialect.insert(InboundMessage.__table__)
    .on_conflict_do_nothing(index_elements=["provider", "provider_message_id"])
    .returning(InboundMessage.__table__.c.id)  # no row back means it was there already
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


@dataclass(frozen=True)
class InboundDraft:
    """A message as a channel adapter read it from the provider's payload."""

    provider: str
    provider_message_id: str
    channel: str
    phone: str
    to_address: str
    body: str
    received_at: datetime | None = None
    # Photos and files that came with it, and the keyed hash of the sender's number they are filed under.
    media: tuple[MediaDraft, ...] = ()
    sender_key: str = ""


@dataclass(frozen=True)
class StoredInbound:
    """The inbox row for a message; is_new is False when the provider delivered it before."""

    id: uuid.UUID
    is_new: bool


@dataclass(frozen=True)
class InboundSnapshot:
    """An inbox row, detached from the session."""

    id: uuid.UUID
    provider: str
    provider_message_id: str
    channel: str
    phone: str
    to_address: str
    body: str
    received_at: datetime
    status: str
    processed_at: datetime | None


def store_inbound(session: Session | Connection, draft: InboundDraft, limited: bool = False) -> StoredInbound:
    """Store a received message (and its media) once per (provider, provider message id); a redelivery adds nothing.

    limited stores it as LIMITED: kept, never handled (its number sent more than its rate limit allows).
    session: a unit of work's, or for a message without media a single_write connection (casecore.db): the row is
    written by one statement.
    """
    taxonomy.require(draft.channel, taxonomy.MESSAGE_CHANNELS, "message channel")
    if not draft.provider or not draft.provider_message_id:
        raise InvalidInput("an inbound message needs its provider and the provider's message id")
    if len(draft.to_address or "") > 64:
        raise InvalidInput("an inbound message's to_address has at most 64 characters")
    if draft.channel != "whatsapp" and is_business_scoped_id(draft.phone):
        raise InvalidInput("only a WhatsApp message comes from a business-scoped id")
    if draft.media and not isinstance(session, Session):
        raise TypeError("a message with media is stored in a unit of work: its media rows go in its transaction")
    inbound_id = uuid.uuid4()
    connection = session.connection() if isinstance(session, Session) else session
    inserted = connection.execute(_INSERT_INBOUND[connection.dialect.name], {
        "id": inbound_id, "provider": draft.provider, "provider_message_id": draft.provider_message_id,
        # E.164 (or a business-scoped id) without the "whatsapp:" prefix, so it matches linked numbers and opt-outs.
        "channel": draft.channel, "phone": sender_address(draft.phone), "to_address": draft.to_address or "",
        "body": draft.body or "", "received_at": draft.received_at or utcnow(),
        "status": LIMITED if limited else RECEIVED,
    }).first()
    if inserted is None:
        existing = connection.scalar(
            select(InboundMessage.id).where(
                InboundMessage.provider == draft.provider,
                InboundMessage.provider_message_id == draft.provider_message_id,
            )
        )
        return StoredInbound(existing, is_new=False)
    if draft.media:
        # In the same transaction: the message and what came with it are kept together or not at all.
        record_media(session, inbound_id, draft.media, draft.sender_key)
    log.info("inbound message %s stored (%s via %s, %d media)", inbound_id, draft.channel, draft.provider,
             len(draft.media))
    return StoredInbound(inbound_id, is_new=True)


def mark_processed(session: Session, inbound_id: str | uuid.UUID) -> bool:
    """Record that a message has been handled; True if it was still waiting."""
    key = parse_id(inbound_id, "inbound message")
    changed = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == key, InboundMessage.status == RECEIVED)
        .values(status=PROCESSED, processed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed and session.scalar(select(InboundMessage.id).where(InboundMessage.id == key)) is None:
        raise NotFound(f"inbound message {inbound_id} does not exist")
    return bool(changed)


def inbound_awaiting(session: Session, received_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Ids of messages received before received_before and not yet handled, oldest first."""
    return list(
        session.scalars(
            select(InboundMessage.id)
            .where(InboundMessage.status == RECEIVED, InboundMessage.received_at < received_before)
            .order_by(InboundMessage.received_at)
            .limit(limit)
        )
    )


def get_inbound(session: Session, inbound_id: str | uuid.UUID) -> InboundSnapshot:
    """The inbox row with this id; NotFound when there is none."""
    # populate_existing: mark_processed updates rows behind the session's back.
    message = session.get(InboundMessage, parse_id(inbound_id, "inbound message"), populate_existing=True)
    if message is None:
        raise NotFound(f"inbound message {inbound_id} does not exist")
    return InboundSnapshot(
        message.id, message.provider, message.provider_message_id, message.channel, message.phone,
        message.to_address, message.body, message.received_at, message.status, message.processed_at,
    )

"""Photos and files received with inbound messages: recorded with the message, fetched once, checked, kept.

An item is recorded "pending" in the same transaction as its message, so nothing received is lost; a worker then
fetches it and it ends "stored", "refused" (too big, a type not allowed, bytes that are not what was declared) or
"failed" (gone, refused to us, or too many tries). Attaching it to a case or a report is casecore.cases.media.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.errors import InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.messaging.models import InboundMedia, InboundMessage

log = logging.getLogger(__name__)

# Twilio sends at most 10 media with one message (providers §3f).
MAX_ITEMS = 10
# Tries at fetching one item (RQ's retries, then the scheduler's sweeps) before it is failed for good.
MAX_ATTEMPTS = 8
FINAL = ("stored", "refused", "failed")
# The event a handled message with media reports to its entry point, with the ids of the items to fetch.
MEDIA_RECEIVED = "media_received"


@dataclass(frozen=True)
class MediaDraft:
    """One item as the channel adapter read it: where the provider keeps it and the type it declared."""

    source_url: str
    declared_type: str


@dataclass(frozen=True)
class MediaToFetch:
    """What the fetching job needs: where to fetch from, through which provider, and how many tries so far."""

    id: uuid.UUID
    provider: str
    source_url: str
    declared_type: str
    attempts: int


@dataclass(frozen=True)
class StoredFile:
    """A file kept in the media store after its checks."""

    content_type: str
    size: int
    sha256: str
    storage_key: str


def record_media(
    session: Session, inbound_id: uuid.UUID, items: Sequence[MediaDraft], sender_key: str
) -> list[uuid.UUID]:
    """Record a message's items as pending, in its order; returns their ids (called with the inbox row's insert)."""
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"a message carries at most {MAX_ITEMS} media")
    if items and not 0 < len(sender_key or "") <= 64:
        raise InvalidInput("media need the sender's key (1 to 64 characters)")
    now = utcnow()
    ids = []
    for position, item in enumerate(items):
        if not item.source_url or len(item.source_url) > 1000:
            raise InvalidInput("a media URL has 1 to 1000 characters")
        row = InboundMedia(id=uuid.uuid4(), inbound_message_id=inbound_id, position=position,
                           source_url=item.source_url, declared_type=(item.declared_type or "")[:100],
                           sender_key=sender_key, status="pending", attempts=0, created_at=now)
        session.add(row)
        ids.append(row.id)
    session.flush()
    return ids


def pending_media(session: Session, inbound_id: str | uuid.UUID) -> list[uuid.UUID]:
    """Ids of a message's items still to fetch, in order."""
    key = parse_id(inbound_id, "inbound message")
    return list(session.scalars(
        select(InboundMedia.id)
        .where(InboundMedia.inbound_message_id == key, InboundMedia.status == "pending")
        .order_by(InboundMedia.position)
    ))


def media_of(session: Session, inbound_id: str | uuid.UUID) -> tuple[list[str], list[uuid.UUID]]:
    """A message's items in one query: the types they declared and the ids of those still to fetch, in order."""
    key = parse_id(inbound_id, "inbound message")
    rows = session.execute(
        select(InboundMedia.declared_type, InboundMedia.id, InboundMedia.status)
        .where(InboundMedia.inbound_message_id == key)
        .order_by(InboundMedia.position)
    ).all()
    return [row.declared_type for row in rows], [row.id for row in rows if row.status == "pending"]


def declared_types(session: Session, inbound_id: str | uuid.UUID) -> list[str]:
    """The types a message's items declared, in order (empty when it carried none)."""
    key = parse_id(inbound_id, "inbound message")
    return list(session.scalars(
        select(InboundMedia.declared_type)
        .where(InboundMedia.inbound_message_id == key)
        .order_by(InboundMedia.position)
    ))


def claim_media(session: Session, media_id: str | uuid.UUID) -> MediaToFetch | None:
    """Count one more try at fetching a pending item and return it; None when it is no longer pending."""
    key = parse_id(media_id, "media")
    row = session.execute(
        select(InboundMedia, InboundMessage.provider)
        .join(InboundMessage, InboundMessage.id == InboundMedia.inbound_message_id)
        .where(InboundMedia.id == key)
        .with_for_update(of=InboundMedia)
    ).first()
    if row is None:
        raise NotFound(f"media {media_id} does not exist")
    item, provider = row
    if item.status != "pending":
        return None
    item.attempts += 1
    session.flush()
    return MediaToFetch(item.id, provider, item.source_url, item.declared_type, item.attempts)


def finish_media(session: Session, media_id: uuid.UUID, status: str, reason: str | None = None,
                 stored: StoredFile | None = None) -> bool:
    """Record how fetching an item ended (stored with its file, or refused or failed with a reason code).

    True if the item was still pending; False when another run finished it first (its file is then not kept).
    """
    if status not in FINAL or (status == "stored") != (stored is not None):
        raise InvalidInput("an item ends stored with its file, or refused or failed with a reason")
    values: dict = {"status": status, "reason": (reason or None) and reason[:200]}
    if stored is not None:
        values.update(stored_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                      storage_key=stored.storage_key, stored_at=utcnow())
    changed = session.execute(
        update(InboundMedia)
        .where(InboundMedia.id == media_id, InboundMedia.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Ids and codes only: the item's URL names the provider account and message.
    log.info("media %s %s%s", media_id, status, f" ({reason})" if reason else "")
    return bool(changed)


def note_media_retry(session: Session, media_id: uuid.UUID, reason: str) -> None:
    """Keep why the last try failed on an item that stays pending for another try."""
    session.execute(
        update(InboundMedia)
        .where(InboundMedia.id == media_id, InboundMedia.status == "pending")
        .values(reason=reason[:200])
        .execution_options(synchronize_session=False)
    )


def media_awaiting_fetch(session: Session, created_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Ids of items still pending that were received before created_before, oldest first.

    Items of a message that was never handled because its number sent too many ("limited") are not fetched.
    """
    return list(session.scalars(
        select(InboundMedia.id)
        .join(InboundMessage, InboundMessage.id == InboundMedia.inbound_message_id)
        .where(InboundMedia.status == "pending", InboundMedia.created_at < created_before,
               InboundMessage.status != "limited")
        .order_by(InboundMedia.created_at)
        .limit(limit)
    ))

"""The outbox: each message is a row written before it is sent; write it once, claim it, record what happened."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.db import dialect_insert
from casecore.errors import InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.models import CommunityContact, OutboundMessage, utcnow
from casecore.phones import sender_phone
from casecore.sms_length import measure_sms

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
    channel: str = "sms"
    options: tuple[str, ...] | None = None


@dataclass(frozen=True)
class OutboundRef:
    """An outbox row written (is_new) or found by its purpose key, and its status."""

    id: uuid.UUID
    status: str
    is_new: bool


def queue_message(
    session: Session,
    *,
    purpose_key: str,
    to_phone: str,
    body: str,
    backend: str,
    channel: str = "sms",
    organisation_id: uuid.UUID | None = None,
    recipient_user_id: uuid.UUID | None = None,
    ignores_opt_out: bool = False,
    options: list[str] | tuple[str, ...] | None = None,
) -> OutboundRef:
    """Write a message to the outbox once per purpose key; a second call returns the row the first one wrote."""
    if not purpose_key or len(purpose_key) > 200:
        raise InvalidInput("a purpose key of 1 to 200 characters is required")
    taxonomy.require(channel, taxonomy.MESSAGE_CHANNELS, "message channel")
    if not body:
        raise InvalidInput("an outbound message needs a body")
    if options is not None and not all(isinstance(option, str) and option for option in options):
        raise InvalidInput("options must be non-empty strings")
    # Stored as E.164 so that an opt-out recorded for the number matches the row.
    phone = sender_phone(to_phone)
    message_id = uuid.uuid4()
    # The body is stored as it is sent, so measuring it here gives what the provider bills.
    size = measure_sms(body) if channel == "sms" else None
    inserted = session.execute(
        dialect_insert(session, OutboundMessage.__table__)
        .values(
            id=message_id, purpose_key=purpose_key, organisation_id=organisation_id,
            recipient_user_id=recipient_user_id, to_phone=phone, body=body, backend=backend, channel=channel,
            ignores_opt_out=ignores_opt_out, options=None if options is None else list(options),
            status="queued", attempts=0, created_at=utcnow(),
            encoding=size and size.encoding, segments=size and size.segments,
        )
        # A clash on the purpose key means another run wrote it: nothing inserted, no savepoint needed.
        .on_conflict_do_nothing(index_elements=["purpose_key"])
        .returning(OutboundMessage.__table__.c.id)
    ).first()
    if inserted is not None:
        return OutboundRef(message_id, "queued", is_new=True)
    existing = session.execute(
        select(OutboundMessage.id, OutboundMessage.status).where(OutboundMessage.purpose_key == purpose_key)
    ).one()
    return OutboundRef(existing.id, existing.status, is_new=False)


def withheld_by_opt_out():
    """SQL condition on OutboundMessage: its number opted out and it does not ignore opt-outs (it is never sent)."""
    return and_(
        OutboundMessage.ignores_opt_out.is_(False),
        exists().where(CommunityContact.phone == OutboundMessage.to_phone, CommunityContact.opted_out_at.is_not(None)),
    )


def claim_for_sending(session: Session, message_id: str | uuid.UUID) -> OutboundSnapshot | None:
    """Claim a queued message for sending and return it; None when taken, settled, or its number opted out.

    A message to a number that opted out is marked failed ("opted_out") unless it ignores opt-outs. One conditional
    UPDATE: of two jobs claiming the same message at once, exactly one gets it; the opt-out is checked in the same
    statement, and RETURNING hands back the row, so a claim is one round trip.
    """
    key = parse_id(message_id, "outbound message")
    opted_out = withheld_by_opt_out()
    row = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == key, OutboundMessage.status == "queued")
        .values(
            status=case((opted_out, "failed"), else_="sending"),
            failure_reason=case((opted_out, "opted_out"), else_=OutboundMessage.failure_reason),
            # A message never tried because of an opt-out has not been attempted.
            attempts=case((opted_out, OutboundMessage.attempts), else_=OutboundMessage.attempts + 1),
            claimed_at=utcnow(),
        )
        .returning(
            OutboundMessage.id, OutboundMessage.to_phone, OutboundMessage.body, OutboundMessage.backend,
            OutboundMessage.attempts, OutboundMessage.channel, OutboundMessage.options, OutboundMessage.status,
        )
        .execution_options(synchronize_session="fetch")
    ).first()
    if row is None:
        if session.scalar(select(OutboundMessage.id).where(OutboundMessage.id == key)) is None:
            raise NotFound(f"outbound message {message_id} does not exist")
        return None
    if row.status == "failed":
        log.info("outbound message %s not sent: its number opted out", row.id)
        return None
    options = None if row.options is None else tuple(row.options)
    return OutboundSnapshot(row.id, row.to_phone, row.body, row.backend, row.attempts, row.channel, options)


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

"""Outbox messages whose outcome is unknown (their send job died, or the provider's answer was lost): found,
settled from the provider's records or a delivery report, never sent twice."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.errors import NotFound
from casecore.ids import parse_id
from casecore.messaging.models import OutboundMessage
from casecore.phones import sender_address

log = logging.getLogger(__name__)

GAVE_UP_UNKNOWN = "outcome unknown: not sent again, to avoid sending it twice"
FOUND_ANOTHERS = "outcome unknown: the provider's record found is another message's; to be looked up again"


def mark_stale_claims_unknown(session: Session, claimed_before: datetime) -> int:
    """Messages claimed before claimed_before and never settled (their job died): their outcome becomes unknown.

    The job may have died before or after the provider took the message, so it is not simply queued again (that
    could send it twice): the provider is asked first (workers.sending.reconcile_one).
    """
    settled = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == "sending", OutboundMessage.claimed_at < claimed_before)
        .values(status="unknown", failure_reason="the send job stopped during the send")
        .execution_options(synchronize_session=False)
    ).rowcount
    if settled:
        log.warning("%d outbound message(s) claimed by a job that never finished: outcome unknown", settled)
    return settled


def messages_of_unknown_outcome(session: Session, claimed_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Ids of messages whose outcome is unknown, claimed before claimed_before, oldest claim first."""
    return list(session.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.status == "unknown", OutboundMessage.claimed_at < claimed_before)
        .order_by(OutboundMessage.claimed_at).limit(limit)
    ))


def settle_unknown(session: Session, message_id: str | uuid.UUID, found: bool | None,
                   provider_message_id: str | None = None, give_up_before: datetime | None = None) -> str:
    """Settle an unknown outcome from the provider's records; returns the message's status afterwards.

    found True: it was sent. False: the provider surely never took it, so it is queued again at once. None (the
    provider cannot tell): it stays unknown, waiting for a delivery report that names its number, until
    give_up_before passes its claim; then it is failed for good rather than risk sending it twice.
    """
    message = session.get(OutboundMessage, parse_id(message_id, "outbound message"), with_for_update=True)
    if message is None:
        raise NotFound(f"outbound message {message_id} does not exist")
    if message.status != "unknown":
        return message.status
    if found and provider_message_id and _held_by_another(session, message.backend, provider_message_id, message.id):
        # Two look-ups at once (two messages of one text to one number) found the one record: it is the other's.
        # Kept in doubt, the next look-up leaves that record out and finds this one's, or none.
        message.failure_reason = FOUND_ANOTHERS
    elif found:
        message.status, message.sent_at = "sent", utcnow()
        message.provider_message_id, message.failure_reason = provider_message_id, None
    elif found is False:
        message.status, message.next_attempt_at = "queued", None
        message.failure_reason = "not taken by the provider: sending again"
    elif give_up_before is not None and message.claimed_at is not None and message.claimed_at < give_up_before:
        message.status = "failed"
        message.failure_reason = GAVE_UP_UNKNOWN
    session.flush()
    log.info("outbound message %s: unknown outcome -> %s", message.id, message.status)
    return message.status


def adopt_report_for_unknown(session: Session, backend: str, phone: str, provider_message_id: str) -> bool:
    """A delivery report for an id we never recorded, to a number with a message of unknown outcome: that one.

    Also one failed after waiting in vain for such a report.

    The provider took the message (it reports on it), so it is marked sent with the provider's id; the oldest
    such message to the number is chosen. True when a message holds the id afterwards (this report's, or the same
    report delivered twice at once: the other copy's); False when none does and the number has none in doubt.
    """
    if _held_by_another(session, backend, provider_message_id):
        return True
    # One given up on after the wait is taken too: the report proves the provider had it after all.
    given_up = and_(OutboundMessage.status == "failed", OutboundMessage.failure_reason == GAVE_UP_UNKNOWN)
    message = session.scalars(
        select(OutboundMessage)
        .where(or_(OutboundMessage.status == "unknown", given_up), OutboundMessage.backend == backend,
               OutboundMessage.to_phone == sender_address(phone), OutboundMessage.provider_message_id.is_(None))
        .order_by(OutboundMessage.claimed_at).limit(1).with_for_update()
    ).first()
    if message is None:
        return False
    message.status, message.sent_at = "sent", utcnow()
    message.provider_message_id, message.failure_reason = provider_message_id, None
    session.flush()
    log.info("outbound message %s: outcome known from a delivery report", message.id)
    return True


def _held_by_another(session: Session, backend: str, provider_message_id: str,
                     message_id: uuid.UUID | None = None) -> bool:
    """Whether a message (other than message_id) already holds this provider id.

    Two settlements with one id (two look-ups that found the same record, one report delivered twice at once) take
    turns here, so the second sees the first's: on PostgreSQL through a lock on the id until the transaction ends
    (different rows would not wait on each other), on SQLite because writers already take turns.
    """
    if session.connection().dialect.name == "postgresql":
        key = func.hashtextextended(f"{backend} {provider_message_id}", 0)
        session.execute(select(func.pg_advisory_xact_lock(key)))
    holder = select(OutboundMessage.id).where(OutboundMessage.backend == backend,
                                              OutboundMessage.provider_message_id == provider_message_id)
    if message_id is not None:
        holder = holder.where(OutboundMessage.id != message_id)
    return session.scalar(holder.limit(1)) is not None

"""The outbox: each message is a row written before it is sent; write it once, claim it, record what happened."""
from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, nulls_last, or_, select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.db import dialect_insert
from casecore.errors import InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.messaging.contacts import opt_out
from casecore.messaging.models import CommunityContact, OutboundMessage
from casecore.messaging.sms_length import measure_sms
from casecore.phones import is_business_scoped_id, sender_address

log = logging.getLogger(__name__)

# After this many tries a message that keeps coming back "retry" is marked failed, so that a number AT will never
# reach (or an account left without credit) does not keep the queue busy forever: about 13 hours of tries.
MAX_SEND_ATTEMPTS = 20
RESULT_STATUSES = ("sent", "retry", "failed", "unknown")
# "unknown": a send was interrupted and the provider has not yet said whether it took the message; "held": a
# WhatsApp message waiting for the person to write (24-hour window); "rerouted": sent by SMS instead.
STATUSES = ("queued", "sending", "sent", "failed", "unknown", "held", "rerouted")
# Seconds before try n+1 after try n failed for a reason worth retrying; the last value repeats. Jitter spreads
# the messages a provider outage failed together, so they do not all come back at the same second.
BACKOFF_SECONDS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
BACKOFF_JITTER = 0.2
# Reasons the channel adapters give for a refusal about the recipient (Twilio errors 21610 and 63016, on a send
# or in a status callback): the number replied STOP, so every later message is withheld; a free-form WhatsApp
# message outside the 24-hour window (casecore.messaging.whatsapp_window sends it otherwise).
OPTED_OUT_REASON = "opted_out"
OUTSIDE_WINDOW_REASON = "outside_whatsapp_window"
# Our sender is over a rate limit (Twilio 63017, 63018): the message did not go, and goes later after a backoff
# (a refused send comes back "retry"; a status callback saying so queues the message again).
RATE_LIMITED_REASON = "rate_limited"


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
    content_sid: str | None = None
    purpose_key: str = ""
    claimed_at: datetime | None = None
    # The opt-out confirmation: a message sent in its place (casecore.messaging.whatsapp_window) must go too.
    ignores_opt_out: bool = False


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
    content_sid: str | None = None,
) -> OutboundRef:
    """Write a message to the outbox once per purpose key; a second call returns the row the first one wrote."""
    if not purpose_key or len(purpose_key) > 200:
        raise InvalidInput("a purpose key of 1 to 200 characters is required")
    taxonomy.require(channel, taxonomy.MESSAGE_CHANNELS, "message channel")
    if not body:
        raise InvalidInput("an outbound message needs a body")
    if options is not None and not all(isinstance(option, str) and option for option in options):
        raise InvalidInput("options must be non-empty strings")
    # Stored as E.164 (or the business-scoped id as it came) so that an opt-out recorded for the number matches.
    phone = sender_address(to_phone)
    if channel != "whatsapp" and is_business_scoped_id(phone):
        # Whoever wrote from a business-scoped id hid their number: WhatsApp is the only way to them.
        raise InvalidInput("a WhatsApp business-scoped id is reached on WhatsApp only, never by SMS")
    message_id = uuid.uuid4()
    # The body is stored as it is sent, so measuring it here gives what the provider bills.
    size = measure_sms(body) if channel == "sms" else None
    inserted = session.execute(
        dialect_insert(session, OutboundMessage.__table__)
        .values(
            id=message_id, purpose_key=purpose_key, organisation_id=organisation_id,
            recipient_user_id=recipient_user_id, to_phone=phone, body=body, backend=backend, channel=channel,
            ignores_opt_out=ignores_opt_out, options=None if options is None else list(options),
            content_sid=content_sid or None,
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


def claim_for_sending(session: Session, message_id: str | uuid.UUID,
                      now: datetime | None = None) -> OutboundSnapshot | None:
    """Claim a queued message that is due and return it; None when taken, settled, not due, or its number opted out.

    A message to a number that opted out is marked failed ("opted_out") unless it ignores opt-outs. One conditional
    UPDATE: of two jobs claiming the same message at once, exactly one gets it; the opt-out is checked in the same
    statement, and RETURNING hands back the row, so a claim is one round trip. A message waiting out its backoff
    is not due: a job run early leaves it for the sweep that finds it due.
    """
    key = parse_id(message_id, "outbound message")
    now = now or utcnow()
    rows = _claim(session, OutboundMessage.id == key, now)
    if not rows:
        if session.scalar(select(OutboundMessage.id).where(OutboundMessage.id == key)) is None:
            raise NotFound(f"outbound message {message_id} does not exist")
        return None
    return rows[0]


def claim_alike(session: Session, claimed: OutboundSnapshot, limit: int, now: datetime | None = None,
                candidates: int = 100) -> list[OutboundSnapshot]:
    """Claim up to limit more due SMS with the same backend and text as claimed, to other numbers, for one bulk call.

    Only plain SMS to community members (no options, no template), oldest first, among the next candidates due:
    bodies are sealed, so they are compared here rather than in SQL. Each is claimed by the same conditional
    UPDATE as claim_for_sending, so a message claimed here is skipped by its own job, and one another job claimed
    meanwhile is not taken twice. The candidates are not locked: a lock would make other jobs claiming their own
    row among them wait for this one, the conditional UPDATE is what keeps a row from being claimed twice.
    """
    now = now or utcnow()
    rows = session.execute(
        select(OutboundMessage.id, OutboundMessage.to_phone, OutboundMessage.body)
        .where(OutboundMessage.status == "queued", _due(now), OutboundMessage.backend == claimed.backend,
               OutboundMessage.channel == "sms", OutboundMessage.options.is_(None),
               OutboundMessage.content_sid.is_(None), OutboundMessage.recipient_user_id.is_(None),
               OutboundMessage.id != claimed.id)
        .order_by(OutboundMessage.created_at).limit(candidates)
    ).all()
    numbers, chosen = {claimed.to_phone}, []
    for row in rows:
        if len(chosen) < limit and row.body == claimed.body and row.to_phone not in numbers:
            numbers.add(row.to_phone)
            chosen.append(row.id)
    return _claim(session, OutboundMessage.id.in_(chosen), now) if chosen else []


def _due(now: datetime):
    return or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now)


def _claim(session: Session, which, now: datetime) -> list[OutboundSnapshot]:
    """Claim the queued, due messages which selects (one UPDATE ... RETURNING); those to an opted-out number are
    failed instead and left out."""
    opted_out = withheld_by_opt_out()
    rows = session.execute(
        update(OutboundMessage)
        .where(which, OutboundMessage.status == "queued", _due(now))
        .values(
            status=case((opted_out, "failed"), else_="sending"),
            failure_reason=case((opted_out, OPTED_OUT_REASON), else_=OutboundMessage.failure_reason),
            # A message never tried because of an opt-out has not been attempted.
            attempts=case((opted_out, OutboundMessage.attempts), else_=OutboundMessage.attempts + 1),
            claimed_at=now,
        )
        .returning(
            OutboundMessage.id, OutboundMessage.to_phone, OutboundMessage.body, OutboundMessage.backend,
            OutboundMessage.attempts, OutboundMessage.channel, OutboundMessage.options, OutboundMessage.status,
            OutboundMessage.content_sid, OutboundMessage.purpose_key, OutboundMessage.ignores_opt_out,
        )
        .execution_options(synchronize_session="fetch")
    ).all()
    claimed = []
    for row in rows:
        if row.status == "failed":
            log.info("outbound message %s not sent: its number opted out", row.id)
        else:
            claimed.append(_snapshot(row, now))
    return claimed


def _snapshot(row, claimed_at: datetime | None) -> OutboundSnapshot:
    options = None if row.options is None else tuple(row.options)
    return OutboundSnapshot(row.id, row.to_phone, row.body, row.backend, row.attempts, row.channel, options,
                            row.content_sid, row.purpose_key, claimed_at, row.ignores_opt_out)


def snapshot_in_status(session: Session, message_id: str | uuid.UUID, status: str) -> OutboundSnapshot | None:
    """A message in the given status, with the time of its last claim; None if it is in another status now."""
    row = session.execute(
        select(OutboundMessage.id, OutboundMessage.to_phone, OutboundMessage.body, OutboundMessage.backend,
               OutboundMessage.attempts, OutboundMessage.channel, OutboundMessage.options,
               OutboundMessage.content_sid, OutboundMessage.purpose_key, OutboundMessage.claimed_at,
               OutboundMessage.ignores_opt_out)
        .where(OutboundMessage.id == parse_id(message_id, "outbound message"), OutboundMessage.status == status)
    ).first()
    return None if row is None else _snapshot(row, row.claimed_at)


def provider_ids_in_use(session: Session, backend: str, since: datetime) -> frozenset[str]:
    """Provider ids already recorded on messages by this backend claimed since then (not candidates for another)."""
    return frozenset(session.scalars(
        select(OutboundMessage.provider_message_id)
        .where(OutboundMessage.backend == backend, OutboundMessage.provider_message_id.is_not(None),
               OutboundMessage.claimed_at >= since)
    ))


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try after attempts tries: the backoff step with jitter, or longer if asked."""
    step = BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]
    delay = step * random.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)
    # The provider's Retry-After is honoured, within the longest step: a wild value must not park a message.
    return max(delay, min(retry_after or 0.0, BACKOFF_SECONDS[-1]))


def record_send_result(
    session: Session,
    message_id: str | uuid.UUID,
    result_status: str,
    provider_message_id: str | None,
    reason: str | None,
    retry_after: float | None = None,
) -> str:
    """Store a backend's verdict (sent, retry, failed or unknown) and return the message's new status.

    A retry is queued again with its next try after a backoff; a failure because the number opted out at the
    provider (Twilio 21610) records the opt-out, so nothing else is sent to that number on any channel.
    """
    if result_status not in RESULT_STATUSES:
        raise InvalidInput(f"unknown send result {result_status!r}")
    message = session.get(OutboundMessage, parse_id(message_id, "outbound message"), with_for_update=True)
    if message is None:
        raise NotFound(f"outbound message {message_id} does not exist")
    if message.status in ("sent", "failed", "rerouted"):
        # Never turn a sent message back into a pending one, nor settle again what a reconciliation settled.
        return message.status
    if result_status == "sent":
        message.status = "sent"
        message.sent_at = utcnow()
        message.provider_message_id = provider_message_id
        message.failure_reason = None
    elif result_status == "failed":
        message.status = "failed"
        message.failure_reason = _short(reason or "failed")
        if reason == OPTED_OUT_REASON:
            opt_out(session, message.to_phone)
    elif result_status == "unknown":
        message.status = "unknown"
        message.failure_reason = _short(f"outcome unknown: {reason or 'no answer'}")
    elif message.attempts >= MAX_SEND_ATTEMPTS:
        message.status = "failed"
        message.failure_reason = _short(f"gave up after {message.attempts} attempts: {reason or 'retry'}")
    else:
        message.status = "queued"
        message.next_attempt_at = utcnow() + timedelta(seconds=retry_delay(message.attempts, retry_after))
        message.failure_reason = _short(reason or "retry")
    session.flush()
    # A message given up on is lost to its reader: a warning; a send or a later try is routine.
    level = logging.WARNING if message.status == "failed" else logging.INFO
    log.log(level, "outbound message %s: %s after %d attempt(s)", message.id, message.status, message.attempts)
    return message.status


def messages_awaiting_send(session: Session, created_before: datetime, now: datetime | None = None,
                           limit: int = 200, *, to_staff: bool | None = None) -> list[uuid.UUID]:
    """Ids of queued messages due now: a retry whose time has come, or a first try written before created_before;
    to_staff True or False for the alerts to staff members only, or for the other messages only (each has its own
    limit, so that a pile of replies never hides an alert)."""
    now = now or utcnow()
    due = or_(
        and_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.created_at < created_before),
        OutboundMessage.next_attempt_at <= now,
    )
    if to_staff is not None:
        due = and_(due, OutboundMessage.recipient_user_id.is_not(None) if to_staff
                   else OutboundMessage.recipient_user_id.is_(None))
    return list(
        session.scalars(
            select(OutboundMessage.id)
            .where(OutboundMessage.status == "queued", due)
            .order_by(OutboundMessage.created_at)
            .limit(limit)
        )
    )


def last_options_sent(session: Session, phone: str, channel: str = "whatsapp") -> tuple[str, ...]:
    """The option labels (quick-reply titles) of the last message sent to phone on channel; () when it had none."""
    options = session.scalar(
        select(OutboundMessage.options)
        .where(OutboundMessage.to_phone == sender_address(phone), OutboundMessage.channel == channel,
               OutboundMessage.status == "sent")
        .order_by(nulls_last(OutboundMessage.sent_at.desc()), OutboundMessage.created_at.desc())
        .limit(1)
    )
    return tuple(options or ())


def due_time(session: Session, message_id: str | uuid.UUID) -> datetime | None:
    """When a queued message may be tried again (None: at once)."""
    return session.scalar(select(OutboundMessage.next_attempt_at)
                          .where(OutboundMessage.id == parse_id(message_id, "outbound message")))


def _short(text: str) -> str:
    return text[:200]

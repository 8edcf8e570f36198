"""Delivering events to partners: a delivery claimed by one job at a time, its body masked by what the token may see
now, the receiver's answer recorded; retried with backoff until 24 hours after the event, then failed.

At least once: a delivery is marked delivered only once a receiver answered 2xx, and never posted again after that;
a post whose answer was lost (a timeout, a job killed during it) is posted again with the same id, which the
receiver dedupes by.
"""
from __future__ import annotations

import json
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.ids import parse_id
from casecore.partners.events import RESOURCE_OF, may_receive
from casecore.partners.models import ApiToken, EventDelivery, EventSubscription
from casecore.partners.resources import api_time, masked

log = logging.getLogger(__name__)

GIVE_UP_HOURS = 24
GIVE_UP_AFTER = timedelta(hours=GIVE_UP_HOURS)
# Seconds before try n+1: 10 s doubling up to an hour, with jitter so that the deliveries a receiver's outage failed
# together do not all come back at the same second.
BACKOFF_FIRST_SECONDS = 10
BACKOFF_LONGEST_SECONDS = 3600
BACKOFF_JITTER = 0.2
STATUSES = ("pending", "sending", "delivered", "failed")


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery, ready to post: where, with which secret, and the body as it goes."""

    id: uuid.UUID
    claim: uuid.UUID
    event_type: str
    occurred_at: datetime
    attempts: int
    url: str
    secret: str
    body: bytes


def event_body(delivery_id: uuid.UUID, event_type: str, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    """The JSON a receiver gets: the delivery id it dedupes by, the kind, when it happened, and the data."""
    body = {"id": str(delivery_id), "type": event_type, "occurred_at": api_time(occurred_at), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def retry_delay(attempts: int) -> float:
    """Seconds to wait after attempts failed tries: 10 s doubling to an hour, with jitter."""
    step = min(BACKOFF_FIRST_SECONDS * 2 ** (max(attempts, 1) - 1), BACKOFF_LONGEST_SECONDS)
    return step * random.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)


def claim_delivery(session: Session, delivery_id: str | uuid.UUID, now: datetime | None = None) -> Outgoing | None:
    """Claim a pending delivery that is due and return it to post; None when another job holds it, it is settled
    or not yet due, or when it may not go any more (its subscription ended, its token revoked or without the scope,
    24 hours passed): then it is failed, saying why.

    One conditional UPDATE: of two jobs claiming the same delivery at once, exactly one gets it.
    """
    key = parse_id(delivery_id, "event delivery")
    now = now or utcnow()
    claim = uuid.uuid4()
    row = session.execute(
        update(EventDelivery)
        .where(EventDelivery.id == key, EventDelivery.status == "pending",
               or_(EventDelivery.next_attempt_at.is_(None), EventDelivery.next_attempt_at <= now))
        .values(status="sending", claimed_at=now, claim=claim, attempts=EventDelivery.attempts + 1)
        .returning(EventDelivery.subscription_id, EventDelivery.event_type, EventDelivery.occurred_at,
                   EventDelivery.attempts, EventDelivery.data)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    subscription, token = session.execute(
        select(EventSubscription, ApiToken).join(ApiToken, ApiToken.id == EventSubscription.token_id)
        .where(EventSubscription.id == row.subscription_id)).one()
    scopes = token.scopes.split()
    refusal = ("the subscription ended" if subscription.ended_at is not None
               else "the token was revoked" if token.revoked_at is not None
               else "the token may no longer receive these events" if not may_receive(row.event_type, scopes)
               else f"gave up {GIVE_UP_HOURS} h after the event" if now >= row.occurred_at + GIVE_UP_AFTER
               else None)
    if refusal is not None:
        _settle(session, key, claim, status="failed", last_error=refusal, data=None, next_attempt_at=None)
        log.info("event delivery %s failed: %s", key, refusal)
        return None
    # Masked again by the token's scopes now: personal_data taken away since the event leaves those fields out.
    data = masked(row.data or {}, RESOURCE_OF[row.event_type], scopes)
    return Outgoing(key, claim, row.event_type, row.occurred_at, row.attempts, subscription.url, subscription.secret,
                    event_body(key, row.event_type, row.occurred_at, data))


def record_outcome(session: Session, outgoing: Outgoing, delivered: bool, reason: str | None = None,
                   now: datetime | None = None) -> tuple[str, datetime | None]:
    """Record what the receiver answered to the claim's post: delivered (2xx), or pending again after a backoff,
    or failed when the next try would fall past 24 hours after the event. Returns the status and the next try's time
    ("superseded" when the claim is no longer this job's: its job was taken for dead and another claimed it)."""
    now = now or utcnow()
    if delivered:
        status, due, values = "delivered", None, {"delivered_at": now, "last_error": None}
    else:
        due = now + timedelta(seconds=retry_delay(outgoing.attempts))
        if due >= outgoing.occurred_at + GIVE_UP_AFTER:
            status, due = "failed", None
            values = {"last_error": _short(f"gave up after {outgoing.attempts} tries: {reason or 'no answer'}")}
        else:
            status, values = "pending", {"next_attempt_at": due, "last_error": _short(reason or "no answer")}
    settled = status != "pending"
    if settled:
        values["data"] = None  # what it carried is no longer needed: personal data is kept no longer than that
    if not _settle(session, outgoing.id, outgoing.claim, status=status, **values):
        log.warning("event delivery %s: claim superseded, outcome (%s) not recorded", outgoing.id, status)
        return "superseded", None
    log.info("event delivery %s: %s after %d attempt(s)%s", outgoing.id, status, outgoing.attempts,
             f" ({reason})" if reason and not delivered else "")
    return status, due


def _settle(session: Session, delivery_id: uuid.UUID, claim: uuid.UUID, *, status: str, **values) -> bool:
    """Set the outcome of a claimed delivery, if the claim is still the one given (compare and set)."""
    return session.execute(
        update(EventDelivery)
        .where(EventDelivery.id == delivery_id, EventDelivery.claim == claim, EventDelivery.status == "sending")
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def release_stale_claims(session: Session, claimed_before: datetime) -> int:
    """Deliveries claimed before claimed_before and never settled (their job died, perhaps mid-post): due again
    at once. The receiver may have had the post: it dedupes by the delivery id."""
    released = session.execute(
        update(EventDelivery)
        .where(EventDelivery.status == "sending", EventDelivery.claimed_at < claimed_before)
        .values(status="pending", claim=None, next_attempt_at=None,
                last_error="the delivery job stopped during the post")
        .execution_options(synchronize_session=False)
    ).rowcount
    if released:
        log.warning("%d event deliveries claimed by a job that never finished: due again", released)
    return released


def give_up_expired(session: Session, now: datetime | None = None) -> int:
    """Pending deliveries of events more than 24 hours old (retries that never ran): failed, the last reason kept."""
    now = now or utcnow()
    failed = session.execute(
        update(EventDelivery)
        .where(EventDelivery.status == "pending", EventDelivery.occurred_at <= now - GIVE_UP_AFTER)
        .values(status="failed", data=None, claim=None, next_attempt_at=None,
                last_error=func.substr(literal(f"gave up {GIVE_UP_HOURS} h after the event; last: ")
                                       + func.coalesce(EventDelivery.last_error, "never tried"), 1, 200))
        .execution_options(synchronize_session=False)
    ).rowcount
    if failed:
        log.warning("%d event deliveries failed: not delivered within %d h", failed, GIVE_UP_HOURS)
    return failed


def deliveries_due(session: Session, now: datetime, first_tries_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Ids of pending deliveries due now: a retry whose time came (its scheduled job lost?), or one due at once (a
    first try, a dead job's claim released) written before first_tries_before whose job never ran (Redis was down
    at the commit)."""
    return list(session.scalars(
        select(EventDelivery.id)
        .where(EventDelivery.status == "pending",
               or_(EventDelivery.next_attempt_at <= now,
                   and_(EventDelivery.next_attempt_at.is_(None), EventDelivery.occurred_at < first_tries_before)))
        .order_by(EventDelivery.occurred_at).limit(limit)
    ))


def _short(text: str) -> str:
    return text[:200]

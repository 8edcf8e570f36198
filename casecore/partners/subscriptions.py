"""Partners' event subscriptions: a receiver URL, the kinds of events it wants, and the token whose scopes mask them.

Each subscription has its own signing secret, drawn here, shown once to whoever subscribes and kept sealed.
"""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.changes import CASE_OPENED, CASE_UPDATED, COMPLAINT_CREATED, KINDS, REPORT_CREATED
from casecore.errors import InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.partners.models import ApiToken, EventDelivery, EventSubscription
from casecore.partners.scopes import CASES_READ, COMPLAINTS_READ, EVENTS, REPORTS_READ
from casecore.people.models import Organisation

# The scope each kind needs beside `events`: the one that reads what it tells (complaints are focal-point data).
KIND_SCOPES = {REPORT_CREATED: REPORTS_READ, CASE_OPENED: CASES_READ, CASE_UPDATED: CASES_READ,
               COMPLAINT_CREATED: COMPLAINTS_READ}
SECRET_START = "whsec_"
MAX_URL_LENGTH = 2000
# Plain HTTP is for a receiver on this machine only (tests, a partner's local bridge): it carries personal data.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Subscribed:
    """A new subscription and its signing secret (the only time the secret is seen)."""

    id: uuid.UUID
    secret: str
    event_types: tuple[str, ...]


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription as `events list` shows it, with its deliveries counted by status (never its secret)."""

    id: uuid.UUID
    token_name: str
    organisation_slug: str
    url: str
    event_types: tuple[str, ...]
    created_at: datetime
    ended_at: datetime | None
    pending: int
    delivered: int
    failed: int


def parse_event_types(text: str) -> tuple[str, ...]:
    """Kinds written with commas or spaces, each one of casecore.changes.KINDS; InvalidInput names any other."""
    kinds = tuple(dict.fromkeys(part for part in re.split(r"[\s,]+", (text or "").strip()) if part))
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise InvalidInput(f"unknown event type(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}" if unknown
                           else f"give at least one event type of {', '.join(KINDS)}")
    return kinds


def check_url(url: str) -> str:
    """A receiver's URL: https, or http to this machine only; no user or password in it (InvalidInput else)."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidInput(f"give the receiver's URL (at most {MAX_URL_LENGTH} characters, no spaces)")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        raise InvalidInput("the receiver's URL cannot be read") from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidInput("the receiver's URL must start with https:// and name a host")
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise InvalidInput("the receiver's URL must use https (http only for 127.0.0.1 or localhost)")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("no user or password in the receiver's URL: each event is signed with the secret instead")
    if parts.fragment:
        raise InvalidInput("no #fragment in the receiver's URL")
    return url


def subscribe(session: Session, token_name: str, url: str, event_types: tuple[str, ...]) -> Subscribed:
    """Subscribe a token's receiver to some kinds of events; the token must be active with the events scope and the
    scope reading what each kind tells (KIND_SCOPES)."""
    url = check_url(url)
    kinds = parse_event_types(" ".join(event_types))
    token = session.scalar(select(ApiToken).where(ApiToken.name == token_name))
    if token is None or token.revoked_at is not None:
        raise NotFound(f"no active token named {token_name!r}")
    scopes = set(token.scopes.split())
    if EVENTS not in scopes:
        raise InvalidInput(f"token {token_name!r} needs the {EVENTS} scope to receive events")
    missing = sorted({f"{kind} needs {scope}" for kind, scope in KIND_SCOPES.items()
                      if kind in kinds and scope not in scopes})
    if missing:
        raise InvalidInput(f"token {token_name!r} may not receive these: {'; '.join(missing)}")
    secret = SECRET_START + secrets.token_urlsafe(32)
    subscription = EventSubscription(token_id=token.id, url=url, event_types=" ".join(kinds), secret=secret,
                                     created_at=utcnow())
    session.add(subscription)
    session.flush()
    return Subscribed(subscription.id, secret, kinds)


def unsubscribe(session: Session, subscription_id: str) -> None:
    """End a subscription at once: nothing more is written for it, and what waits to be sent is failed."""
    subscription = session.get(EventSubscription, parse_id(subscription_id, "subscription"))
    if subscription is None:
        raise NotFound(f"no subscription {subscription_id}")
    end_subscriptions(session, EventSubscription.id == subscription.id, "the subscription ended")


def end_subscriptions(session: Session, which, reason: str) -> None:
    """End the active subscriptions matching the condition which; their pending deliveries are failed with reason,
    their data dropped (a post in flight settles on its own; nothing else goes)."""
    ended = session.scalars(select(EventSubscription.id).where(which, EventSubscription.ended_at.is_(None))).all()
    if not ended:
        return
    session.execute(update(EventSubscription).where(EventSubscription.id.in_(ended))
                    .values(ended_at=utcnow()).execution_options(synchronize_session="fetch"))
    session.execute(update(EventDelivery)
                    .where(EventDelivery.subscription_id.in_(ended), EventDelivery.status == "pending")
                    .values(status="failed", data=None, next_attempt_at=None, last_error=reason)
                    .execution_options(synchronize_session=False))


def list_subscriptions(session: Session) -> list[SubscriptionRow]:
    """Every subscription, newest first, ended ones included, with its deliveries counted by status."""
    counts = (select(EventDelivery.subscription_id,
                     func.sum(case((EventDelivery.status.in_(("pending", "sending")), 1), else_=0)).label("pending"),
                     func.sum(case((EventDelivery.status == "delivered", 1), else_=0)).label("delivered"),
                     func.sum(case((EventDelivery.status == "failed", 1), else_=0)).label("failed"))
              .group_by(EventDelivery.subscription_id).subquery())
    rows = session.execute(
        select(EventSubscription, ApiToken.name, Organisation.slug, counts.c.pending, counts.c.delivered,
               counts.c.failed)
        .join(ApiToken, ApiToken.id == EventSubscription.token_id)
        .join(Organisation, Organisation.id == ApiToken.organisation_id)
        .outerjoin(counts, counts.c.subscription_id == EventSubscription.id)
        .order_by(EventSubscription.created_at.desc(), EventSubscription.id))
    return [SubscriptionRow(sub.id, name, slug, shown_url(sub.url), tuple(sub.event_types.split()), sub.created_at,
                            sub.ended_at, int(pending or 0), int(delivered or 0), int(failed or 0))
            for sub, name, slug, pending, delivered, failed in rows]


def shown_url(url: str) -> str:
    """A receiver's URL as it may be shown or logged: without its query, which may hold a key of the partner's."""
    parts = urlsplit(url)
    return parts._replace(query="…" if parts.query else "").geturl()

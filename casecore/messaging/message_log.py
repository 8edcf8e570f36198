"""Read-side message log for operators: outbound and inbound messages as metadata only, never a body."""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Integer,
    String,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import UTCDateTime
from casecore.errors import InvalidInput
from casecore.messaging.inbox import STATUSES as INBOUND_STATUSES
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.messaging.outbox import STATUSES as OUTBOUND_STATUSES
from casecore.phones import hide_business_scoped_ids, mask_phone

PAGE_SIZE = 50
DIRECTIONS = ("in", "out")
# "delivered" and "read" are what the provider reported ("delivered" also matches a message read, which was
# delivered first); "failed" matches a failed send and a failed delivery alike.
DELIVERY_STATUSES = ("delivered", "read")
STATUSES = OUTBOUND_STATUSES + DELIVERY_STATUSES + INBOUND_STATUSES
# Roles that may read the message log.
MESSAGE_LOG_ROLES = frozenset({"admin"})
# Provider reasons are free text: a number quoted in one is masked like every other number on the page.
_NUMBER = re.compile(r"\+?\d[\d ]{6,}\d")


def may_view_message_log(role: str) -> bool:
    """Whether a staff member with this role may see the message log."""
    return role in MESSAGE_LOG_ROLES


@dataclass(frozen=True)
class LogFilter:
    """What the log is narrowed to; None means any."""

    direction: str | None = None
    channel: str | None = None
    status: str | None = None
    page: int = 1


@dataclass(frozen=True)
class LogRow:
    """One message as the log shows it: metadata only, the number already masked."""

    id: uuid.UUID
    at: datetime
    direction: str
    channel: str
    via: str
    phone_masked: str
    status: str
    delivery_status: str | None
    delivery_reason: str | None
    attempts: int | None
    failure_reason: str | None
    encoding: str | None
    segments: int | None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class LogSummary:
    """What is pending and why: outbound messages not yet sent or failed, inbound ones not yet processed."""

    queued: int
    sending: int
    failed: int
    unprocessed: int
    top_failure_reasons: list[tuple[str, int]]
    unknown: int = 0
    held: int = 0
    waiting_to_retry: int = 0  # queued after a failed try, waiting out a backoff
    next_retry_at: datetime | None = None
    top_retry_reasons: list[tuple[str, int]] = ()


@dataclass(frozen=True)
class LogPage:
    """One page of the log, newest first."""

    rows: list[LogRow]
    page: int
    has_next: bool


def parse_filter(args: Mapping[str, str]) -> LogFilter:
    """A LogFilter from query-string values; InvalidInput naming the bad value otherwise. Empty means any."""
    direction = _choice(args, "direction", DIRECTIONS)
    channel = _choice(args, "channel", taxonomy.MESSAGE_CHANNELS)
    status = _choice(args, "status", STATUSES)
    raw_page = (args.get("page") or "1").strip()
    if not raw_page.isascii() or not raw_page.isdigit() or int(raw_page) < 1 or len(raw_page) > 6:
        raise InvalidInput("page must be a whole number from 1")
    if direction == "in" and status in OUTBOUND_STATUSES + DELIVERY_STATUSES:
        raise InvalidInput(f"status {status} is for outbound messages only")
    if direction == "out" and status in INBOUND_STATUSES:
        raise InvalidInput(f"status {status} is for inbound messages only")
    return LogFilter(direction, channel, status, int(raw_page))


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of: {', '.join(allowed)}")
    return value


def message_log(session: Session, wanted: LogFilter, page_size: int = PAGE_SIZE) -> LogPage:
    """Outbound and inbound messages merged, newest first, one page of page_size rows."""
    parts = []
    if wanted.direction in (None, "out") and wanted.status not in INBOUND_STATUSES:
        parts.append(_outbound(wanted))
    if wanted.direction in (None, "in") and wanted.status in (None,) + INBOUND_STATUSES:
        parts.append(_inbound(wanted))
    if not parts:
        return LogPage([], wanted.page, False)
    merged = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    # One row more than a page says whether there is a next page without counting the whole log.
    rows = session.execute(
        select(merged)
        .order_by(merged.c.at.desc(), merged.c.id.desc())
        .limit(page_size + 1)
        .offset((wanted.page - 1) * page_size)
    ).all()
    return LogPage([_row(r) for r in rows[:page_size]], wanted.page, len(rows) > page_size)


def _outbound(wanted: LogFilter):
    query = select(
        OutboundMessage.id.label("id"),
        OutboundMessage.created_at.label("at"),
        literal("out", String).label("direction"),
        OutboundMessage.channel.label("channel"),
        OutboundMessage.backend.label("via"),
        OutboundMessage.to_phone.label("phone"),
        OutboundMessage.status.label("status"),
        OutboundMessage.delivery_status.label("delivery_status"),
        OutboundMessage.delivery_reason.label("delivery_reason"),
        OutboundMessage.attempts.label("attempts"),
        OutboundMessage.failure_reason.label("failure_reason"),
        OutboundMessage.encoding.label("encoding"),
        OutboundMessage.segments.label("segments"),
        OutboundMessage.next_attempt_at.label("next_attempt_at"),
    )
    if wanted.channel:
        query = query.where(OutboundMessage.channel == wanted.channel)
    if wanted.status == "failed":
        query = query.where(or_(OutboundMessage.status == "failed", OutboundMessage.delivery_status == "failed"))
    elif wanted.status == "delivered":
        query = query.where(OutboundMessage.delivery_status.in_(DELIVERY_STATUSES))
    elif wanted.status == "read":
        query = query.where(OutboundMessage.delivery_status == "read")
    elif wanted.status:
        query = query.where(OutboundMessage.status == wanted.status)
    return query


def _inbound(wanted: LogFilter):
    no_text = cast(null(), String)
    no_number = cast(null(), Integer)
    query = select(
        InboundMessage.id.label("id"),
        InboundMessage.received_at.label("at"),
        literal("in", String).label("direction"),
        InboundMessage.channel.label("channel"),
        InboundMessage.provider.label("via"),
        InboundMessage.phone.label("phone"),
        InboundMessage.status.label("status"),
        no_text.label("delivery_status"),
        no_text.label("delivery_reason"),
        no_number.label("attempts"),
        no_text.label("failure_reason"),
        no_text.label("encoding"),
        no_number.label("segments"),
        cast(null(), UTCDateTime).label("next_attempt_at"),
    )
    if wanted.channel:
        query = query.where(InboundMessage.channel == wanted.channel)
    if wanted.status:
        query = query.where(InboundMessage.status == wanted.status)
    return query


def _row(r) -> LogRow:
    return LogRow(
        # The union keeps each column's type (Uuid, UTCDateTime), so values come back converted on every database.
        id=r.id,
        at=r.at,
        direction=r.direction,
        channel=r.channel,
        via=r.via,
        phone_masked=mask_phone(r.phone),
        status=r.status,
        delivery_status=r.delivery_status,
        delivery_reason=scrub_reason(r.delivery_reason),
        attempts=r.attempts,
        failure_reason=scrub_reason(r.failure_reason),
        encoding=r.encoding,
        segments=r.segments,
        next_attempt_at=r.next_attempt_at if r.status == "queued" else None,
    )


def scrub_reason(reason: str | None) -> str | None:
    """A provider's reason with any phone number or WhatsApp business-scoped id in it masked."""
    if not reason:
        return reason
    # Ids first: the digits of one must not be masked as a number of its own.
    return _NUMBER.sub(lambda m: mask_phone("+" + re.sub(r"\D", "", m.group())), hide_business_scoped_ids(reason))


def message_log_summary(session: Session, reasons: int = 5) -> LogSummary:
    """Counts of what is pending or failed, and the commonest reasons for failure."""
    counts = dict(
        session.execute(
            select(OutboundMessage.status, func.count())
            .where(OutboundMessage.status.in_(("queued", "sending", "failed", "unknown", "held")))
            .group_by(OutboundMessage.status)
        ).all()
    )
    unprocessed = session.scalar(
        select(func.count()).select_from(InboundMessage).where(InboundMessage.status == "received")
    )
    top = session.execute(
        select(OutboundMessage.failure_reason, func.count().label("n"))
        .where(OutboundMessage.status == "failed")
        .group_by(OutboundMessage.failure_reason)
        .order_by(func.count().desc(), OutboundMessage.failure_reason)
        .limit(reasons)
    ).all()
    retrying = OutboundMessage.status == "queued", OutboundMessage.next_attempt_at.is_not(None)
    waiting, next_retry_at = session.execute(
        select(func.count(), func.min(OutboundMessage.next_attempt_at)).where(*retrying)
    ).one()
    # Why messages wait: the provider's reason on their last try (throttled, gateway error, no connection...).
    retry_reasons = session.execute(
        select(OutboundMessage.failure_reason, func.count().label("n")).where(*retrying)
        .group_by(OutboundMessage.failure_reason)
        .order_by(func.count().desc(), OutboundMessage.failure_reason)
        .limit(reasons)
    ).all()
    return LogSummary(
        queued=counts.get("queued", 0),
        sending=counts.get("sending", 0),
        failed=counts.get("failed", 0),
        unprocessed=unprocessed or 0,
        top_failure_reasons=[(scrub_reason(reason) or "", n) for reason, n in top],
        unknown=counts.get("unknown", 0),
        held=counts.get("held", 0),
        waiting_to_retry=waiting or 0,
        next_retry_at=next_retry_at,
        top_retry_reasons=[(scrub_reason(reason) or "", n) for reason, n in retry_reasons],
    )

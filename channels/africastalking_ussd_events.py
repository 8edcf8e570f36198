"""Africa's Talking USSD end-of-session notifications (providers §1): how a session ended, read tolerantly."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Mapping

from channels.inbound import MAX_MESSAGE_ID, clean_body

KNOWN_STATUSES = ("Incomplete", "Success", "Failed")
MAX_STATUS = 16
MAX_ERROR = 200
MAX_CURRENCY = 8
# Integer columns are 32-bit on PostgreSQL; a larger count is garbage, not a session.
MAX_INT = 2**31 - 1
# Numeric(12, 4) holds amounts below 10^8.
MAX_COST = Decimal(10) ** 8


class InvalidUssdEvent(ValueError):
    """The posted form is not an end-of-session notification we can record; the message says what is wrong."""


@dataclass(frozen=True)
class UssdSessionEnd:
    """How one USSD session ended. phone and input_path are personal data: use them, never store or log them."""

    session_id: str
    service_code: str | None
    network_code: str | None
    phone: str | None
    status: str
    cost_amount: Decimal | None
    cost_currency: str | None
    duration_ms: int | None
    hops: int | None
    input_path: str | None
    last_screen_started_with: str | None
    error_message: str | None
    ended_at: datetime | None

    @property
    def step_count(self) -> int:
        """How many inputs the person gave: `1*1` is two, an empty path none."""
        return len(self.input_path.split("*")) if self.input_path else 0


def parse_ussd_event(form: Mapping[str, str]) -> UssdSessionEnd:
    """Read AT's end-of-session form; only sessionId and status are required, garbled optional fields become None."""
    session_id = _text(form, "sessionId", MAX_MESSAGE_ID + 1)
    status = _text(form, "status")
    if not session_id:
        raise InvalidUssdEvent("missing sessionId")
    if len(session_id) > MAX_MESSAGE_ID:
        raise InvalidUssdEvent("sessionId too long")
    if not status:
        raise InvalidUssdEvent("missing status")
    amount, currency = parse_cost(form.get("cost"))
    return UssdSessionEnd(
        session_id=session_id,
        service_code=_text(form, "serviceCode"),
        network_code=_text(form, "networkCode", 16),
        phone=_text(form, "phoneNumber"),
        # Statuses beyond the three documented are kept as opaque text.
        status=status[:MAX_STATUS],
        cost_amount=amount,
        cost_currency=currency,
        duration_ms=_count(form.get("durationInMillis")),
        hops=_count(form.get("hopsCount")),
        input_path=form.get("input") or None,
        last_screen_started_with=_screen_kind(form.get("lastAppResponse")),
        error_message=_text(form, "errorMessage", MAX_ERROR),
        ended_at=parse_event_date(form.get("date")),
    )


def parse_cost(raw: str | None) -> tuple[Decimal | None, str | None]:
    """`KES 0.10` as (Decimal("0.10"), "KES"); a bare number has no currency; a garbled part is None."""
    parts = (raw or "").split()
    if not parts or len(parts) > 2:
        return None, None
    currency = None
    if len(parts) == 2:
        code = parts.pop(0).upper()
        currency = code if code.isascii() and code.isalpha() and len(code) <= MAX_CURRENCY else None
    try:
        amount = Decimal(parts[0])
    except InvalidOperation:
        return None, currency
    if not amount.is_finite() or amount < 0 or amount >= MAX_COST:
        return None, currency
    return amount, currency


def parse_event_date(raw: str | None) -> datetime | None:
    """AT's `date` (yyyy-MM-dd HH:mm:ss, no zone given: read as UTC); None when missing or garbled."""
    try:
        parsed = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _text(form: Mapping[str, str], name: str, limit: int = 64) -> str | None:
    value = clean_body(form.get(name) or "")[:limit].strip()
    return value or None


def _count(raw: str | None) -> int | None:
    value = (raw or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number <= MAX_INT else None


def _screen_kind(raw: str | None) -> str | None:
    # Only whether the last screen waited for input (CON) or closed (END): its text may echo a person's answers.
    head = (raw or "").lstrip()[:3]
    return head if head in ("CON", "END") else None

"""The signature every event carries: `X-Relais-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
keyed with the subscription's secret, in the manner of Stripe's webhooks (the time inside the signed text, so a
captured request cannot be replayed later with a new time)."""
from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Relais-Signature"
DELIVERY_HEADER = "X-Relais-Delivery"
EVENT_HEADER = "X-Relais-Event"
# How far a receiver should accept the signed time from its own clock, as the README advises.
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The X-Relais-Signature value for body sent at timestamp (Unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def verify(secret: str, body: bytes, header: str, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether header signs body with secret at a time within tolerance seconds of now (what a receiver checks)."""
    parts = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), _digest(secret, body, timestamp))


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()

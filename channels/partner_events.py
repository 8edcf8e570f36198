"""Posting one signed event to a partner's receiver: 2xx is delivered, anything else (another status, a redirect, a
timeout, no connection) is worth another try. What went wrong is said by kind, never with the URL (which may hold
a key of the partner's) nor anything the receiver answered."""
from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from casecore.partners.signing import DELIVERY_HEADER, EVENT_HEADER, HEADER, sign
from channels.http import never_sent

USER_AGENT = "Relais-Events/1"
# A receiver that does not even accept the connection this fast is down; the read may take the setting's time.
CONNECT_TIMEOUT = 3.05


@dataclass(frozen=True)
class PostOutcome:
    """Whether the receiver took the event (2xx), and if not, why, in a few words."""

    delivered: bool
    reason: str | None = None


def post_event(url: str, body: bytes, *, secret: str, delivery_id: str, event_type: str, timeout: float,
               now: float | None = None) -> PostOutcome:
    """POST body to url, signed with secret at now (Unix time); redirects are not followed (a receiver moved is
    resubscribed, never followed to wherever a redirect points)."""
    timestamp = int(time.time() if now is None else now)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, HEADER: sign(secret, body, timestamp),
               DELIVERY_HEADER: delivery_id, EVENT_HEADER: event_type}
    try:
        # stream: the answer's body is never read, so a receiver answering at length costs nothing.
        with requests.post(url, data=body, headers=headers, timeout=(min(CONNECT_TIMEOUT, timeout), timeout),
                           allow_redirects=False, stream=True) as response:
            status = response.status_code
    except requests.Timeout as exc:
        return PostOutcome(False, "no connection (timeout)" if never_sent(exc) else "timeout waiting for the answer")
    except requests.ConnectionError as exc:
        return PostOutcome(False, "no connection" if never_sent(exc) else "connection lost")
    except requests.RequestException as exc:
        return PostOutcome(False, type(exc).__name__)
    if 200 <= status < 300:
        return PostOutcome(True)
    return PostOutcome(False, f"HTTP {status}")

"""What the HTTP backends share: one POST with a timeout that never raises, and reasons without numbers."""
from __future__ import annotations

import logging
import re
from typing import Any

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from channels.sms.base import SendResult

log = logging.getLogger(__name__)

# Anything that looks like a phone number is cut out of reasons, which end up in the database and the web view.
_NUMBER = re.compile(r"\+?\d[\d ]{5,}\d")


def post_or_retry(provider: str, url: str, timeout: float, session: requests.Session | None = None,
                  **kwargs: Any) -> requests.Response | SendResult:
    """POST to a provider: its response; retry when the request surely never reached it; unknown when it may have.

    A connection refused or not made in time means the provider never saw the request; a read timeout or a
    connection dropped after the request went out leaves the outcome unknown, and sending again could send twice.
    """
    try:
        post = session.post if session is not None else requests.post
        return post(url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        if never_sent(exc):
            log.warning("%s: no connection (%s)", provider, exc.__class__.__name__)
            return SendResult.retry(f"no connection ({exc.__class__.__name__})")
        if isinstance(exc, requests.Timeout):
            log.warning("%s: no answer within %ss", provider, timeout)
            return SendResult.unknown("timeout")
        log.warning("%s: request failed (%s)", provider, exc.__class__.__name__)
        return SendResult.unknown(f"connection error ({exc.__class__.__name__})")


def never_sent(exc: requests.RequestException) -> bool:
    """Whether the request failed before any of it reached the provider (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause: BaseException | None = exc
    while cause is not None:
        reason = getattr(cause, "reason", None)  # urllib3's MaxRetryError keeps the real error here
        if isinstance(cause, (NewConnectionError, NameResolutionError)) or isinstance(
                reason, (NewConnectionError, NameResolutionError)):
            return True
        cause = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else cause.__cause__
    return False


def retry_after(headers: object) -> float | None:
    """Seconds from an HTTP Retry-After header given in seconds (the date form is rare from APIs); None if absent."""
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(0.0, min(float(raw), 3600.0)) if raw is not None else None
    except (TypeError, ValueError):
        return None


def without_numbers(text: str) -> str:
    """A provider's message made safe to store: numbers replaced, 150 characters at most."""
    return _NUMBER.sub("<number>", text)[:150]

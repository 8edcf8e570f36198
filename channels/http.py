"""What every HTTP client of a provider needs: telling a request never sent from one that may have been taken,
and reading a Retry-After."""
from __future__ import annotations

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError


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

"""What the HTTP backends share: one POST with a timeout that never raises, and reasons without numbers."""
from __future__ import annotations

import logging
import re
from typing import Any

import requests

from casecore.phones import hide_business_scoped_ids
from channels.http import never_sent
from channels.sms.base import SendResult

log = logging.getLogger(__name__)

# Anything that looks like a phone number is cut out of reasons, which end up in the database and the web view; so
# is a WhatsApp business-scoped id (casecore.phones), which may hold few digits.
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


def without_numbers(text: str) -> str:
    """A provider's message made safe to store: numbers and business-scoped ids replaced, 150 characters at most."""
    return _NUMBER.sub("<number>", hide_business_scoped_ids(text, "<id>"))[:150]

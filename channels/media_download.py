"""Fetching a file a provider keeps for us: one streamed GET with a timeout and a hard cap on the bytes read.

The result says what to do next rather than raising: keep the bytes, refuse the file (too big: trying again
would not change it), fail it (gone, or refused to us) or try again later (no answer, the provider overloaded).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)

Outcome = Literal["ok", "refused", "failed", "retry"]
CHUNK = 64 * 1024
# Twilio answers with one redirect to its storage; a chain longer than this is not Twilio.
MAX_REDIRECTS = 5
# The timeout bounds each wait for bytes; a sender trickling a file in also gets this many timeouts in all.
TOTAL_TIMEOUTS = 6


@dataclass(frozen=True)
class Download:
    """What fetching a file gave: its bytes when ok, else a short reason code (never the URL)."""

    outcome: Outcome
    data: bytes = b""
    reason: str = ""


def download(url: str, *, auth: tuple[str, str] | None, timeout: float, max_bytes: int) -> Download:
    """GET url (following redirects) with Basic auth when given, reading at most max_bytes of the body.

    requests drops the Authorization header itself when a redirect leads to another host or port, so the
    provider's credentials never reach its storage host.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        return Download("failed", reason="bad_url")
    deadline = time.monotonic() + timeout * TOTAL_TIMEOUTS
    with requests.Session() as http:
        http.max_redirects = MAX_REDIRECTS
        try:
            with http.get(url, auth=auth, timeout=timeout, stream=True) as response:
                return _read(response, max_bytes, deadline)
        except requests.TooManyRedirects:
            return Download("failed", reason="too_many_redirects")
        except requests.Timeout:
            return Download("retry", reason="timeout")
        except requests.RequestException as exc:
            # A connection refused or cut, or a read that timed out mid-body (requests reports it so).
            log.warning("media download failed (%s)", exc.__class__.__name__)
            return Download("retry", reason="connection_error")


def _read(response: requests.Response, max_bytes: int, deadline: float) -> Download:
    status = response.status_code
    if status == 429 or status >= 500:
        return Download("retry", reason=f"http_{status}")
    if status in (401, 403):
        return Download("failed", reason="unauthorized")
    if status in (404, 410):
        return Download("failed", reason="not_found")
    if status != 200:
        return Download("failed", reason=f"http_{status}")
    declared_length = _length(response.headers.get("Content-Length"))
    if declared_length is not None and declared_length > max_bytes:
        return Download("refused", reason="too_big")  # said up front: nothing is read
    chunks, total = [], 0
    for chunk in response.iter_content(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            # Stopped here, whatever the header said: the cap holds for a body without one, or with a false one.
            return Download("refused", reason="too_big")
        if time.monotonic() > deadline:
            return Download("retry", reason="too_slow")
        chunks.append(chunk)
    return Download("ok", data=b"".join(chunks))


def _length(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None  # a garbled header is ignored; the streamed count still caps the body

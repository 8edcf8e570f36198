"""Fetching a file a provider keeps for us: one streamed GET with a timeout and a hard cap on the bytes read, from
the provider's hosts only.

The result says what to do next rather than raising: keep the bytes, refuse the file (too big: trying again
would not change it), fail it (gone, refused to us, or on a host we do not fetch from) or try again later (no
answer, the provider overloaded).

A MediaUrl comes in a request anyone could forge but for its signature, and leads through redirects: each hop's host
must be one the deployment names (HostRule), and must not resolve to a loopback, private, link-local or otherwise
internal address (this process must not be made to read the network it runs in). The address is checked when the
hop is made; a name that resolves differently a moment later (DNS rebinding) is not caught.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

log = logging.getLogger(__name__)

Outcome = Literal["ok", "refused", "failed", "retry"]
CHUNK = 64 * 1024
# Twilio answers with one redirect to its storage; a chain longer than this is not Twilio.
MAX_REDIRECTS = 5
# A host that did not resolve: the download is tried again later.
UNRESOLVED = "unresolved"
# The timeout bounds each wait for bytes; a sender trickling a file in also gets this many timeouts in all.
TOTAL_TIMEOUTS = 6


@dataclass(frozen=True)
class Download:
    """What fetching a file gave: its bytes when ok, else a short reason code (never the URL)."""

    outcome: Outcome
    data: bytes = b""
    reason: str = ""


@dataclass(frozen=True)
class HostRule:
    """The hosts a download may reach: names, or `*.domain` for a domain's subdomains; internal addresses only
    when allow_private (a development machine, whose fakes listen on 127.0.0.1)."""

    names: tuple[str, ...]
    allow_private: bool = False

    @classmethod
    def parse(cls, raw: str, *also: str, allow_private: bool = False) -> HostRule:
        """From a comma-separated list (MEDIA_HOSTS) and these hosts besides."""
        names = [name.strip().lower().rstrip(".") for name in [*raw.split(","), *also]]
        return cls(tuple(name for name in names if name), allow_private)

    def refusal(self, url: str) -> str | None:
        """Why url may not be fetched (a reason code), or None. The host is read as the HTTP client will read it
        (urllib3), and a URL the parsers could read differently (a backslash, credentials, spaces) is refused."""
        origin = url_origin(url)
        if origin is None:
            return "bad_url"
        _scheme, host, port = origin
        if not any(host == name or (name.startswith("*.") and host.endswith(name[1:])) for name in self.names):
            return "host_not_allowed"
        if self.allow_private:
            return None
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
        except (OSError, UnicodeError):
            return UNRESOLVED  # tried again later: a name that does not resolve now may tomorrow
        if any(_internal(address) for address in addresses):
            return "internal_address"
        return None


def url_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL as urllib3 reads it, or None for one not to fetch: not http(s), no
    host, credentials in it, or characters parsers disagree on (backslashes, spaces, control characters)."""
    if any(ch in url for ch in "\\ \t\r\n") or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = parse_url(url)
    except LocationParseError:
        return None
    if parts.scheme not in ("http", "https") or not parts.host or parts.auth:
        return None
    host = parts.host.lower().rstrip(".").strip("[]")
    if (urlsplit(url).hostname or "").rstrip(".") != host:
        return None  # the standard library reads another host: do not guess which one is right
    return parts.scheme, host, parts.port or (443 if parts.scheme == "https" else 80)


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def download(url: str, *, auth: tuple[str, str] | None, timeout: float, max_bytes: int,
             hosts: HostRule) -> Download:
    """GET url with Basic auth when given, following redirects to allowed hosts only, reading at most max_bytes of
    the body. The credentials never follow a redirect to another host or port (the provider's storage host)."""
    deadline = time.monotonic() + timeout * TOTAL_TIMEOUTS
    with requests.Session() as http:
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                refused = hosts.refusal(url)
                if refused == UNRESOLVED:
                    return Download("retry", reason=UNRESOLVED)
                if refused is not None:
                    log.warning("media download refused: %s", refused)  # never the URL: it may carry a token
                    return Download("failed", reason=refused)
                with http.get(url, auth=auth, timeout=timeout, stream=True, allow_redirects=False) as response:
                    if not response.is_redirect:
                        return _read(response, max_bytes, deadline)
                    following = urljoin(url, response.headers.get("Location", ""))
                if url_origin(following) != url_origin(url):
                    auth = None
                url = following
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

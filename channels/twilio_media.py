"""Twilio media (providers §3f): MediaUrl{N} is fetched with the account's Basic auth, following the redirect to
Twilio's storage, from the Twilio API host and the media hosts the deployment names only (MEDIA_HOSTS)."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from channels.media_download import Download, HostRule, download, url_origin

log = logging.getLogger(__name__)

PROVIDER = "twilio"


def fetch_twilio_media(url: str, *, account_sid: str, auth_token: str, api_url: str, timeout: float,
                       max_bytes: int, media_hosts: str, allow_private: bool = False) -> Download:
    """Download one Twilio media item; the credentials go only to the Twilio API host (api_url's), and nothing is
    read from another host than that one and media_hosts (`*.twiliocdn.com,...`)."""
    auth = None
    if _same_origin(url, api_url) and account_sid and auth_token:
        auth = (account_sid, auth_token)
    else:
        # Never hand the Auth Token to a host that is not Twilio's API (one of the media hosts: no credentials).
        log.warning("media URL is not on the Twilio API host: fetched without credentials")
    hosts = HostRule.parse(media_hosts, urlsplit(api_url).hostname or "", allow_private=allow_private)
    return download(url, auth=auth, timeout=timeout, max_bytes=max_bytes, hosts=hosts)


def _same_origin(url: str, base: str) -> bool:
    # Read as the HTTP client reads it: a URL parsers disagree on is never the API's.
    origin = url_origin(url)
    return origin is not None and origin == url_origin(base)

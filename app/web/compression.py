"""Gzip for the web view's pages, JSON and CSV, for phones on 2G (the triage queue: 99 kB, 11.5 kB gzipped).
Never for the provider webhooks (tiny replies; a USSD step is latency-critical), stored files, or the static files,
which are compressed once at start-up (static_files.py)."""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

from app.web.paths import URL_PREFIX

# Below this a gzip header and the time spent are not worth the bytes saved.
MIN_BYTES = 500
LEVEL = 6
COMPRESSIBLE = frozenset({"text/html", "text/css", "text/csv", "text/plain", "application/json",
                          "text/javascript", "application/javascript"})
_WEBHOOKS = f"{URL_PREFIX}/"


def compress(response: Response) -> Response:
    """The response gzipped when the client accepts it and it is text worth compressing; otherwise as it was."""
    if request.path.startswith(_WEBHOOKS):  # first, and all a webhook's reply ever costs here
        return response
    if (request.endpoint == "static" or response.direct_passthrough or response.is_streamed
            or response.status_code < 200 or response.status_code in (204, 304)
            or "Content-Encoding" in response.headers or response.mimetype not in COMPRESSIBLE
            or "no-transform" in response.headers.get("Cache-Control", "")):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    # The same URL answers gzipped or not: a cache between must keep both.
    response.vary.add("Accept-Encoding")
    if not request.accept_encodings["gzip"] or _cross_site():
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def _cross_site() -> bool:
    # BREACH: a page made elsewhere could make the browser ask for ours many times with words of its choosing and
    # read the compressed sizes to guess the CSRF token or a child's details. Only a request the browser says came
    # from the site itself (or typed, bookmarked) is compressed: an older phone's browser that says nothing may be
    # sending another site's requests, with the session cookie (no SameSite either), so it gets the page as is.
    return request.headers.get("Sec-Fetch-Site") not in ("same-origin", "none")


def init_app(app: Flask) -> None:
    """Compress the web view's answers (registered first, so it runs after every other after_request hook)."""
    app.after_request(compress)

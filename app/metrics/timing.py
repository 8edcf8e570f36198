"""Timing each provider webhook call around the whole application (raw routes and Flask views alike), by the
route's fixed name and the status code: one histogram observation per call, nothing for other requests."""
from __future__ import annotations

from time import perf_counter
from typing import Callable, Iterable

from flask import Flask

from app.metrics.instruments import WEBHOOK_SECONDS
from app.web.paths import BLUEPRINT, URL_PREFIX

# A path under the webhooks' prefix that no route serves (a 404 or 405): one label for all of them.
UNKNOWN_ENDPOINT = "unknown"
_PREFIX = f"{URL_PREFIX}/"


def webhook_endpoints(app: Flask) -> dict[str, str]:
    """Each webhook route's path and its name (the view's name, without the blueprint's)."""
    return {rule.rule: rule.endpoint.removeprefix(f"{BLUEPRINT}.") for rule in app.url_map.iter_rules()
            if rule.rule.startswith(_PREFIX)}


class WebhookTimer:
    """WSGI middleware observing WEBHOOK_SECONDS for every request under the webhooks' prefix."""

    def __init__(self, wsgi_app: Callable, endpoints: dict[str, str]) -> None:
        self.wsgi_app = wsgi_app
        self.endpoints = endpoints
        # (endpoint, status line) -> the histogram's child: labels() costs as much as the observation.
        self._children: dict[tuple[str, str], object] = {}

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(_PREFIX):
            return self.wsgi_app(environ, start_response)
        started = perf_counter()
        status = "500"  # what the server answers when the application raises

        def timed_start_response(status_line: str, headers, *exc_info):
            nonlocal status
            status = status_line
            return start_response(status_line, headers, *exc_info)  # exc_info only when given, as WSGI servers do

        try:
            return self.wsgi_app(environ, timed_start_response)
        finally:
            self._child(self.endpoints.get(path, UNKNOWN_ENDPOINT), status).observe(perf_counter() - started)

    def _child(self, endpoint: str, status: str):
        child = self._children.get((endpoint, status))
        if child is None:
            code = status[:3]
            # Only a code a server can send: the label's values stay a small fixed set.
            child = WEBHOOK_SECONDS.labels(endpoint, code if code.isdigit() and len(code) == 3 else "other")
            self._children[(endpoint, status)] = child
        return child

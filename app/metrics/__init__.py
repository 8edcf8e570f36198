"""Prometheus metrics (docs/metrics.md): counters kept by the web processes (webhook latencies, USSD steps, logins)
and readings of the database and Redis taken at each scrape of GET /metrics. May import app.web and the layers
below."""
from __future__ import annotations

from flask import Flask

from app.metrics.access import MetricsAccess
from app.metrics.exposition import PATH, scrape_handler
from app.metrics.timing import WebhookTimer, webhook_endpoints
from settings import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Serve /metrics on a raw route and time the webhooks; after every blueprint is registered. ValueError naming
    the setting when METRICS_ALLOW or METRICS_TOKEN is malformed."""
    access = MetricsAccess.from_settings(settings)
    app.raw_routes[("GET", PATH)] = scrape_handler(access)
    app.wsgi_app = WebhookTimer(app.wsgi_app, webhook_endpoints(app))

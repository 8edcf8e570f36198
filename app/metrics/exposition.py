"""GET /metrics: this host's counters (every gunicorn worker's, summed, in multiprocess mode) and the readings of the
database and Redis, in Prometheus's text format, to the addresses and the token allowed."""
from __future__ import annotations

import logging
import os
from itertools import chain
from typing import Iterator

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from app.metrics.access import MetricsAccess
from app.metrics.readings import Readings
from app.runtime import runtime
from app.web.dispatch import PlainAnswer

log = logging.getLogger(__name__)

PATH = "/metrics"
# The text format's content type (prometheus_client's CONTENT_TYPE_PLAIN_0_0_4; the raw route adds the charset).
MIMETYPE = "text/plain; version=0.0.4"
# Set before prometheus_client is first imported (gunicorn.conf.py): counters are then kept in files there, one per
# process, and summed here.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Scrape:
    """What one scrape shows: the counters, then the readings."""

    def __init__(self, readings: Readings, multiproc_dir: str | None) -> None:
        self.readings, self.multiproc_dir = readings, multiproc_dir

    def collect(self) -> Iterator[Metric]:
        if self.multiproc_dir:
            counters = MultiProcessCollector(None, path=self.multiproc_dir).collect()
        else:
            counters = REGISTRY.collect()  # one process (make run's single worker, the tests): its own values
        return chain(counters, self.readings.collect())


def scrape_handler(access: MetricsAccess):
    """The raw route's handler (app.web.dispatch): the metrics, or a 403 saying why not."""
    def answer(environ: dict) -> PlainAnswer:
        # Behind ProxyFix, REMOTE_ADDR is the forwarded client's and the connection's own is kept aside: both count.
        peer = (environ.get("werkzeug.proxy_fix.orig") or {}).get("REMOTE_ADDR")
        refused = access.refusal(environ.get("REMOTE_ADDR") or "", environ.get("HTTP_AUTHORIZATION") or "", peer)
        if refused is not None:
            return PlainAnswer(refused, 403)
        try:
            body = generate_latest(Scrape(Readings(runtime()), os.environ.get(MULTIPROC_ENV)))
        except Exception:
            log.exception("metrics could not be gathered")
            return PlainAnswer("Service unavailable: the metrics could not be gathered", 503)
        return PlainAnswer(body.decode("utf-8"), mimetype=MIMETYPE)
    return answer

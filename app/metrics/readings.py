"""What /metrics reads at scrape time: the backlogs in the database (casecore.monitoring) and the job queues in Redis.

Each source is read on its own (a savepoint each, statements cut after STATEMENT_TIMEOUT_MS on PostgreSQL): one
that fails is left out of the answer and shows as relais_scrape_source_up{source} 0, never as an error page.
"""
from __future__ import annotations

import logging
from functools import partial
from time import perf_counter
from typing import Callable, Iterable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.worker_registration import WORKERS_BY_QUEUE_KEY
from sqlalchemy.orm import Session

from bootstrap import Runtime
from casecore import monitoring
from casecore.base import utcnow
from workers.queueing import PRIORITIES, queue_name

log = logging.getLogger(__name__)

# Prometheus waits 10 s for a scrape by default: each statement gets a fraction of it.
STATEMENT_TIMEOUT_MS = 2000
DATABASE_SOURCES = ("inbox", "outbox", "handoffs", "deadlines", "urgent_alerts")
REDIS_SOURCES = ("queues",)
SOURCES = DATABASE_SOURCES + REDIS_SOURCES
# The urgent alert delays given as quantiles of the last URGENT_WINDOW (1: the longest).
QUANTILES = (0.5, 0.9, 0.99, 1.0)


class Readings:
    """A Prometheus collector reading every source anew at each scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("relais_scrape_source_up", "Whether this source could be read for this scrape "
                               "(1) or not (0: its metrics are missing from the answer).", labels=["source"])
        took = GaugeMetricFamily("relais_scrape_source_duration_seconds", "Time taken to read this source.",
                                 labels=["source"])
        done: set[str] = set()

        def read(source: str, families: Callable[[], Iterable[Metric]]) -> list[Metric]:
            started, ok, found = perf_counter(), True, []
            try:
                found = list(families())
            except Exception as exc:  # a source down must not take the others with it
                log.warning("metrics: %s not read: %s", source, exc.__class__.__name__)
                ok = False
            up.add_metric([source], 1 if ok else 0)
            took.add_metric([source], perf_counter() - started)
            done.add(source)
            return found

        yield from self._database(read)
        for source in DATABASE_SOURCES:
            if source not in done:  # no connection at all
                up.add_metric([source], 0)
        yield from read("queues", self._queues)
        yield up
        yield took

    def _database(self, read) -> Iterator[Metric]:
        now = utcnow()
        settings = self.runtime.settings
        readers = {
            "inbox": lambda session: _inbox(session, now),
            "outbox": lambda session: _outbox(session, now),
            "handoffs": _handoffs,
            "deadlines": lambda session: _deadlines(session, now, settings.DEADLINE_WARN_FRACTION),
            "urgent_alerts": lambda session: _urgent_alerts(session, now),
        }
        try:
            with self.runtime.unit_of_work(read_only=True) as session:
                monitoring.limit_statement_time(session, STATEMENT_TIMEOUT_MS)
                for source in DATABASE_SOURCES:
                    yield from read(source, partial(_in_savepoint, session, readers[source]))
        except Exception as exc:  # no connection (or no engine: a bad DATABASE_URL): every database source is down
            log.warning("metrics: database not reached: %s", exc.__class__.__name__)

    def _queues(self) -> list[Metric]:
        """Jobs waiting, live workers and failed jobs of each RQ queue, in two round trips."""
        redis = self.runtime.redis
        names = {priority: queue_name(self.runtime.settings.QUEUE_NAME, priority) for priority in PRIORITIES}
        pipe = redis.pipeline(transaction=False)
        for name in names.values():
            pipe.llen(Queue.redis_queue_namespace_prefix + name)
            pipe.smembers(WORKERS_BY_QUEUE_KEY % name)
            pipe.zcard(FailedJobRegistry.key_template.format(name))
        replies = pipe.execute()
        waiting, registered, failed = replies[0::3], replies[1::3], replies[2::3]
        # A worker's own key expires when its heartbeat stops: a killed worker stays in the set until RQ cleans it.
        pipe = redis.pipeline(transaction=False)
        for keys in registered:
            for key in keys:
                pipe.exists(key)
        alive = iter(pipe.execute())
        jobs = GaugeMetricFamily("relais_queue_jobs", "Jobs waiting on each RQ queue.", labels=["queue"])
        workers = GaugeMetricFamily("relais_queue_workers", "Live RQ workers listening on each queue.",
                                    labels=["queue"])
        failures = GaugeMetricFamily("relais_queue_failed_jobs", "Jobs in each queue's failed registry (kept "
                                     "7 days).", labels=["queue"])
        for priority, n_waiting, keys, n_failed in zip(PRIORITIES, waiting, registered, failed, strict=True):
            jobs.add_metric([priority], n_waiting)
            workers.add_metric([priority], sum(1 for _ in keys if next(alive)))
            failures.add_metric([priority], n_failed)
        return [jobs, workers, failures]


def _in_savepoint(session: Session, reader: Callable[[Session], list[Metric]]) -> list[Metric]:
    """A source's reading in a savepoint of its own: one cancelled statement leaves the others' transaction usable."""
    with session.begin_nested():
        return reader(session)


def _age(now, then) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _inbox(session: Session, now) -> list[Metric]:
    waiting = monitoring.inbox_waiting(session)
    return [_gauge("relais_inbox_waiting_messages", "Inbound SMS and WhatsApp messages stored and not yet handled "
                   "by a worker.", waiting.count),
            _gauge("relais_inbox_oldest_waiting_age_seconds", "Age of the oldest inbound message not yet handled "
                   "(0: none waits).", _age(now, waiting.oldest))]


def _outbox(session: Session, now) -> list[Metric]:
    messages = GaugeMetricFamily("relais_outbox_messages", "Outbox messages not sent, by status (queued: to send "
                                 "or waiting to retry; sending: claimed by a job; unknown: outcome not known; failed: "
                                 "given up; held: WhatsApp waiting for the person).", labels=["status"])
    for status, count in monitoring.outbox_by_status(session).items():
        messages.add_metric([status], count)
    return [messages,
            _gauge("relais_outbox_oldest_queued_age_seconds", "Age of the oldest message still queued for sending "
                   "(0: none).", _age(now, monitoring.oldest_queued_outbound(session)))]


def _handoffs(session: Session) -> list[Metric]:
    handoffs = GaugeMetricFamily("relais_primero_handoffs", "Hand-offs to CPIMS+/Primero not sent, by status "
                                 "(waiting: to send or waiting to retry; failed: given up).", labels=["status"])
    for status, count in monitoring.handoffs_by_status(session).items():
        handoffs.add_metric([status], count)
    return [handoffs]


def _deadlines(session: Session, now, warn_fraction: float) -> list[Metric]:
    figures = monitoring.deadline_figures(session, now, warn_fraction)
    due = GaugeMetricFamily("relais_deadline_alerts_due", "Deadline alerts whose time has come but not yet written "
                            "(warning: to the case worker; overdue: to the supervisor); stays near 0 while the "
                            "scheduler and a worker run.", labels=["stage"])
    due.add_metric(["warning"], figures.warnings_due)
    due.add_metric(["overdue"], figures.overdue_alerts_due)
    return [due, _gauge("relais_deadlines_overdue", "Open case and report deadlines past their date.",
                        figures.overdue)]


def _urgent_alerts(session: Session, now) -> list[Metric]:
    found = monitoring.urgent_alerts(session, now)
    hours = int(monitoring.URGENT_WINDOW.total_seconds() // 3600)
    reports = GaugeMetricFamily("relais_urgent_reports_recent", f"Urgent reports received in the last {hours} h, "
                                "by whether a supervisor's alert about them was sent.", labels=["alert"])
    reports.add_metric(["sent"], len(found.delays))
    reports.add_metric(["unsent"], len(found.unsent_since))
    delay = GaugeMetricFamily("relais_urgent_alert_delay_seconds", f"Time from an urgent report to its first "
                              f"supervisor alert sent, over the urgent reports of the last {hours} h (quantile 1: the "
                              "longest; absent when none was sent).", labels=["quantile"])
    for q in QUANTILES if found.delays else ():
        delay.add_metric([f"{q:g}"], _quantile(found.delays, q))
    oldest = found.unsent_since[0] if found.unsent_since else None
    return [reports, delay,
            _gauge("relais_urgent_alert_oldest_unsent_age_seconds", f"Age of the oldest urgent report of the last "
                   f"{hours} h whose supervisor alert is not sent yet (0: none).", _age(now, oldest))]


def _quantile(ordered: list[float], q: float) -> float:
    """The nearest-rank quantile of a sorted, non-empty list."""
    rank = max(1, -(-int(q * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]

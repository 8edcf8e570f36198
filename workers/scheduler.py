"""The scheduler process: every few seconds, enqueue again the work a Redis outage or a crash left behind.

Run with `python -m workers.scheduler` (add `--once` for a single sweep). Several copies are harmless: job ids
are deterministic and a message is claimed by one send job at a time.
"""
from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

import redis

import logs
from bootstrap import Runtime, bootstrap, configure_logging
from casecore.base import utcnow
from casecore.complaints.alerts import complaints_awaiting_alert
from casecore.form_once import forget_old_forms
from casecore.handoff.follow import handoffs_to_follow
from casecore.handoff.queue import handoffs_due, is_paused
from casecore.handoff.queue import mark_stale_claims_unknown as mark_stale_handoffs_unknown
from casecore.handoff.routing import messages_to_note, records_to_sync
from casecore.messaging.inbox import inbound_awaiting
from casecore.messaging.media import media_awaiting_fetch
from casecore.messaging.outbox import messages_awaiting_send
from casecore.messaging.unknown_outcomes import mark_stale_claims_unknown, messages_of_unknown_outcome
from casecore.partners.deliveries import deliveries_due, give_up_expired, release_stale_claims
from casecore.reports.alerts import reports_awaiting_alert
from dialogs.state import StoreUnavailable
from workers.complaints import find_complaints_to_alert
from workers.deadlines import find_deadlines_to_alert
from workers.handoff import find_stale_after
from workers.heartbeats import SCHEDULER, Heartbeat
from workers.inbound import end_expired_dialogues
from workers.indicators import organisations_to_refresh
from workers.queueing import (
    enqueue_alert_send,
    enqueue_complaint_alert,
    enqueue_complaint_deadline_alert,
    enqueue_deadline_alert,
    enqueue_event_delivery,
    enqueue_family_note,
    enqueue_handoff,
    enqueue_inbound,
    enqueue_indicators,
    enqueue_media,
    enqueue_poll,
    enqueue_reconcile,
    enqueue_record_sync,
    enqueue_report_alert,
    enqueue_retention,
    enqueue_send,
)

log = logging.getLogger(__name__)
# The daily retention purge: marked in Redis when enqueued, so several schedulers enqueue it once a day.
RETENTION_MARK = "relais:retention:enqueued"
RETENTION_EVERY_SECONDS = 24 * 3600

# A queued message younger than this is most likely still in the hands of its first send job.
OUTBOX_SWEEP_AFTER_SECONDS = 300
# A send job holds its claim for a few provider calls (PROVIDER_TIMEOUT each; three at most, for a Twilio quick
# reply); a claim this old belongs to a job that died. A slow job that still finishes is fine: its verdict is
# recorded on the row all the same.
STALE_CLAIM_SECONDS = 120
# A send whose outcome is unknown is looked up at the provider once the provider has surely recorded it.
RECONCILE_AFTER_SECONDS = 60
# An event delivery's job is stopped by RQ after EVENT_TIMEOUT_SECONDS (60): a claim twice that old is a dead job's.
STALE_EVENT_CLAIM_SECONDS = 120
# Handed-over cases read back from Primero in one call (its `per` allows 1,000; a URL of 100 ids stays short).
POLL_BATCH = 100


def run_once(runtime: Runtime, now: datetime | None = None) -> int:
    """Enqueue what waits too long (alerts, inbound messages, sends) and deadline alerts, close idle dialogues;
    returns jobs queued."""
    now = now or utcnow()
    settings = runtime.settings
    with runtime.unit_of_work() as session:
        report_ids = reports_awaiting_alert(session, now - timedelta(seconds=settings.ALERT_SWEEP_AFTER_SECONDS))
        mark_stale_claims_unknown(session, now - timedelta(seconds=STALE_CLAIM_SECONDS))
        send_before = now - timedelta(seconds=OUTBOX_SWEEP_AFTER_SECONDS)
        alert_ids = messages_awaiting_send(session, send_before, now, to_staff=True)
        message_ids = messages_awaiting_send(session, send_before, now, to_staff=False)
        unknown_ids = messages_of_unknown_outcome(session, now - timedelta(seconds=RECONCILE_AFTER_SECONDS))
        inbound_ids = inbound_awaiting(session, now - timedelta(seconds=settings.ALERT_SWEEP_AFTER_SECONDS))
        # Photos and files whose fetching job was lost or ran out of RQ's retries (each item has MAX_ATTEMPTS).
        media_ids = media_awaiting_fetch(session, now - timedelta(seconds=settings.ALERT_SWEEP_AFTER_SECONDS))
        # Deadlines whose warning time or date passed without their alert (and new reports' assignment dates).
        deadline_ids = find_deadlines_to_alert(runtime, session, now)
        # Complaints whose alerts were never written (Redis was down), and complaints' dates due an alert.
        complaint_ids = complaints_awaiting_alert(
            session, now - timedelta(seconds=settings.ALERT_SWEEP_AFTER_SECONDS))
        complaint_deadline_ids = find_complaints_to_alert(runtime, session, now)
        forget_old_forms(session, now)
        handoff_ids, follow_ids, note_ids, record_ids = _handoff_work(runtime, session, now)
        indicator_ids = _indicators_due(runtime, session)
        delivery_ids = _event_deliveries(session, now, settings.ALERT_SWEEP_AFTER_SECONDS)
    retention_days = _retention_due(runtime, now)
    # Dialogues closed now have their polite last message written here and sent at once.
    try:
        message_ids += end_expired_dialogues(runtime)
    except StoreUnavailable as exc:
        log.warning("idle dialogues not closed: the dialog store is unavailable (%s)", exc)
    work = [(enqueue_report_alert, report_id) for report_id in report_ids]
    work += [(enqueue_inbound, inbound_id) for inbound_id in inbound_ids]
    work += [(enqueue_alert_send, message_id) for message_id in alert_ids]
    work += [(enqueue_send, message_id) for message_id in message_ids]
    work += [(enqueue_reconcile, message_id) for message_id in unknown_ids]
    work += [(enqueue_media, media_id) for media_id in media_ids]
    work += [(enqueue_deadline_alert, deadline_id) for deadline_id in deadline_ids]
    work += [(enqueue_complaint_alert, complaint_id) for complaint_id in complaint_ids]
    work += [(enqueue_complaint_deadline_alert, complaint_id) for complaint_id in complaint_deadline_ids]
    work += [(enqueue_handoff, handoff_id) for handoff_id in handoff_ids]
    work += [(enqueue_family_note, event_id) for event_id in note_ids]
    work += [(enqueue_record_sync, handoff_id) for handoff_id in record_ids]
    work += [(enqueue_indicators, organisation_id) for organisation_id in indicator_ids]
    work += [(enqueue_event_delivery, delivery_id) for delivery_id in delivery_ids]
    work += [(_marking_retention(runtime), day) for day in retention_days]
    # Read back in batches: one Primero call per batch (its id filter), not one per case.
    work += [(enqueue_poll, [str(i) for i in follow_ids[start:start + POLL_BATCH]])
             for start in range(0, len(follow_ids), POLL_BATCH)]
    queued = 0
    for enqueue, item_id in work:
        if not enqueue(runtime.queue, item_id):
            # Redis is down: each further try would only wait for its own connection timeout.
            break
        queued += 1
    if work:
        log.info("sweep: %d report(s), %d inbound and %d outbound message(s) waiting, %d of unknown outcome, "
                 "%d media to fetch, %d deadline(s) to alert, %d complaint alert(s), %d hand-off(s) to send and %d "
                 "to read back, %d event deliveries, %d in the queue", len(report_ids), len(inbound_ids),
                 len(alert_ids) + len(message_ids), len(unknown_ids), len(media_ids), len(deadline_ids),
                 len(complaint_ids) + len(complaint_deadline_ids), len(handoff_ids), len(follow_ids),
                 len(delivery_ids), queued)
    return queued


def _event_deliveries(session, now: datetime, sweep_after_seconds: int) -> list:
    """Event deliveries to post: claims of dead jobs released, those past 24 hours failed, then the due ones (a
    retry whose scheduled job Redis lost, a first try whose job was never enqueued)."""
    release_stale_claims(session, now - timedelta(seconds=STALE_EVENT_CLAIM_SECONDS))
    give_up_expired(session, now)
    return deliveries_due(session, now, now - timedelta(seconds=sweep_after_seconds))


def _handoff_work(runtime: Runtime, session, now: datetime) -> tuple[list, list, list, list]:
    """Hand-offs to send (due retries, unknown outcomes, rows whose job was lost), open cases to read back, family
    messages to add to their Primero cases, and case records changed since Primero got them."""
    settings = runtime.settings
    if not runtime.primero_configured:
        return [], [], [], []
    mark_stale_handoffs_unknown(session, now - find_stale_after(runtime), now)
    due = handoffs_due(session, now, now - timedelta(seconds=settings.ALERT_SWEEP_AFTER_SECONDS))
    if is_paused(session):
        # Nothing is read or written while Primero refuses the account: each try would count towards its lock-out.
        return due, [], [], []
    follow = handoffs_to_follow(session, now - timedelta(minutes=settings.PRIMERO_POLL_MINUTES))
    # Past RQ's own retries (about 20 minutes) a note's job is gone: the sweep tries again every half hour.
    notes = messages_to_note(session, now - timedelta(minutes=30))
    return due, follow, notes, records_to_sync(session)


def _retention_due(runtime: Runtime, now: datetime) -> list[str]:
    """The day's retention purge unless a scheduler enqueued one in the last day (marked in Redis once it did:
    two schedulers at once enqueue the same job id, which runs once)."""
    if not runtime.settings.RETENTION_DAILY:
        return []
    try:
        if runtime.redis.exists(RETENTION_MARK):
            return []
    except redis.RedisError as exc:
        log.warning("retention not started: Redis is unavailable (%s)", exc.__class__.__name__)
        return []
    return [now.date().isoformat()]


def _marking_retention(runtime: Runtime):
    """enqueue_retention, marking the day done only once the job is in the queue."""
    def enqueue(queue, day: str) -> bool:
        if not enqueue_retention(queue, day):
            return False
        try:
            runtime.redis.set(RETENTION_MARK, day, ex=RETENTION_EVERY_SECONDS)
        except redis.RedisError:
            pass  # enqueued again at the next sweep: the same job id, which runs once
        return True
    return enqueue


def _indicators_due(runtime: Runtime, session) -> list:
    """The organisations whose usual indicators are due to be counted again (every INDICATORS_REFRESH_MINUTES):
    the first scheduler to mark one due in Redis enqueues it, so several schedulers count it once."""
    minutes = runtime.settings.INDICATORS_REFRESH_MINUTES
    if minutes <= 0:
        return []
    due = []
    try:
        for organisation_id in organisations_to_refresh(session):
            if runtime.redis.set(f"relais:indicators:refresh:{organisation_id}", "1", nx=True, ex=int(minutes * 60)):
                due.append(organisation_id)
    except redis.RedisError as exc:
        log.warning("indicators not refreshed: Redis is unavailable (%s)", exc.__class__.__name__)
    return due


def run_forever(runtime: Runtime, stop: threading.Event, progress: dict | None = None,
                after_sweep: Callable[[], None] = lambda: None) -> None:
    """Sweep every SCHEDULER_INTERVAL_SECONDS until stop is set; a failed sweep is logged and tried next tick.

    progress, if given, gets when the last sweep ended (`last_sweep_at`) and when one last failed
    (`last_failure_at`), in seconds since the epoch, and after_sweep is called: the heartbeat reports them."""
    interval = runtime.settings.SCHEDULER_INTERVAL_SECONDS
    progress = {} if progress is None else progress
    log.info("scheduler started, sweeping every %ss", interval)
    while not stop.is_set():
        # Each sweep has an id of its own, as a request has: its lines and the jobs it enqueues carry it (logs.py).
        token = logs.request_id.set(logs.new_request_id())
        try:
            run_once(runtime)
            progress["last_sweep_at"] = time.time()
        except Exception:
            # The database may be down or restarting; the next tick tries again with fresh connections.
            progress["last_failure_at"] = time.time()
            log.exception("sweep failed; trying again in %ss", interval)
        finally:
            logs.request_id.reset(token)
        after_sweep()
        stop.wait(interval)
    log.info("scheduler stopped")


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m workers.scheduler`."""
    parser = argparse.ArgumentParser(prog="python -m workers.scheduler", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="sweep once and exit")
    args = parser.parse_args(argv)
    configure_logging(role="scheduler")
    runtime = bootstrap()
    try:
        if args.once:
            print(run_once(runtime))
            return 0
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        settings = runtime.settings
        progress = {"started_at": time.time(), "interval": settings.SCHEDULER_INTERVAL_SECONDS}
        heartbeat = Heartbeat(settings.REDIS_URL, settings.QUEUE_NAME, SCHEDULER, lambda: dict(progress)).start()
        try:
            run_forever(runtime, stop, progress, heartbeat.nudge)
        finally:
            heartbeat.stop()
        return 0
    finally:
        runtime.close()


if __name__ == "__main__":
    raise SystemExit(main())

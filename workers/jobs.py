"""RQ jobs: module-level functions taking ids as strings; exceptions propagate so RQ records and retries them."""
from __future__ import annotations

import logging
from datetime import timedelta

from bootstrap import bootstrap
from casecore.cases.media import attach_waiting_media
from casecore.handoff.modes import mode_of
from casecore.handoff.queue import hand_over_new_report
from casecore.ids import parse_id
from casecore.messaging.whatsapp_window import release_held
from casecore.reports.alerts import queue_report_alerts
from casecore.reports.models import Report
from workers.followups import follow_up
from workers.inbound import answer_inbound, read_inbound
from workers.media import fetch_media
from workers.queueing import enqueue_handoff, enqueue_send, follow_up_queue
from workers.sending import reconcile_one, send_one
from workers.sending import resend_outside_window as resend_otherwise

log = logging.getLogger(__name__)


def alert_supervisors(report_id: str) -> int:
    """Write the alert SMS for a report's supervisors and enqueue one send job per message; returns that count."""
    runtime = bootstrap()
    handoff_id = None
    with runtime.unit_of_work() as session:
        message_ids = queue_report_alerts(session, report_id, runtime.settings.SMS_BACKEND)
        # In the alert's transaction, so the sweep of reports never alerted covers the hand-off too.
        report = session.get(Report, parse_id(report_id, "report"))
        if mode_of(session, runtime.handoff_modes, report.organisation_id) == "on_report":
            handoff_id = hand_over_new_report(session, report.id)
    queue = follow_up_queue(runtime)
    for message_id in message_ids:
        # A False here (Redis gone mid-job) is covered: the scheduler enqueues queued messages it finds.
        enqueue_send(queue, message_id)
    if handoff_id is not None:
        enqueue_handoff(queue, handoff_id)
    log.info("report %s: %d alert(s) to send", report_id, len(message_ids))
    # After the alerts, in a transaction of its own: photos sent before a report must never delay its alert.
    with runtime.unit_of_work() as session:
        attach_waiting_media(session, report_id, timedelta(hours=runtime.settings.MEDIA_ATTACH_HOURS))
    return len(message_ids)


def fetch_inbound_media(media_id: str) -> str:
    """Download, check and keep one received photo or file; returns its status (raises to be retried)."""
    return fetch_media(bootstrap(), media_id)


def send_outbound(message_id: str) -> str:
    """Send one outbox message unless it already went, is not due, or failed for good; returns its status."""
    runtime = bootstrap()
    return send_one(runtime, follow_up_queue(runtime), message_id)


def reconcile_outbound(message_id: str) -> str:
    """Find out whether a message whose send was interrupted went; returns its status afterwards."""
    runtime = bootstrap()
    return reconcile_one(runtime, follow_up_queue(runtime), message_id)


def resend_outside_window(message_id: str) -> str:
    """Send otherwise (SMS, or a template and hold) a WhatsApp message refused outside the 24-hour window."""
    runtime = bootstrap()
    return resend_otherwise(runtime, follow_up_queue(runtime), message_id)


def handle_inbound(inbound_id: str) -> int:
    """Answer one inbound SMS or WhatsApp message and enqueue the reply; returns how many sends were enqueued."""
    runtime = bootstrap()
    with runtime.unit_of_work() as session:
        # One transaction reads the message for the dialogue and, for WhatsApp, releases what the window held.
        work = read_inbound(session, inbound_id)
        # A WhatsApp message opens the 24-hour window: what was held for the number may go now.
        released = release_held(session, work.inbound.phone) if work.inbound.channel == "whatsapp" else []
    outbound_ids, events = answer_inbound(runtime, work)
    outbound_ids = released + outbound_ids
    queue = follow_up_queue(runtime)
    for message_id in outbound_ids:
        enqueue_send(queue, message_id)
    follow_up(queue, events)
    return len(outbound_ids)

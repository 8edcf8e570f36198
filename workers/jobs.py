"""RQ jobs: module-level functions taking ids as strings; exceptions propagate so RQ records and retries them."""
from __future__ import annotations

import dataclasses
import logging

from rq import Queue, get_current_job

from bootstrap import Runtime, bootstrap
from casecore.alerts import queue_report_alerts
from casecore.outbox import claim_for_sending, record_send_result
from channels.sms import OutboundSms, SendResult, SmsConfigError, make_sms_backend
from channels.sms.twilio_content import CONTENT_CACHE_OPTION, content_cache_for
from workers.followups import follow_up
from workers.inbound import process_inbound
from workers.queueing import enqueue_send

log = logging.getLogger(__name__)


class RetryableSendError(Exception):
    """The provider could not take the message now; raised so RQ tries the job again later."""


def alert_supervisors(report_id: str) -> int:
    """Write the alert SMS for a report's supervisors and enqueue one send job per message; returns that count."""
    runtime = bootstrap()
    with runtime.unit_of_work() as session:
        message_ids = queue_report_alerts(session, report_id, runtime.settings.SMS_BACKEND)
    queue = _follow_up_queue(runtime)
    for message_id in message_ids:
        # A False here (Redis gone mid-job) is covered: the scheduler enqueues queued messages it finds.
        enqueue_send(queue, message_id)
    log.info("report %s: %d alert(s) to send", report_id, len(message_ids))
    return len(message_ids)


def send_outbound(message_id: str) -> str:
    """Send one outbox message unless it already went (or failed for good); returns the message's status."""
    runtime = bootstrap()
    with runtime.unit_of_work() as session:
        message = claim_for_sending(session, message_id)
    if message is None:
        log.info("outbound message %s was already handled; not sending it again", message_id)
        return "skipped"
    # The backend the message was written for: a configuration change must not reroute what is already queued.
    # Twilio keeps the WhatsApp quick-reply contents it creates in Redis, shared by every worker.
    try:
        backend = make_sms_backend(message.backend, {**dataclasses.asdict(runtime.settings),
                                                     CONTENT_CACHE_OPTION: content_cache_for(runtime.redis)})
    except SmsConfigError as exc:
        # Retrying cannot help until someone configures the provider; failing says so in the outbox.
        result = SendResult.failed(f"not configured: {exc}")
    else:
        result = backend.send(OutboundSms(to=message.to_phone, body=message.body, channel=message.channel,
                                          options=tuple(message.options or ())))
    with runtime.unit_of_work() as session:
        status = record_send_result(session, message_id, result.status, result.provider_message_id, result.reason)
    if result.status == "retry" and status == "queued":
        raise RetryableSendError(f"outbound message {message_id}: {result.reason} (attempt {message.attempts})")
    return status


def handle_inbound(inbound_id: str) -> int:
    """Answer one inbound SMS or WhatsApp message and enqueue the reply; returns how many sends were enqueued."""
    runtime = bootstrap()
    outbound_ids, events = process_inbound(runtime, inbound_id)
    queue = _follow_up_queue(runtime)
    for message_id in outbound_ids:
        enqueue_send(queue, message_id)
    follow_up(queue, events)
    return len(outbound_ids)


def _follow_up_queue(runtime: Runtime) -> Queue:
    """The queue this job came from, so follow-ups reach the same Redis even if the worker got another --url."""
    job = get_current_job()
    if job is None or not job.origin:
        return runtime.queue
    return Queue(job.origin, connection=job.connection)

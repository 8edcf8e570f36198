"""Sending one outbox message through its provider, and finding out what became of a send that was interrupted.

Never twice: a message is claimed before the provider call; a job killed during the call leaves it "sending",
the sweep turns that into "unknown", and only the provider's records (or a delivery report naming the number)
decide whether it goes again. Retries wait out a backoff kept on the row, so a restart loses none of them.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from functools import lru_cache

import redis
from rq import Queue

from bootstrap import Runtime
from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.messaging.outbox import (
    OUTSIDE_WINDOW_REASON,
    OutboundSnapshot,
    claim_alike,
    claim_for_sending,
    due_time,
    provider_ids_in_use,
    record_send_result,
    snapshot_in_status,
)
from casecore.messaging.unknown_outcomes import settle_unknown
from casecore.messaging.whatsapp_window import outside_window, window_open
from channels.sms import OutboundSms, SendResult, SmsBackend, SmsConfigError, make_sms_backend
from channels.sms.encoding import to_gsm7
from channels.sms.twilio_content import CONTENT_CACHE_OPTION, content_cache_for
from settings import Settings
from workers.queueing import enqueue_send, enqueue_send_at

log = logging.getLogger(__name__)

# How far back provider ids recorded on other messages are excluded from a look-up's candidates.
LOOKUP_HORIZON = timedelta(days=1)


def send_one(runtime: Runtime, queue: Queue, message_id: str) -> str:
    """Send one outbox message unless it already went, is not due, or failed for good; returns its status.

    With a backend that sends in bulk (Africa's Talking), due SMS with the same text to other numbers are claimed
    with it and go in the same call, each recording its own outcome; their own jobs then find them handled.
    """
    now = utcnow()
    rerouted = None
    alike: list[OutboundSnapshot] = []
    with runtime.unit_of_work() as session:
        message = claim_for_sending(session, message_id, now)
        if message is not None and _needs_window(message) and not window_open(session, message.to_phone, now):
            rerouted = _outside_window(runtime, session, message)
        elif message is not None and _batchable(message) and (size := _batch_size(runtime, message.backend)) > 1:
            alike = claim_alike(session, message, size - 1, now)
    if rerouted is not None:
        return _enqueue_replacements(queue, *rerouted)
    if message is None:
        log.info("outbound message %s is not due or was already handled; not sending it now", message_id)
        return "skipped"
    batch = [message, *alike]
    try:
        backend = _backend(runtime, message.backend)
        results = backend.send_many([_sms(m) for m in batch]) if alike else [backend.send(_sms(message))]
    except SmsConfigError as exc:
        # Retrying cannot help until someone configures the provider; failing says so in the outbox.
        results = [SendResult.failed(f"not configured: {exc}")] * len(batch)
    result, statuses, retries = results[0], [], []
    with runtime.unit_of_work() as session:
        if result.status == "failed" and result.reason == OUTSIDE_WINDOW_REASON and _needs_window(message):
            rerouted = _outside_window(runtime, session, message)
        else:
            for sent, outcome in zip(batch, results, strict=True):
                statuses.append(record_send_result(session, sent.id, outcome.status, outcome.provider_message_id,
                                                   outcome.reason, outcome.retry_after))
                if statuses[-1] == "queued":
                    retries.append((sent, due_time(session, sent.id)))
    if rerouted is not None:
        return _enqueue_replacements(queue, *rerouted)
    for sent, due in retries:
        if due is not None:
            # Also found by the scheduler's sweep when due, should Redis lose this scheduled job.
            enqueue_send_at(queue, sent.id, due, sent.attempts)
    return statuses[0]


def reconcile_one(runtime: Runtime, queue: Queue, message_id: str) -> str:
    """Ask the provider whether a message of unknown outcome went; returns the message's status afterwards."""
    with runtime.unit_of_work() as session:
        message = snapshot_in_status(session, message_id, "unknown")
        if message is None:
            return "settled"
        exclude = provider_ids_in_use(session, message.backend, message.claimed_at - LOOKUP_HORIZON)
    try:
        lookup = _backend(runtime, message.backend).find_sent(_sms(message), message.claimed_at, exclude)
        found, provider_id = lookup.found, lookup.provider_message_id
    except SmsConfigError:
        found, provider_id = None, None
    give_up_before = utcnow() - timedelta(seconds=runtime.settings.UNKNOWN_OUTCOME_WAIT_SECONDS)
    with runtime.unit_of_work() as session:
        status = settle_unknown(session, message_id, found, provider_id, give_up_before)
    if status == "queued":
        enqueue_send(queue, message_id)
    return status


def resend_outside_window(runtime: Runtime, queue: Queue, message_id: str) -> str:
    """A sent WhatsApp message later refused outside the 24-hour window: reroute or hold it as configured."""
    with runtime.unit_of_work() as session:
        message = snapshot_in_status(session, message_id, "sent")
        rerouted = _outside_window(runtime, session, message) if message and _needs_window(message) else None
    return "settled" if rerouted is None else _enqueue_replacements(queue, *rerouted)


def _batchable(message: OutboundSnapshot) -> bool:
    """A plain SMS (no quick replies, no template) may share a bulk call with others of the same text."""
    return message.channel == "sms" and not message.options and not message.content_sid


def _batch_size(runtime: Runtime, name: str) -> int:
    try:
        return _backend(runtime, name).batch_size
    except SmsConfigError:
        return 1


def _needs_window(message: OutboundSnapshot) -> bool:
    """Free-form WhatsApp messages need the window; an approved template does not."""
    return message.channel == "whatsapp" and not message.content_sid


def _outside_window(runtime: Runtime, session, message: OutboundSnapshot) -> tuple[str, list]:
    """Reroute or hold a WhatsApp message the window closes on, in session: its status and the rows to send."""
    settings = runtime.settings
    try:
        return outside_window(
            session, message, settings.WHATSAPP_OUTSIDE_WINDOW,
            sms_backend=settings.WHATSAPP_SMS_FALLBACK_BACKEND or message.backend,
            sms_body=to_gsm7, template_sid=settings.TWILIO_WHATSAPP_TEMPLATE_SID,
        )
    except InvalidInput as exc:
        record_send_result(session, message.id, "failed", None, f"outside the WhatsApp window; {exc}")
        return "failed", []


def _enqueue_replacements(queue: Queue, status: str, to_send: list) -> str:
    """Enqueue the rows written in place of a message (after their transaction committed); returns its status."""
    for replacement_id in to_send:
        enqueue_send(queue, replacement_id)
    return status


def _sms(message: OutboundSnapshot) -> OutboundSms:
    return OutboundSms(to=message.to_phone, body=message.body, channel=message.channel,
                       options=tuple(message.options or ()), template_sid=message.content_sid)


def _backend(runtime: Runtime, name: str) -> SmsBackend:
    """The backend the message was written for: a configuration change must not reroute what is already queued.

    Twilio keeps the WhatsApp quick-reply contents it creates in Redis, shared by every worker.
    """
    return _configured_backend(runtime.settings, runtime.redis, name)


@lru_cache(maxsize=16)
def _configured_backend(settings: Settings, connection: redis.Redis, name: str) -> SmsBackend:
    # Built once per settings and name, not per job: a worker runs thousands of jobs on the same ones.
    return make_sms_backend(name, {**dataclasses.asdict(settings), CONTENT_CACHE_OPTION: content_cache_for(connection)})

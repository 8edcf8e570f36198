"""Putting jobs on the queue: one job per id at a time, and never an exception when Redis is down.

Three queues, worked in this order, so that a flood of inbound messages never delays an alert about a child:
- ALERTS (`<QUEUE_NAME>-alerts`): staff alerts (a new report, deadlines, complaints) and the sends they write;
- REPLIES (`<QUEUE_NAME>-replies`): every other send, a reply to someone in a conversation first of all;
- BACKGROUND (`<QUEUE_NAME>`): the inbound messages to answer, files to fetch, sends to look up.
Callers hand any of the three (the runtime's queue is BACKGROUND): each enqueue function picks its own.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
import zlib
from datetime import datetime, timedelta
from typing import Any, Callable

import redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import PickleSerializer
from rq.utils import get_call_string, utcformat
from rq.utils import now as rq_now

from logs import REQUEST_ID_META, request_id

log = logging.getLogger(__name__)

# Sends commands in one round trip and returns their replies (dialogs.redis_trips.RoundTrips).
Trips = Callable[..., list[Any]]

# Dotted names, not imports: workers.jobs enqueues sends itself, and the web process need not import channels.
ALERT_JOB = "workers.jobs.alert_supervisors"
SEND_JOB = "workers.jobs.send_outbound"
INBOUND_JOB = "workers.jobs.handle_inbound"
MEDIA_JOB = "workers.jobs.fetch_inbound_media"
RECONCILE_JOB = "workers.jobs.reconcile_outbound"
OUTSIDE_WINDOW_JOB = "workers.jobs.resend_outside_window"
DEADLINE_JOB = "workers.deadlines.alert_deadline"
COMPLAINT_ALERT_JOB = "workers.complaints.alert_complaint"
COMPLAINT_DEADLINE_JOB = "workers.complaints.alert_complaint_deadline"
HANDOFF_JOB = "workers.handoff.hand_over"
NOTE_JOB = "workers.handoff.add_family_note"
POLL_JOB = "workers.handoff.poll_cases"
RECORD_JOB = "workers.handoff.send_record"
INDICATORS_JOB = "workers.indicators.refresh_indicators"
RETENTION_JOB = "workers.retention.purge_expired"
RETENTION_TIMEOUT_SECONDS = 3600
EVENT_JOB = "workers.events.deliver_event"
# A delivery job posts once (EVENT_TIMEOUT at most, 30 s); stopped past this, its claim is released by the sweep
# only after STALE_EVENT_CLAIM_SECONDS, so two jobs never post the same delivery at once.
EVENT_TIMEOUT_SECONDS = 60
# About 20 minutes of tries; after that the scheduler's sweep enqueues the work again. Sends retry on their own
# terms instead (the outbox row's next_attempt_at), since only the send knows the provider's reason.
RETRY_INTERVALS = [10, 30, 60, 300, 900]
FAILURE_TTL = 7 * 24 * 3600
# A job in one of these states will run (again) on its own: enqueueing it a second time would only duplicate it.
_WAITING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}

ALERTS = "alerts"
REPLIES = "replies"
BACKGROUND = "background"
# The order a worker takes jobs in: all of ALERTS first, then REPLIES, then BACKGROUND.
PRIORITIES = (ALERTS, REPLIES, BACKGROUND)


def queue_name(base: str, priority: str) -> str:
    """The RQ queue name of a priority: QUEUE_NAME itself for BACKGROUND (the queue earlier versions used)."""
    if priority not in PRIORITIES:
        raise ValueError(f"unknown queue priority {priority!r}")
    return base if priority == BACKGROUND else f"{base}-{priority}"


def priority_of(queue: Queue) -> str:
    """Which of the three a queue is."""
    return next((p for p in (ALERTS, REPLIES) if queue.name.endswith(f"-{p}")), BACKGROUND)


def sibling(queue: Queue, priority: str) -> Queue:
    """The queue of that priority beside this one (same Redis, same QUEUE_NAME)."""
    current = priority_of(queue)
    if current == priority:
        return queue
    base = queue.name if current == BACKGROUND else queue.name.removesuffix(f"-{current}")
    return Queue(queue_name(base, priority), connection=queue.connection)


def queues_in_order(queue: Queue, priorities: tuple[str, ...] = PRIORITIES) -> list[Queue]:
    """The queues a worker listens to, most urgent first."""
    return [sibling(queue, priority) for priority in PRIORITIES if priority in priorities]


def alert_job_id(report_id: str | uuid.UUID) -> str:
    """The one job id for alerting about a report."""
    return f"report-alert-{report_id}"


def send_job_id(message_id: str | uuid.UUID) -> str:
    """The one job id for sending an outbox message."""
    return f"send-{message_id}"


def inbound_job_id(inbound_id: str | uuid.UUID) -> str:
    """The one job id for handling an inbound message."""
    return f"inbound-{inbound_id}"


def media_job_id(media_id: str | uuid.UUID) -> str:
    """The one job id for fetching a received photo or file."""
    return f"media-{media_id}"


def enqueue_media(queue: Queue, media_id: str | uuid.UUID) -> bool:
    """Enqueue the fetching of a received photo or file; False when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, BACKGROUND), MEDIA_JOB, media_job_id(media_id), str(media_id))


def enqueue_inbound(queue: Queue, inbound_id: str | uuid.UUID) -> bool:
    """Enqueue the handling of an inbound SMS or WhatsApp message; False when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, BACKGROUND), INBOUND_JOB, inbound_job_id(inbound_id), str(inbound_id))


def enqueue_new_inbound(queue: Queue, inbound_id: str | uuid.UUID, trips: Trips | None = None) -> bool:
    """Enqueue the handling of a message the webhook has just stored for the first time; False when Redis is down.

    Should the scheduler's sweep enqueue it too (the webhook stalled past ALERT_SWEEP_AFTER_SECONDS), the second run
    finds the message handled and does nothing. trips: the thread's own way to Redis (dialogs.redis_trips), if any.
    """
    return _enqueue_new(sibling(queue, BACKGROUND), INBOUND_JOB, inbound_job_id(inbound_id), str(inbound_id), trips)


def enqueue_new_report_alert(queue: Queue, report_id: str | uuid.UUID, trips: Trips | None = None) -> bool:
    """Enqueue the alert job for a report just inserted (USSD's last step); False when Redis is down.

    Should the scheduler's sweep enqueue it too, the alert job writes each alert once (the outbox's keys)."""
    return _enqueue_new(sibling(queue, ALERTS), ALERT_JOB, alert_job_id(report_id), str(report_id), trips)


def new_job_commands(queue: Queue, func: str, job_id: str, arg: str) -> list[tuple]:
    """The Redis commands that put a new job on queue, as RQ's own enqueue writes it: the job's hash, then its id on
    the queue's list (and the queue in RQ's set of queues).

    The hash is the one RQ built for the first job of this function on this queue, with what differs from job to job
    written anew as RQ writes it: its call (data and description) and its times. Building the job with RQ each time
    was most of a stored message's enqueue. The request id bound (logs.py), if any, goes in its meta, as RQ writes
    a meta given to its enqueue (job_meta)."""
    fields = {**_job_fields(queue, func), "data": zlib.compress(PickleSerializer.dumps((func, None, (arg,), {}))),
              # RQ's description of the call (Job.get_call_string)
              "description": get_call_string(func, (arg,), {}, max_length=75)}
    fields["created_at"] = fields["enqueued_at"] = utcformat(rq_now())
    meta = job_meta()
    if meta:
        fields["meta"] = PickleSerializer.dumps(meta)
    return [("SADD", queue.redis_queues_keys, queue.key),
            ("HSET", Job.key_for(job_id), *(item for pair in fields.items() for item in pair)),
            ("RPUSH", queue.key, job_id)]


def job_meta() -> dict[str, str] | None:
    """The meta of a job enqueued now: the request id bound (a webhook's, or the job's that enqueues it), so that
    the job's log lines carry it on; None outside any request or job."""
    current = request_id.get()
    return {REQUEST_ID_META: current} if current else None


# The hash RQ writes for a new job, by queue name and function (new_job_commands).
_JOB_FIELDS: dict[tuple[str, str], dict[str, Any]] = {}


def _job_fields(queue: Queue, func: str) -> dict[str, Any]:
    """The hash RQ writes for a job of func on queue, as its enqueue builds the job (for any argument)."""
    fields = _JOB_FIELDS.get((queue.name, func))
    if fields is None:
        # The timeout RQ's create_job gives on a queue made with no default of its own (all of ours).
        job = Job.create(func, args=("",), connection=queue.connection, origin=queue.name,
                         timeout=queue.DEFAULT_TIMEOUT, status=JobStatus.QUEUED, failure_ttl=FAILURE_TTL,
                         retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))
        if job.serializer is not PickleSerializer:
            raise RuntimeError("RQ's serializer is not the one new_job_commands writes a call with")
        job.enqueued_at = rq_now()
        fields = _JOB_FIELDS[(queue.name, func)] = job.to_dict(include_meta=False)
    return fields


def _enqueue_new(queue: Queue, func: str, job_id: str, arg: str, trips: Trips | None = None) -> bool:
    """Enqueue work on a row just inserted, in one round trip; False when Redis cannot be reached.

    No job can hold the id of a row just inserted, so neither RQ's unique-job script nor its look-ups are needed:
    the job is written as RQ writes it (new_job_commands), at half the CPU of RQ's enqueue through a pipeline, the
    most of an inbound message's enqueue (bench/README.md).
    """
    commands = new_job_commands(queue, func, job_id, arg)
    try:
        if trips is not None:
            trips(*commands)
        else:
            pipe = queue.connection.pipeline(transaction=False)
            for command in commands:
                pipe.execute_command(*command)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not enqueue %s (%s); the scheduler will enqueue it again", job_id, exc.__class__.__name__)
        return False
    return True


def deadline_job_id(deadline_id: str | uuid.UUID) -> str:
    """The one job id for alerting about a deadline (its warning, later its passing)."""
    return f"deadline-{deadline_id}"


def enqueue_deadline_alert(queue: Queue, deadline_id: str | uuid.UUID) -> bool:
    """Enqueue the alert job for a deadline; False when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, ALERTS), DEADLINE_JOB, deadline_job_id(deadline_id), str(deadline_id))


def enqueue_complaint_alert(queue: Queue, complaint_id: str | uuid.UUID) -> bool:
    """Enqueue the alerts (and acknowledgement) of a new complaint; False when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, ALERTS), COMPLAINT_ALERT_JOB, f"complaint-alert-{complaint_id}",
                         str(complaint_id))


def enqueue_complaint_deadline_alert(queue: Queue, complaint_id: str | uuid.UUID) -> bool:
    """Enqueue the alert job for a complaint's date (its warning, later its passing); False when Redis is down."""
    return _enqueue_once(sibling(queue, ALERTS), COMPLAINT_DEADLINE_JOB, f"complaint-deadline-{complaint_id}",
                         str(complaint_id))


def enqueue_report_alert(queue: Queue, report_id: str | uuid.UUID) -> bool:
    """Enqueue the alert job for a report; False (and a warning) when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, ALERTS), ALERT_JOB, alert_job_id(report_id), str(report_id))


def enqueue_send(queue: Queue, message_id: str | uuid.UUID) -> bool:
    """Enqueue the send job for an outbox message (on ALERTS or REPLIES: _send_queue); False (and a warning) when
    Redis cannot be reached."""
    return _enqueue_once(_send_queue(queue), SEND_JOB, send_job_id(message_id), str(message_id), retry=False,
                         beside_started=True)


def enqueue_alert_send(queue: Queue, message_id: str | uuid.UUID) -> bool:
    """Enqueue the send of an alert to a staff member on the alerts queue (the scheduler's sweep finds them)."""
    return enqueue_send(sibling(queue, ALERTS), message_id)


def not_before(when: datetime) -> datetime:
    """when rounded up to a whole second. RQ keeps a scheduled job's time in whole seconds, cut down, and runs it
    once that second has begun: a try due at 10.7 s would run at 10.0, be skipped by the claim (not due yet), and
    wait for the scheduler's sweep, up to 30 s more."""
    return when if not when.microsecond else when.replace(microsecond=0) + timedelta(seconds=1)


def enqueue_send_at(queue: Queue, message_id: str | uuid.UUID, when: datetime, attempt: int) -> bool:
    """Enqueue a later try of a send for when (RQ's scheduler runs it); False when Redis cannot be reached.

    Its own job id per try: the job asking for it is still running under the plain send id. A job run early or
    twice is harmless: the claim only takes a message that is due and still queued.
    """
    try:
        _send_queue(queue).enqueue_at(not_before(when), SEND_JOB, str(message_id),
                                      job_id=f"{send_job_id(message_id)}-try-{attempt}", failure_ttl=FAILURE_TTL,
                                      meta=job_meta())
    except redis.RedisError as exc:
        log.warning("could not schedule send %s (%s); the scheduler will enqueue it when due", message_id,
                    exc.__class__.__name__)
        return False
    return True


def enqueue_reconcile(queue: Queue, message_id: str | uuid.UUID) -> bool:
    """Enqueue the look-up of a send whose outcome is unknown; False when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, BACKGROUND), RECONCILE_JOB, f"reconcile-{message_id}", str(message_id),
                         retry=False, beside_started=True)


def enqueue_outside_window(queue: Queue, message_id: str | uuid.UUID) -> bool:
    """Enqueue sending otherwise a WhatsApp message refused outside the window; False when Redis is down."""
    return _enqueue_once(sibling(queue, BACKGROUND), OUTSIDE_WINDOW_JOB, f"outside-window-{message_id}",
                         str(message_id))


def enqueue_handoff(queue: Queue, handoff_id: str | uuid.UUID) -> bool:
    """Enqueue the hand-off of a report to Primero; False when Redis cannot be reached (the sweep catches up)."""
    return _enqueue_once(sibling(queue, BACKGROUND), HANDOFF_JOB, f"handoff-{handoff_id}", str(handoff_id),
                         retry=False, beside_started=True)


def enqueue_family_note(queue: Queue, event_id: str | uuid.UUID) -> bool:
    """Enqueue adding a family's message to its handed-over case in Primero, as a note; False when Redis is down."""
    return _enqueue_once(sibling(queue, BACKGROUND), NOTE_JOB, f"primero-note-{event_id}", str(event_id))


def enqueue_record_sync(queue: Queue, handoff_id: str | uuid.UUID) -> bool:
    """Enqueue sending a handed-over case's record to Primero again; False when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, BACKGROUND), RECORD_JOB, f"primero-record-{handoff_id}", str(handoff_id))


def enqueue_indicators(queue: Queue, organisation_id: str | uuid.UUID) -> bool:
    """Enqueue counting an organisation's usual indicators again; False when Redis cannot be reached."""
    return _enqueue_once(sibling(queue, BACKGROUND), INDICATORS_JOB, f"indicators-{organisation_id}",
                         str(organisation_id), retry=False)


def enqueue_retention(queue: Queue, day: str) -> bool:
    """Enqueue the day's retention purge; False when Redis cannot be reached."""
    # A first purge over years of records takes long: an hour, not RQ's default three minutes.
    return _enqueue_once(sibling(queue, BACKGROUND), RETENTION_JOB, f"retention-{day}", day, retry=False,
                         timeout=RETENTION_TIMEOUT_SECONDS)


def event_job_id(delivery_id: str | uuid.UUID) -> str:
    """The one job id for posting an event delivery."""
    return f"event-{delivery_id}"


def enqueue_event_delivery(queue: Queue, delivery_id: str | uuid.UUID) -> bool:
    """Enqueue the post of an event to a partner's receiver; False when Redis cannot be reached (the sweep finds
    it). No RQ retries: the delivery row keeps its own backoff, as an outbox row does."""
    return _enqueue_once(sibling(queue, BACKGROUND), EVENT_JOB, event_job_id(delivery_id), str(delivery_id),
                         retry=False, beside_started=True, timeout=EVENT_TIMEOUT_SECONDS)


def enqueue_event_delivery_at(queue: Queue, delivery_id: str | uuid.UUID, when: datetime, attempt: int) -> bool:
    """Enqueue the next try of an event delivery for when (RQ's scheduler runs it); False when Redis is down (the
    sweep finds it when due). Its own job id per try, as a send's retry has."""
    try:
        sibling(queue, BACKGROUND).enqueue_at(not_before(when), EVENT_JOB, str(delivery_id),
                                              job_id=f"{event_job_id(delivery_id)}-try-{attempt}",
                                              failure_ttl=FAILURE_TTL, job_timeout=EVENT_TIMEOUT_SECONDS,
                                              meta=job_meta())
    except redis.RedisError as exc:
        log.warning("could not schedule event delivery %s (%s); the scheduler will enqueue it when due", delivery_id,
                    exc.__class__.__name__)
        return False
    return True


def enqueue_poll(queue: Queue, handoff_ids: list[str]) -> bool:
    """Enqueue reading these handed-over cases back from Primero; False when Redis cannot be reached.

    The job id names the batch: a sweep finding the same cases unread while their job waits adds nothing."""
    batch = ",".join(sorted(handoff_ids))
    digest = hashlib.sha1(batch.encode()).hexdigest()[:20]
    return _enqueue_once(sibling(queue, BACKGROUND), POLL_JOB, f"primero-poll-{digest}", batch, retry=False)


def _enqueue_once(queue: Queue, func: str, job_id: str, arg: str, retry: bool = True,
                  beside_started: bool = False, timeout: int | None = None) -> bool:
    """Enqueue unless a job with this id will run anyway; beside_started enqueues a second job (its own id) when
    the first is marked started, for work whose database state lets only one run act (an outbox claim)."""
    try:
        try:
            # The common case, a job never enqueued before, costs one enqueue and no look-up (USSD's last step).
            _enqueue(queue, func, job_id, arg, retry, timeout)
        except DuplicateJobError:
            # Looked up by id, not in this queue: the same work may have been put on another one before.
            existing = _fetch_job(queue, job_id)
            status = None if existing is None else existing.get_status(refresh=False)
            if status == JobStatus.STARTED and beside_started:
                # Its worker may have been killed, which RQ notices only at its maintenance, minutes later: the
                # message would wait that long. A job beside it is harmless, the claim decides which one sends.
                return _enqueue_once(queue, func, f"{job_id}-again", arg, retry, timeout=timeout)
            if status in _WAITING:
                return True
            # A finished or failed run keeps its id for a while; clear it so the work can be tried again.
            if existing is not None:
                existing.delete()
            _enqueue(queue, func, job_id, arg, retry, timeout)
    except DuplicateJobError:
        # Another process enqueued the same id between our delete and our enqueue: it is waiting, as wanted.
        return True
    except redis.RedisError as exc:
        log.warning("could not enqueue %s (%s); the scheduler will enqueue it again", job_id,
                    exc.__class__.__name__)
        return False
    return True


def _send_queue(queue: Queue) -> Queue:
    """Where a send goes: an alert job's sends stay on ALERTS (queue is where the job came from), others on REPLIES."""
    return queue if priority_of(queue) == ALERTS else sibling(queue, REPLIES)


def _fetch_job(queue: Queue, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return None


def _enqueue(queue: Queue, func: str, job_id: str, arg: str, retry: bool, timeout: int | None = None) -> None:
    queue.enqueue(
        func, arg, job_id=job_id, unique=True, failure_ttl=FAILURE_TTL, meta=job_meta(),
        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS) if retry else None,
        **({"job_timeout": timeout} if timeout else {}),
    )


def follow_up_queue(runtime) -> Queue:
    """The queue the running job came from, so follow-ups reach the same Redis even if the worker got another
    --url; the runtime's queue outside a job."""
    job = get_current_job()
    if job is None or not job.origin:
        return runtime.queue
    return Queue(job.origin, connection=job.connection)

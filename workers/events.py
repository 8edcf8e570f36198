"""Posting events to partners' receivers (casecore.partners.deliveries): claim, post signed, record the answer.

Never two posts of a delivery at once: the claim is one conditional UPDATE, and a job holding one is stopped by
RQ after EVENT_TIMEOUT_SECONDS, well before the sweep takes its claim for a dead job's. Never posted again once a
receiver answered 2xx. Retries wait out a backoff kept on the row, so a restart loses none of them.
"""
from __future__ import annotations

import logging

from rq import Queue

from bootstrap import Runtime, bootstrap
from casecore.partners.deliveries import claim_delivery, record_outcome
from channels.partner_events import post_event
from workers.queueing import enqueue_event_delivery_at, follow_up_queue

log = logging.getLogger(__name__)

# Whatever EVENT_TIMEOUT says, a post must end well within the job's own timeout (EVENT_TIMEOUT_SECONDS).
LONGEST_POST_SECONDS = 30.0


def deliver_event(delivery_id: str) -> str:
    """RQ job: post one event delivery unless it is not due, taken, settled or no longer allowed; returns its
    status."""
    runtime = bootstrap()
    return deliver(runtime, follow_up_queue(runtime), delivery_id)


def deliver(runtime: Runtime, queue: Queue, delivery_id: str) -> str:
    """Claim the delivery, post it, record the answer, and schedule the next try after a failure."""
    with runtime.unit_of_work() as session:
        outgoing = claim_delivery(session, delivery_id)
    if outgoing is None:
        log.info("event delivery %s is not due, taken or settled; not posting it now", delivery_id)
        return "skipped"
    outcome = post_event(outgoing.url, outgoing.body, secret=outgoing.secret, delivery_id=str(outgoing.id),
                         event_type=outgoing.event_type,
                         timeout=min(runtime.settings.EVENT_TIMEOUT, LONGEST_POST_SECONDS))
    with runtime.unit_of_work() as session:
        status, due = record_outcome(session, outgoing, outcome.delivered, outcome.reason)
    if status == "pending" and due is not None:
        # Also found by the scheduler's sweep once due, should Redis lose this scheduled job.
        enqueue_event_delivery_at(queue, outgoing.id, due, outgoing.attempts)
    return status

"""Delivery reports and status callbacks: recorded on the outbox row they are about, answered with a bare 200."""
from __future__ import annotations

import uuid
from functools import partial
from typing import Callable, Mapping

from flask import Response
from sqlalchemy.orm import Session

from app.runtime import runtime
from app.webhooks.common import bp, posted_form, record_from_form, twilio_refusal
from casecore.messaging.delivery import (
    SendAgain,
    record_delivery,
    send_again_after_rate_limit,
    whatsapp_refused_outside_window,
)
from casecore.messaging.unknown_outcomes import adopt_report_for_unknown
from channels.africastalking_delivery import parse_africastalking_delivery
from channels.delivery import DeliveryReport
from channels.twilio_status import parse_twilio_status
from workers.queueing import enqueue_outside_window, enqueue_send_at


@bp.post("/africastalking/delivery")
def africastalking_delivery():
    """An AT SMS delivery report; the token check of every /webhooks/africastalking/ URL applies."""
    return _record(parse_africastalking_delivery, "africastalking", posted_form())


@bp.post("/twilio/status")
def twilio_status():
    """A Twilio status callback, signed like the message webhook."""
    form = posted_form()
    return twilio_refusal(form) or _record(parse_twilio_status, "twilio", form)


def _record(parse: Callable[[Mapping[str, str]], DeliveryReport], backend: str,
            form: Mapping[str, str]) -> Response:
    """Store a report; one for a message we do not know is answered `OK` too: retrying it would never help."""
    return record_from_form(form, parse, partial(_store, backend), "report", after=_follow_up)


def _store(backend: str, session: Session, report: DeliveryReport) -> SendAgain | uuid.UUID | None:
    """Record the report; what to do next: a message to send again after a rate limit, or the id of a WhatsApp
    message refused outside the 24-hour window, to send otherwise."""
    if report.status is None:  # a status with nothing to record (an inbound message's) is acknowledged
        return None
    known, again = _apply(session, report)
    if not known and report.phone and adopt_report_for_unknown(session, backend, report.phone,
                                                               report.provider_message_id):
        # The message whose send was interrupted: now we know it went, and what became of it.
        known, again = _apply(session, report)
    return again or whatsapp_refused_outside_window(session, report.provider_message_id, report.status,
                                                    report.reason)


def _apply(session: Session, report: DeliveryReport) -> tuple[bool, SendAgain | None]:
    """Record the report on its message (False: no such message); one failed for a rate limit is queued again."""
    again = send_again_after_rate_limit(session, report.provider_message_id, report.status, report.reason)
    if again is not None:
        return True, again
    return record_delivery(session, report.provider_message_id, report.status, report.reason), None


def _follow_up(next_step: SendAgain | uuid.UUID | None) -> None:
    # If Redis is down the scheduler's sweep finds a message queued again when due; one refused outside the window
    # stays as the report left it, and an operator sees the failure in the log.
    if isinstance(next_step, SendAgain):
        enqueue_send_at(runtime().queue, next_step.id, next_step.due, next_step.attempts)
    elif next_step is not None:
        enqueue_outside_window(runtime().queue, next_step)

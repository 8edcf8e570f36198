"""Delivery reports and status callbacks: recorded on the outbox row they are about, answered with a bare 200."""
from __future__ import annotations

import logging
from typing import Callable, Mapping

from flask import Response
from sqlalchemy.exc import SQLAlchemyError

from app.runtime import runtime
from app.webhooks.common import bp, plain, posted_form, twilio_refusal
from casecore.delivery import record_delivery
from channels.africastalking_delivery import parse_africastalking_delivery
from channels.delivery import DeliveryReport, InvalidDeliveryReport
from channels.twilio_status import parse_twilio_status

log = logging.getLogger(__name__)


@bp.post("/africastalking/delivery")
def africastalking_delivery():
    """An AT SMS delivery report; the token check of every /webhooks/africastalking/ URL applies."""
    return _record(parse_africastalking_delivery, posted_form())


@bp.post("/twilio/status")
def twilio_status():
    """A Twilio status callback, signed like the message webhook."""
    form = posted_form()
    return twilio_refusal(form) or _record(parse_twilio_status, form)


def _record(parse: Callable[[Mapping[str, str]], DeliveryReport], form: Mapping[str, str]) -> Response:
    """Parse and store a report: 400 when unreadable, 503 when the database is down (providers retry), else 200.

    A report for a message we do not know is answered 200 too: retrying it would never help.
    """
    try:
        report = parse(form)
    except InvalidDeliveryReport as exc:
        return plain(f"Invalid request: {exc}", 400)
    if report.status is None:
        return plain("OK")
    try:
        with runtime().unit_of_work() as session:
            record_delivery(session, report.provider_message_id, report.status, report.reason)
    except SQLAlchemyError as exc:
        log.error("delivery report not stored: %s", exc.__class__.__name__)
        return plain("Service unavailable: the report was not stored; please retry", 503)
    return plain("OK")

"""Delivery reports and status callbacks: recorded on the outbox row they are about, answered with a bare 200."""
from __future__ import annotations

from typing import Callable, Mapping

from flask import Response
from sqlalchemy.orm import Session

from app.webhooks.common import bp, posted_form, record_from_form, twilio_refusal
from casecore.delivery import record_delivery
from channels.africastalking_delivery import parse_africastalking_delivery
from channels.delivery import DeliveryReport
from channels.twilio_status import parse_twilio_status


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
    """Store a report; one for a message we do not know is answered `OK` too: retrying it would never help."""
    return record_from_form(form, parse, _store, "report")


def _store(session: Session, report: DeliveryReport) -> None:
    if report.status is not None:  # a status with nothing to record (an inbound message's) is acknowledged
        record_delivery(session, report.provider_message_id, report.status, report.reason)

"""Africa's Talking USSD end-of-session notifications: recorded (counts only) and answered `OK`."""
from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from app.runtime import runtime
from app.webhooks.common import bp, plain, posted_form
from casecore.ussd_sessions import record_ussd_session_end
from channels.africastalking_ussd_events import InvalidUssdEvent, parse_ussd_event

log = logging.getLogger(__name__)


@bp.post("/africastalking/ussd-events")
def africastalking_ussd_events():
    """Record how a USSD session ended: 400 when unreadable, 503 when the database is down (AT may retry), else OK."""
    try:
        event = parse_ussd_event(posted_form())
    except InvalidUssdEvent as exc:
        return plain(f"Invalid request: {exc}", 400)
    try:
        with runtime().unit_of_work() as session:
            record_ussd_session_end(session, event)
    except SQLAlchemyError as exc:
        # Never the phone or the input path: only the error's class.
        log.error("USSD session end not stored: %s", exc.__class__.__name__)
        return plain("Service unavailable: the notification was not stored; please retry", 503)
    return plain("OK")

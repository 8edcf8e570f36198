"""Africa's Talking USSD end-of-session notifications: recorded (counts only) and answered `OK`."""
from __future__ import annotations

from app.webhooks.common import bp, posted_form, record_from_form
from casecore.ussd_sessions import record_ussd_session_end
from channels.africastalking_ussd_events import parse_ussd_event


@bp.post("/africastalking/ussd-events")
def africastalking_ussd_events():
    """Record how a USSD session ended: 400 when unreadable, 503 when the database is down (AT may retry), else OK."""
    return record_from_form(posted_form(), parse_ussd_event, record_ussd_session_end, "notification")

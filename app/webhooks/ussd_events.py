"""Africa's Talking USSD end-of-session notifications: recorded (counts only), noted for resume, answered `OK`."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.runtime import runtime
from app.webhooks.common import bp, posted_form, record_from_form
from casecore.messaging.ussd_sessions import record_ussd_session_end
from channels.africastalking_ussd_events import UssdSessionEnd, parse_ussd_event
from dialogs.sessions import note_menu_session_end

COMPLETED = "Success"


@bp.post("/africastalking/ussd-events")
def africastalking_ussd_events():
    """Record how a USSD session ended: 400 when unreadable, 503 when the database is down (AT may retry), else OK."""
    return record_from_form(posted_form(), parse_ussd_event, _record, "notification", after=_note_for_resume)


def _record(session: Session, event: UssdSessionEnd) -> UssdSessionEnd:
    record_ussd_session_end(session, event)
    return event


def _note_for_resume(event: UssdSessionEnd) -> None:
    """Tell the number's next session how this one ended (nothing to offer after a completed one)."""
    if not event.phone:
        return
    rt = runtime()
    try:
        phone_key = rt.phone_key(event.phone)
    except ValueError:
        return  # not a number we could have keyed a session under
    inputs = event.input_path.split("*") if event.input_path else []
    note_menu_session_end(rt.dialog_store, phone_key, event.session_id, event.status == COMPLETED, inputs,
                          rt.session_times)

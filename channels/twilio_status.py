"""Twilio status callbacks (providers §3b) mapped to the one delivery status set."""
from __future__ import annotations

from typing import Mapping

from channels.delivery import DeliveryReport, build_report
from channels.sms.twilio import NAMED_ERRORS

# Until Twilio hands a message to the carrier it is still queued on its side; "sent" means the carrier took it.
# receiving and received describe inbound messages: nothing to record on an outbound one (None).
# partially_delivered (some parts of a multi-part message) is not a final word: kept as sent.
# read (WhatsApp: the person opened it) is its own status, past delivered.
TWILIO_STATUSES: dict[str, str | None] = {
    "queued": "queued",
    "accepted": "queued",
    "scheduled": "queued",
    "sending": "queued",
    "sent": "sent",
    "partially_delivered": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
    "receiving": None,
    "received": None,
}


def parse_twilio_status(form: Mapping[str, str]) -> DeliveryReport:
    """Read `MessageSid` (or `SmsSid`) and `MessageStatus` (or `SmsStatus`); a failure keeps `ErrorCode`.

    An error about the recipient or our sender (21610 opted out, 63016 outside the WhatsApp window, 63017 and 63018
    rate limits) is given by the same name a refused send gets, so the outbox acts on it alike.
    """
    fields = dict(form)
    # Older callbacks carry only the Sms* names; MessageSid and MessageStatus win when both are sent.
    fields["MessageSid"] = (form.get("MessageSid") or "").strip() or (form.get("SmsSid") or "")
    fields["MessageStatus"] = (form.get("MessageStatus") or "").strip() or (form.get("SmsStatus") or "")
    error = (form.get("ErrorCode") or "").strip()
    reason = NAMED_ERRORS.get(int(error)) if error.isascii() and error.isdigit() else None
    return build_report(fields, "MessageSid", "MessageStatus", TWILIO_STATUSES, reason or form.get("ErrorCode"),
                        form.get("To"))

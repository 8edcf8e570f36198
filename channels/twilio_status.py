"""Twilio status callbacks (providers §3b) mapped to the one delivery status set."""
from __future__ import annotations

from typing import Mapping

from channels.delivery import DeliveryReport, build_report

# Until Twilio hands a message to the carrier it is still queued on its side; "sent" means the carrier took it.
# receiving and received describe inbound messages: nothing to record on an outbound one (None).
# partially_delivered (some parts of a multi-part message) is not a final word: kept as sent.
TWILIO_STATUSES: dict[str, str | None] = {
    "queued": "queued",
    "accepted": "queued",
    "scheduled": "queued",
    "sending": "queued",
    "sent": "sent",
    "partially_delivered": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
    "receiving": None,
    "received": None,
}


def parse_twilio_status(form: Mapping[str, str]) -> DeliveryReport:
    """Read `MessageSid` (or `SmsSid`) and `MessageStatus` (or `SmsStatus`); a failure keeps `ErrorCode`."""
    fields = dict(form)
    # Older callbacks carry only the Sms* names; MessageSid and MessageStatus win when both are sent.
    fields["MessageSid"] = (form.get("MessageSid") or "").strip() or (form.get("SmsSid") or "")
    fields["MessageStatus"] = (form.get("MessageStatus") or "").strip() or (form.get("SmsStatus") or "")
    return build_report(fields, "MessageSid", "MessageStatus", TWILIO_STATUSES, form.get("ErrorCode"),
                        form.get("To"))

"""The channel-neutral delivery report that every provider's status callback is turned into."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from casecore.phones import is_business_scoped_id
from channels.inbound import MAX_MESSAGE_ID, clean_body, has_control_characters, is_e164

MAX_REASON = 200


class InvalidDeliveryReport(ValueError):
    """A posted form is not a delivery report we can read; the message says what is wrong."""


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's word on a message it sent: its id, a status of the one set (or None: nothing to record)."""

    provider_message_id: str
    status: str | None
    reason: str | None = None
    # The recipient's number (or WhatsApp business-scoped id), when the provider names it: it tells which message of
    # unknown outcome this was.
    phone: str | None = None


def build_report(form: Mapping[str, str], id_field: str, status_field: str,
                 table: Mapping[str, str | None], reason: str | None, phone: str | None = None) -> DeliveryReport:
    """Read the id and status fields and map the status through table; InvalidDeliveryReport when unreadable.

    phone (the recipient as the provider wrote it) is kept only when it is an E.164 number or, on WhatsApp, a
    business-scoped id.
    """
    phone = (phone or "").strip()
    whatsapp = phone.lower().startswith("whatsapp:")
    phone = phone[len("whatsapp:"):] if whatsapp else phone
    phone = phone if is_e164(phone) or (whatsapp and is_business_scoped_id(phone)) else None
    message_id = (form.get(id_field) or "").strip()
    raw_status = (form.get(status_field) or "").strip()
    if not message_id:
        raise InvalidDeliveryReport(f"missing {id_field}")
    if len(message_id) > MAX_MESSAGE_ID:
        raise InvalidDeliveryReport(f"{id_field} too long")
    if has_control_characters(message_id):
        raise InvalidDeliveryReport(f"{id_field} has control characters")
    if not raw_status:
        raise InvalidDeliveryReport(f"missing {status_field}")
    if raw_status not in table:
        # Shown in the 400 answer and the provider's console, never stored; cut so a long value stays short.
        raise InvalidDeliveryReport(f"unknown {status_field} {clean_body(raw_status)[:40]!r}")
    status = table[raw_status]
    if status != "failed":
        return DeliveryReport(message_id, status, phone=phone)
    # Unknown reasons are kept as opaque text; control characters and excess length go.
    text = clean_body(reason or "")[:MAX_REASON] or raw_status
    return DeliveryReport(message_id, status, text, phone)

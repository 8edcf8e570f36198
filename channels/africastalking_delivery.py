"""Africa's Talking SMS delivery reports (providers §2b) mapped to the one delivery status set."""
from __future__ import annotations

from typing import Mapping

from channels.delivery import DeliveryReport, build_report

# Sent, Submitted and Buffered are in progress; Success means on the handset; Expired is seen and is a failure.
AT_DELIVERY_STATUSES: dict[str, str | None] = {
    "Sent": "sent",
    "Submitted": "sent",
    "Buffered": "sent",
    "Success": "delivered",
    "Rejected": "failed",
    "Failed": "failed",
    "Expired": "failed",
}


def parse_africastalking_delivery(form: Mapping[str, str]) -> DeliveryReport:
    """Read `id` and `status`; a failure keeps `failureReason` (or the status itself) as its reason."""
    return build_report(form, "id", "status", AT_DELIVERY_STATUSES, form.get("failureReason"),
                        form.get("phoneNumber"))

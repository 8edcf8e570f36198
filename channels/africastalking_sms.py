"""Africa's Talking incoming SMS: the form AT posts to our callback (providers §2a), as an InboundText."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

from casecore.base import utcnow
from channels.inbound import InboundText, required

PROVIDER = "africastalking"


def parse_africastalking_sms(form: Mapping[str, str]) -> InboundText:
    """Read AT's fields `from`, `to`, `text`, `date`, `id`; unknown fields are ignored, an empty text is valid."""
    return InboundText(
        provider=PROVIDER,
        channel="sms",
        message_id=required(form, "id"),
        phone=required(form, "from"),
        to_address=(form.get("to") or "").strip(),
        body=form.get("text") or "",
        received_at=parse_at_date(form.get("date")),
    )


def parse_at_date(raw: str | None) -> datetime:
    """AT's `date` in UTC; the formats seen are `...T06:04:45Z`, `... 06:04:45` and `...T08:34:18.445Z`."""
    try:
        # Python 3.11 reads all three (a `Z`, a space for `T`, milliseconds); a time without a zone is UTC.
        parsed = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        # The date is informative only: a garbled one must not lose the message.
        return utcnow()
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)

"""A backend for local runs: shows the SMS on stdout as a phone would; the outbox row is the record."""
from __future__ import annotations

import sys
import uuid
from typing import Any, Mapping, TextIO

from casecore.phones import mask_phone
from channels.sms.base import OutboundSms, SendResult, SmsBackend


class ConsoleBackend(SmsBackend):
    """Prints each message with the number masked, and always succeeds."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "ConsoleBackend":
        """Build from settings; the console backend needs none."""
        return cls()

    def send(self, sms: OutboundSms) -> SendResult:
        """Print sms like a phone screen and return a generated id."""
        # Looked up at send time so pytest's capsys (which swaps sys.stdout) sees the output.
        stream = self._stream or sys.stdout
        lines = [f"+-- SMS to {mask_phone(sms.to)} --", *(f"| {line}" for line in sms.body.splitlines()), "+--"]
        stream.write("\n".join(lines) + "\n")
        stream.flush()
        return SendResult.sent(f"console-{uuid.uuid4()}")

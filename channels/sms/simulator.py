"""The web view's simulator: replies are kept in the outbox for the simulated phone to show, never sent out."""
from __future__ import annotations

import uuid
from typing import Any, Mapping

from channels.sms.base import OutboundSms, SendResult, SmsBackend


class SimulatorBackend(SmsBackend):
    """Accepts every message at once; the simulator page reads it back from the outbox."""

    name = "simulator"

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "SimulatorBackend":
        """Nothing to configure."""
        return cls()

    def send(self, sms: OutboundSms) -> SendResult:
        """Mark the message sent; it never leaves the database."""
        return SendResult.sent(f"sim-{uuid.uuid4().hex}")

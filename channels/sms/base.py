"""Channel-neutral values for outbound SMS and the interface every backend implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# unknown: the request may have reached the provider but no readable answer came back (a read timeout, a cut-off
# body); sending again could send twice, so the outbox finds out first (find_sent, delivery reports).
SendStatus = Literal["sent", "retry", "failed", "unknown"]
Channel = Literal["sms", "whatsapp"]
CHANNELS = ("sms", "whatsapp")


class SmsConfigError(ValueError):
    """A backend cannot be built from the options given (unknown name, missing key)."""


@dataclass(frozen=True)
class OutboundSms:
    """One text message to one E.164 number, by SMS or WhatsApp; options are quick-reply labels a backend may use."""

    to: str
    body: str
    channel: Channel = "sms"
    options: tuple[str, ...] = ()
    # An approved WhatsApp template (Twilio ContentSid) sent instead of the body, outside the 24-hour window.
    template_sid: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}; choose one of {', '.join(CHANNELS)}")
        # A list given by a caller would make the value unhashable and mutable behind the frozen dataclass.
        object.__setattr__(self, "options", tuple(self.options))


@dataclass(frozen=True)
class SendResult:
    """What a backend made of one send: sent (with the provider's id), retry later, or failed for good."""

    status: SendStatus
    provider_message_id: str | None = None
    reason: str | None = None
    # Seconds the provider asked us to wait (HTTP Retry-After), for a retry.
    retry_after: float | None = None

    @classmethod
    def sent(cls, provider_message_id: str | None) -> "SendResult":
        """The provider accepted the message."""
        return cls("sent", provider_message_id, None)

    @classmethod
    def retry(cls, reason: str, retry_after: float | None = None) -> "SendResult":
        """A temporary problem, and the provider surely did not take the message: it may go through later."""
        return cls("retry", None, reason, retry_after)

    @classmethod
    def unknown(cls, reason: str) -> "SendResult":
        """The provider may or may not have taken the message: find out before sending it again."""
        return cls("unknown", None, reason)

    @classmethod
    def failed(cls, reason: str) -> "SendResult":
        """A permanent problem: sending the same message again would fail the same way."""
        return cls("failed", None, reason)


@dataclass(frozen=True)
class Lookup:
    """What a provider's records say about a message whose sending was interrupted."""

    found: bool | None  # True: the provider has it; False: surely not; None: the provider cannot tell
    provider_message_id: str | None = None


class SmsBackend(ABC):
    """Sends one SMS; never raises for provider or network trouble, it returns a SendResult instead."""

    name: str = ""
    # How many SMS of one text send_many takes in one call to the provider (1: no bulk sending).
    batch_size: int = 1

    @abstractmethod
    def send(self, sms: OutboundSms) -> SendResult:
        """Send sms and say what happened."""

    def send_many(self, messages: list[OutboundSms]) -> list[SendResult]:
        """Send messages (the same text to different numbers), one result each, in order; one call each unless the
        backend sends in bulk."""
        return [self.send(sms) for sms in messages]

    def find_sent(self, sms: OutboundSms, since: datetime, exclude: frozenset[str] = frozenset()) -> Lookup:
        """Whether the provider took sms at or after since (ids in exclude are other messages'); None by default."""
        return Lookup(None)

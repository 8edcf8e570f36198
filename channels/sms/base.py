"""Channel-neutral values for outbound SMS and the interface every backend implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

SendStatus = Literal["sent", "retry", "failed"]
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

    @classmethod
    def sent(cls, provider_message_id: str | None) -> "SendResult":
        """The provider accepted the message."""
        return cls("sent", provider_message_id, None)

    @classmethod
    def retry(cls, reason: str) -> "SendResult":
        """A temporary problem: the same message may go through later."""
        return cls("retry", None, reason)

    @classmethod
    def failed(cls, reason: str) -> "SendResult":
        """A permanent problem: sending the same message again would fail the same way."""
        return cls("failed", None, reason)


class SmsBackend(ABC):
    """Sends one SMS; never raises for provider or network trouble, it returns a SendResult instead."""

    name: str = ""

    @abstractmethod
    def send(self, sms: OutboundSms) -> SendResult:
        """Send sms and say what happened."""

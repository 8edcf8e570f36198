"""Outbound SMS: channel-neutral values and the one place where backends are registered."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from channels.sms.africastalking import AfricasTalkingBackend
from channels.sms.base import OutboundSms, SendResult, SmsBackend, SmsConfigError
from channels.sms.console import ConsoleBackend
from channels.sms.simulator import SimulatorBackend
from channels.sms.twilio import TwilioBackend

BACKENDS: dict[str, Callable[[Mapping[str, Any]], SmsBackend]] = {
    ConsoleBackend.name: ConsoleBackend.from_options,
    SimulatorBackend.name: SimulatorBackend.from_options,
    AfricasTalkingBackend.name: AfricasTalkingBackend.from_options,
    TwilioBackend.name: TwilioBackend.from_options,
}

__all__ = ["BACKENDS", "OutboundSms", "SendResult", "SmsBackend", "SmsConfigError", "make_sms_backend"]


def make_sms_backend(name: str, options: Mapping[str, Any]) -> SmsBackend:
    """The backend registered under name, configured from options (settings as a plain mapping)."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise SmsConfigError(f"unknown SMS backend {name!r}; choose one of {', '.join(sorted(BACKENDS))}") from None
    return factory(options)

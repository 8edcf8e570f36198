"""The channel-neutral inbound text message that every SMS and WhatsApp provider adapter produces."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Mapping

TextChannel = Literal["sms", "whatsapp"]
CHANNELS = ("sms", "whatsapp")
# Twilio's Body limit (providers §4); anything longer is not a person typing, and the database has a ceiling.
MAX_BODY = 1600
# Provider ids are UUIDs (AT) or 34-character SIDs (Twilio); a much longer one is garbage.
MAX_MESSAGE_ID = 128
_E164 = re.compile(r"\+[1-9]\d{6,14}")


class InvalidInbound(ValueError):
    """A posted form is not an inbound message we can store and answer; the message says what is wrong."""


@dataclass(frozen=True)
class InboundText:
    """One text received on SMS or WhatsApp: who sent it, to which address, what it says and when."""

    provider: str
    channel: TextChannel
    message_id: str
    phone: str
    to_address: str
    body: str
    received_at: datetime
    num_media: int = 0

    def __post_init__(self) -> None:
        # Checked here so that every adapter, and any test building one by hand, gets the same guarantees.
        if self.channel not in CHANNELS:
            raise InvalidInbound(f"unknown channel {self.channel!r}")
        if not self.message_id:
            raise InvalidInbound("missing message id")
        if len(self.message_id) > MAX_MESSAGE_ID:
            raise InvalidInbound("message id too long")
        if not _E164.fullmatch(self.phone):
            # The number itself stays out of the message: errors end up in logs.
            raise InvalidInbound("sender is not an E.164 phone number")
        if self.received_at.tzinfo is None:
            raise InvalidInbound("received_at must be timezone-aware")
        if self.num_media < 0:
            raise InvalidInbound("num_media must not be negative")
        object.__setattr__(self, "body", clean_body(self.body))
        object.__setattr__(self, "received_at", self.received_at.astimezone(timezone.utc))


def clean_body(text: str) -> str:
    """The text as sent, without surrounding whitespace or control characters (newlines stay), at most 1,600."""
    kept = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    return kept.strip()[:MAX_BODY].rstrip()


def required(form: Mapping[str, str], *names: str) -> str:
    """The first of names present and non-blank in form, stripped; InvalidInbound naming them otherwise."""
    for name in names:
        value = (form.get(name) or "").strip()
        if value:
            return value
    raise InvalidInbound("missing " + " or ".join(names))

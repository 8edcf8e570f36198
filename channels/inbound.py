"""The channel-neutral inbound text message that every SMS and WhatsApp provider adapter produces."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Mapping
from urllib.parse import urlsplit

from casecore.phones import is_business_scoped_id

TextChannel = Literal["sms", "whatsapp"]
CHANNELS = ("sms", "whatsapp")
# Twilio's Body limit (providers §4); anything longer is not a person typing, and the database has a ceiling.
MAX_BODY = 1600
# Provider ids are UUIDs (AT) or 34-character SIDs (Twilio); a much longer one is garbage.
MAX_MESSAGE_ID = 128
_E164 = re.compile(r"\+[1-9]\d{6,14}")
# Unicode's control characters (category Cc: C0, DEL and C1), a set the standard fixes for good: a pattern finds them
# without a Python call per character (looking up each one's category was one).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
# Twilio sends at most 10 media with a message (providers §3f); a URL much longer than theirs is not theirs.
MAX_MEDIA = 10
MAX_MEDIA_URL = 1000
MAX_CONTENT_TYPE = 100


class InvalidInbound(ValueError):
    """A posted form is not an inbound message we can store and answer; the message says what is wrong."""


@dataclass(frozen=True)
class InboundMedia:
    """A photo or file sent with a message: the provider's URL for it and the content type it declared."""

    url: str
    content_type: str

    def __post_init__(self) -> None:
        # The sender's device chose it: a garbled one (a NUL PostgreSQL refuses) must not lose the message.
        object.__setattr__(self, "content_type", without_control_characters(self.content_type)[:MAX_CONTENT_TYPE])


@dataclass(frozen=True)
class InboundText:
    """One text received on SMS or WhatsApp: who sent it, to which address, what it says and when."""

    provider: str
    channel: TextChannel
    message_id: str
    # E.164; on WhatsApp it may instead be a business-scoped user id (casecore.phones), the person's number hidden.
    phone: str
    to_address: str
    body: str
    received_at: datetime
    num_media: int = 0
    # The media the adapter could read (at most MAX_MEDIA, http(s) URLs only), in the provider's order.
    media: tuple[InboundMedia, ...] = ()

    def __post_init__(self) -> None:
        # Checked here so that every adapter, and any test building one by hand, gets the same guarantees.
        if self.channel not in CHANNELS:
            raise InvalidInbound(f"unknown channel {self.channel!r}")
        if not self.message_id:
            raise InvalidInbound("missing message id")
        if len(self.message_id) > MAX_MESSAGE_ID:
            raise InvalidInbound("message id too long")
        if has_control_characters(self.message_id):
            raise InvalidInbound("message id has control characters")
        if not (is_e164(self.phone) or self.channel == "whatsapp" and is_business_scoped_id(self.phone)):
            # The number itself stays out of the message: errors end up in logs.
            raise InvalidInbound("sender is not an E.164 phone number" if self.channel == "sms" else
                                 "sender is not an E.164 phone number nor a WhatsApp business-scoped id")
        if self.received_at.tzinfo is None:
            raise InvalidInbound("received_at must be timezone-aware")
        if self.num_media < 0:
            raise InvalidInbound("num_media must not be negative")
        if len(self.media) > MAX_MEDIA or not all(media_url_is_usable(m.url) for m in self.media):
            raise InvalidInbound(f"at most {MAX_MEDIA} media, each with an http(s) URL")
        object.__setattr__(self, "body", clean_body(self.body))
        # Informative only (our own number): a garbled one must not lose the message, nor reach the database.
        object.__setattr__(self, "to_address", without_control_characters(self.to_address))
        object.__setattr__(self, "received_at", self.received_at.astimezone(timezone.utc))


def clean_body(text: str) -> str:
    """The text as sent, without surrounding whitespace or control characters (newlines stay), at most 1,600."""
    return _CONTROL_BUT_NEWLINE.sub("", text).strip()[:MAX_BODY].rstrip()


def is_e164(text: str) -> bool:
    """Whether text is a phone number in E.164 (`+` and 7 to 15 digits), the only shape providers send us."""
    return _E164.fullmatch(text) is not None


def without_control_characters(text: str) -> str:
    """text without control characters (NUL, ESC, newlines...) nor surrounding whitespace."""
    return _CONTROL.sub("", text).strip()


def has_control_characters(text: str) -> bool:
    """Whether text holds a control character (NUL, ESC...): no provider's id does, and PostgreSQL refuses NUL."""
    return _CONTROL.search(text) is not None


def required(form: Mapping[str, str], *names: str) -> str:
    """The first of names present and non-blank in form, stripped; InvalidInbound naming them otherwise."""
    for name in names:
        value = (form.get(name) or "").strip()
        if value:
            return value
    raise InvalidInbound("missing " + " or ".join(names))


def media_url_is_usable(url: str) -> bool:
    """Whether url is an absolute http(s) URL of sensible length, with a host, that a worker may fetch."""
    if not url or len(url) > MAX_MEDIA_URL or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)

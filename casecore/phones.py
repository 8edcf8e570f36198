"""Phone numbers: everything stored is E.164; everything shown in a list is masked.

A community member may also write from a WhatsApp business-scoped user id (`US.13491208655302741918`) when they hide
their number behind a WhatsApp username: an address of its own kind, kept as it came, keyed and masked like a
number, never read as one. Such a person is reached on WhatsApp only: never by SMS, never called.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

import phonenumbers

from casecore.errors import InvalidInput, InvalidPhoneNumber

PHONE_KEY_LENGTH = 32
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_E164_SHAPE = re.compile(r"\+[1-9]\d{5,14}")
# Meta's shape for a business-scoped user id (BSUID), which Twilio posts as `whatsapp:<id>` in place of a number: an
# ISO 3166 country code, a dot, up to 128 letters and digits; a parent id puts `ENT.` after the country code.
_ID_SHAPE = r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}"
_BUSINESS_SCOPED_ID = re.compile(_ID_SHAPE)
_BUSINESS_SCOPED_ID_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9.]){_ID_SHAPE}(?![A-Za-z0-9])")
WHATSAPP_PREFIX = "whatsapp:"
# Stars shown for the hidden part of a business-scoped id, whatever its length: its length tells nothing anyway.
_ID_STARS = 8


def is_business_scoped_id(address: str | None) -> bool:
    """Whether address (with or without "whatsapp:") is a WhatsApp business-scoped user id rather than a number:
    the one test of who can be reached on WhatsApp only, never by SMS nor by a call."""
    return _BUSINESS_SCOPED_ID.fullmatch(_compact(address)) is not None


def hide_business_scoped_ids(text: str, hidden: str | None = None) -> str:
    """text with every business-scoped id in it replaced by hidden, or masked (mask_phone) when hidden is None:
    a provider's free-text reason may quote the recipient."""
    return _BUSINESS_SCOPED_ID_IN_TEXT.sub(lambda m: mask_phone(m.group()) if hidden is None else hidden, text)


def sender_address(raw: str) -> str:
    """Whom a message came from, as stored: a WhatsApp business-scoped id as it came (without "whatsapp:"),
    otherwise the number in E.164 (sender_phone); InvalidPhoneNumber for anything else."""
    text = _compact(raw)
    return text if is_business_scoped_id(text) else sender_phone(raw)


def normalise_phone(raw: str, default_region: str | None = None) -> str:
    """Return raw as E.164, reading national formats in default_region; raise InvalidPhoneNumber otherwise."""
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    if not text:
        raise InvalidPhoneNumber("empty phone number")
    if is_business_scoped_id(text):
        # Told apart before any parsing: the phone-number library must never read one as digits.
        raise InvalidPhoneNumber("a WhatsApp business-scoped id is not a phone number")
    e164 = _parsed(text, None if text.startswith("+") else default_region)
    if e164 is None:
        raise InvalidPhoneNumber("unreadable phone number: give it in international form, e.g. +22376701430")
    if not e164:
        raise InvalidPhoneNumber("not a valid phone number")
    return e164


@lru_cache(maxsize=4096)
def _parsed(text: str, region: str | None) -> str | None:
    """E.164 for text, "" for a number that is not valid, None for text that is no number: remembered, being a pure
    function of its arguments, and parsing is most of what keying a number costs (every USSD step, every message)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str | None) -> str:
    """Hide all but the country code and the last two digits: +223******30 (a business-scoped id: US.********18)."""
    if not e164:
        return ""
    if is_business_scoped_id(e164):
        return _mask_business_scoped(_compact(e164))
    digits = e164.lstrip("+")
    try:
        country = str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        country = ""
    hidden = len(digits) - len(country) - 2
    if hidden <= 0:
        return "*" * len(e164)
    return f"+{country}{'*' * hidden}{digits[-2:]}"


def _mask_business_scoped(address: str) -> str:
    country, rest = address[:2], address[3:]
    if len(rest) <= 4:
        return f"{country}.{'*' * len(rest)}"
    return f"{country}.{'*' * _ID_STARS}{rest[-2:]}"


def sender_phone(raw: str) -> str:
    """A number as a provider sent it, in E.164 (no "whatsapp:"); InvalidPhoneNumber unless it is international.

    Numbers the phone-number library does not know yet (a new mobile range) are kept as sent when they have the
    shape of E.164: a message from a real person must not be refused because the library's metadata is behind.
    """
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber:
        text = _compact(raw)
        if _E164_SHAPE.fullmatch(text):
            return text
        raise


def contact_phone(raw: str, default_region: str | None = None) -> str:
    """A number someone gave, in E.164: national forms read in default_region, and international numbers from ranges
    the library does not know yet kept as given (sender_phone); InvalidPhoneNumber otherwise."""
    try:
        return normalise_phone(raw, default_region)
    except InvalidPhoneNumber:
        return sender_phone(raw)


def phone_key(phone: str, secret: str) -> str:
    """A keyed hash of an E.164 number or a business-scoped id (32 hex characters): lets the same sender be recognised
    without keeping its address."""
    if not secret:
        # Without a key the hash of a phone number can be reversed by trying every number.
        raise InvalidInput("a secret is required to key phone numbers")
    try:
        canonical = sender_address(phone)
    except InvalidPhoneNumber:
        # Whatever a provider sent still gets a stable key: keying must never lose a report.
        canonical = _compact(phone)
        if not canonical:
            raise
    digest = hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:PHONE_KEY_LENGTH]


def _compact(raw: str | None) -> str:
    text = "".join((raw or "").split())
    return text[len(WHATSAPP_PREFIX):] if text.lower().startswith(WHATSAPP_PREFIX) else text

"""Phone numbers: everything stored is E.164; everything shown in a list is masked."""
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


def normalise_phone(raw: str, default_region: str | None = None) -> str:
    """Return raw as E.164, reading national formats in default_region; raise InvalidPhoneNumber otherwise."""
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    if not text:
        raise InvalidPhoneNumber("empty phone number")
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
    """Hide all but the country code and the last two digits: +223******30."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    try:
        country = str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        country = ""
    hidden = len(digits) - len(country) - 2
    if hidden <= 0:
        return "*" * len(e164)
    return f"+{country}{'*' * hidden}{digits[-2:]}"


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
    """A keyed hash of an E.164 number (32 hex characters): lets the same number be recognised without keeping it."""
    if not secret:
        # Without a key the hash of a phone number can be reversed by trying every number.
        raise InvalidInput("a secret is required to key phone numbers")
    try:
        canonical = sender_phone(phone)
    except InvalidPhoneNumber:
        # Whatever a provider sent still gets a stable key: keying must never lose a report.
        canonical = _compact(phone)
        if not canonical:
            raise
    digest = hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:PHONE_KEY_LENGTH]


def _compact(raw: str | None) -> str:
    text = "".join((raw or "").split())
    return text[len("whatsapp:"):] if text.lower().startswith("whatsapp:") else text

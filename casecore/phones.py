"""Phone numbers: everything stored is E.164; everything shown in a list is masked."""
from __future__ import annotations

import phonenumbers

from casecore.errors import InvalidPhoneNumber


def normalise_phone(raw: str, default_region: str | None = None) -> str:
    """Return raw as E.164, reading national formats in default_region; raise InvalidPhoneNumber otherwise."""
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    if not text:
        raise InvalidPhoneNumber("empty phone number")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber("unreadable phone number: give it in international form, e.g. +22376701430") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("not a valid phone number")
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

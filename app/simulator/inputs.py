"""What the simulator page posts, checked before anything is played: each problem is a reason shown to the user."""
from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timezone
from functools import lru_cache
from typing import Mapping

from casecore.errors import InvalidPhoneNumber
from casecore.i18n import N_
from casecore.phones import PHONE_KEY_LENGTH, contact_phone
from channels.africastalking_ussd import MAX_INPUTS
from channels.inbound import MAX_BODY, clean_body

log = logging.getLogger(__name__)

CHANNELS = ("ussd", "sms")
# SIMULATOR_NUMBERS written as this switches the simulator off (an empty environment variable keeps the default).
SWITCHED_OFF = "off"
# The audit event's object_id (64 characters) holds the session id, ":" and the number's key (play.py).
MAX_SESSION_ID = 64 - 1 - PHONE_KEY_LENGTH
# Real AT session ids start "ATUid_"; the prefix keeps a simulated session from ever continuing a real one.
_SESSION_ID = re.compile(rf"SIM-[A-Za-z0-9_-]{{8,{MAX_SESSION_ID - 4}}}")
# A person answers a dozen or two screens; a path this long is not a conversation.
MAX_TEXT = 1000
MAX_PHONE = 32


class BadInput(ValueError):
    """The posted values cannot be played; the reason is an English msgid of the web catalogue, never the value."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason % params if params else reason)
        self.reason = reason
        self.params = params

    def translated(self, gettext) -> str:
        """The reason in the reader's language."""
        text = gettext(self.reason)
        return text % self.params if self.params else text


def new_session_id() -> str:
    """A fresh simulated USSD session id, SIM-<random>."""
    return f"SIM-{secrets.token_hex(12)}"


def read_channel(value: str | None) -> str:
    """The channel asked for; USSD unless SMS is named."""
    return value if value in CHANNELS else "ussd"


@lru_cache(maxsize=8)
def allowed_phones(setting: str, default_region: str) -> tuple[str, ...]:
    """The numbers SIMULATOR_NUMBERS lets the simulator play as, E.164, in order; () when it is switched off.

    An entry that is not a phone number is left out (and logged by its position, never its text): the simulator
    must never play as a number nobody meant to list.
    """
    if setting.strip().lower() == SWITCHED_OFF:
        return ()
    numbers: list[str] = []
    for position, entry in enumerate(setting.split(","), start=1):
        if not entry.strip():
            continue
        try:
            number = contact_phone(entry, default_region)
        except InvalidPhoneNumber:
            log.warning("SIMULATOR_NUMBERS entry %d is not a phone number; the simulator leaves it out", position)
            continue
        if number not in numbers:
            numbers.append(number)
    return tuple(numbers)


def read_phone(form: Mapping[str, str], default_region: str, allowed: tuple[str, ...]) -> str:
    """The simulated phone number as E.164, which must be one of the allowed test numbers."""
    raw = (form.get("phone") or "").strip()
    if not raw:
        raise BadInput(N_("The phone number is missing."))
    if len(raw) > MAX_PHONE:
        raise BadInput(N_("The phone number is too long."))
    try:
        # National forms read in default_region, new ranges kept as sent, as the webhooks keep them.
        phone = contact_phone(raw, default_region)
    except InvalidPhoneNumber:
        reason = N_("This is not a valid phone number. Give it in international form, e.g. +22376000100.")
        raise BadInput(reason) from None
    if phone not in allowed:
        # Playing as any other number would act for a real person: their reports, their opt-out, their case.
        raise BadInput(N_("This number is not a simulator test number; ask an administrator to add it to "
                          "SIMULATOR_NUMBERS."))
    return phone


def read_session_id(form: Mapping[str, str]) -> str:
    """The simulated session id, which must look like SIM-<random>."""
    value = (form.get("session_id") or "").strip()
    if not value:
        raise BadInput(N_("The session id is missing."))
    if not is_session_id(value):
        raise BadInput(N_("The session id must be SIM- followed by 8 to %(limit)s letters, digits, - or _."),
                       limit=MAX_SESSION_ID - 4)
    return value


def read_text_path(form: Mapping[str, str]) -> str:
    """The USSD `text`: every input of the session so far joined with `*` ("" to dial)."""
    if "text" not in form:
        raise BadInput(N_("The USSD text is missing."))
    return check_text_path(form["text"] or "")


def check_text_path(text: str) -> str:
    """text itself when it is short enough to be a person's session."""
    if len(text) > MAX_TEXT:
        raise BadInput(N_("The USSD text is too long (at most %(limit)s characters)."), limit=MAX_TEXT)
    if text and text.count("*") + 1 > MAX_INPUTS:
        raise BadInput(N_("The USSD text is too long (at most %(limit)s answers)."), limit=MAX_INPUTS)
    return text


def extend_path(path: str, answer: str) -> str:
    """The path after one more answer, as AT builds it (the plain form page sends the path and the answer apart)."""
    return check_text_path(f"{path}*{answer}" if path else answer)


def read_body(form: Mapping[str, str]) -> str:
    """The SMS text as a provider would pass it on: control characters and surrounding spaces removed."""
    raw = form.get("body") or ""
    if len(raw) > MAX_BODY:
        raise BadInput(N_("The message is too long (at most %(limit)s characters)."), limit=MAX_BODY)
    body = clean_body(raw)
    if not body:
        raise BadInput(N_("The message is empty."))
    return body


def read_since(value: str | None) -> datetime | None:
    """The start of the thread to show (ISO 8601), UTC; None shows the latest messages."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(N_("The start of the thread must be an ISO 8601 time.")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def is_session_id(value: str | None) -> bool:
    """Whether value looks like a simulated session id."""
    return bool(value) and _SESSION_ID.fullmatch(value) is not None

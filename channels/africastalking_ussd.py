"""Africa's Talking USSD: the form AT posts for each step, and the CON/END text it expects back (providers §1)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from channels.inbound import has_control_characters, is_e164
from channels.text import to_ascii

log = logging.getLogger(__name__)

SCREEN_LIMIT = 160
# A real session has a dozen or two inputs; a path far longer is garbage or abuse, not a person.
MAX_INPUTS = 100


class InvalidUssdRequest(ValueError):
    """The posted form is not a USSD step we can answer; the message says what is wrong."""


class TooManyInputs(InvalidUssdRequest):
    """A well-formed step of a session gone on far too long: its caller is owed a last screen, not an error."""

    def __init__(self, step: "UssdRequest"):
        super().__init__("too many inputs in one session")
        self.step = step


@dataclass(frozen=True)
class UssdRequest:
    """One USSD step, channel-neutral: who, which session, and every input so far."""

    session_id: str
    service_code: str
    phone: str
    network_code: str
    inputs: tuple[str, ...]


def parse_ussd_request(form: Mapping[str, str]) -> UssdRequest:
    """Read AT's form fields; `text` is every input of the session joined with `*` ("" on the first step)."""
    missing = [name for name in ("sessionId", "phoneNumber") if not (form.get(name) or "").strip()]
    if missing:
        raise InvalidUssdRequest("missing " + ", ".join(missing))
    if "text" not in form:
        raise InvalidUssdRequest("missing text")
    phone = form["phoneNumber"].strip()
    if not is_e164(phone):
        # AT sends the caller's number in E.164 with its `+` (providers §1); anything else cannot be a caller.
        # The number itself stays out of the answer: errors end up in logs.
        raise InvalidUssdRequest("phoneNumber is not an E.164 phone number")
    session_id = form["sessionId"].strip()[:128]
    if has_control_characters(session_id):
        raise InvalidUssdRequest("sessionId has control characters")
    text = form.get("text") or ""
    inputs = tuple(text.split("*")) if text else ()
    step = UssdRequest(
        session_id=session_id,
        service_code=(form.get("serviceCode") or "").strip(),
        phone=phone,
        network_code=(form.get("networkCode") or "").strip(),
        inputs=inputs[:MAX_INPUTS],
    )
    if len(inputs) > MAX_INPUTS:
        raise TooManyInputs(step)
    return step


def ussd_length(text: str) -> int:
    """How many characters text takes on a USSD screen once respelt in ASCII (ɲ becomes ny, é becomes e)."""
    return len(to_ascii(text))


def render_ussd(text: str, final: bool) -> str:
    """The response body: `CON ` waits for input, `END ` closes; plain ASCII within one screen."""
    # A question screen is one of a few hundred (prompts, options, places, in each language): respelt once per
    # process. Last screens carry a report's reference, so they are respelt each time and never kept.
    body = ("END " + to_ascii(text)) if final else _question_screen(text)
    if len(body) > SCREEN_LIMIT:
        # The dialogs size screens with ussd_length; cutting is the last resort so the telco never drops it.
        log.warning("USSD screen of %d characters cut to %d", len(body), SCREEN_LIMIT)
    return body[:SCREEN_LIMIT]


@lru_cache(maxsize=1024)
def _question_screen(text: str) -> str:
    # Respelling French accents took about 12 µs of a 250 µs USSD step.
    return "CON " + to_ascii(text)

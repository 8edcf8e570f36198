"""Twilio inbound SMS and WhatsApp (providers §3a) and the request signature that proves Twilio sent it (§3d).

Someone who hides their number behind a WhatsApp username writes from a business-scoped user id: Twilio then puts
`whatsapp:<id>` (`whatsapp:US.13491208655302741918`) in `From`, and the same in `ExternalUserId`; with the number
visible, `From` holds the number and `ExternalUserId` the id. `From` alone names the sender: `WaId` (the number's
digits) is never read, so it may be absent or carry anything.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from typing import Callable, Mapping, Sequence
from urllib.parse import urlparse

from twilio.request_validator import add_port, remove_port

from casecore.base import utcnow
from casecore.phones import is_business_scoped_id
from channels.inbound import (
    MAX_MEDIA,
    InboundMedia,
    InboundText,
    is_e164,
    media_url_is_usable,
    required,
)

PROVIDER = "twilio"
WHATSAPP_PREFIX = "whatsapp:"
# We answer through the Messages API, never inline; Twilio flags an empty or non-XML body as an error.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def parse_twilio_message(form: Mapping[str, str],
                         buttons_sent: Callable[[str], Sequence[str]] | None = None) -> InboundText:
    """Read Twilio's fields; `whatsapp:` on `From` makes it WhatsApp, a quick reply's ButtonPayload is the body.

    On WhatsApp the sender is a number or a business-scoped user id, kept as sent (InboundText checks which).
    A tap that comes with its ButtonText and no ButtonPayload is read as the option that button titles among
    buttons_sent(sender), the titles of the quick replies last sent to it (button_answer).
    """
    sender = required(form, "From")
    channel = "whatsapp" if sender.lower().startswith(WHATSAPP_PREFIX) else "sms"
    phone = _strip_whatsapp(sender)
    body = form.get("Body") or ""
    payload = (form.get("ButtonPayload") or "").strip()
    title = (form.get("ButtonText") or "").strip()
    if channel == "whatsapp" and payload:
        body = payload  # we set each quick reply's payload to its option number
    elif channel == "whatsapp" and title:
        # A sender that is neither a number nor an id is refused below: no need to look up what was sent to it.
        known = is_e164(phone) or is_business_scoped_id(phone)
        body = button_answer(title, buttons_sent(phone) if buttons_sent and known else ())
    return InboundText(
        provider=PROVIDER,
        channel=channel,
        message_id=required(form, "MessageSid", "SmsSid", "SmsMessageSid"),
        phone=phone,
        to_address=_strip_whatsapp((form.get("To") or "").strip()),
        body=body,
        received_at=utcnow(),  # Twilio's message webhook carries no timestamp
        num_media=_count(form.get("NumMedia")),
        media=_media(form),
    )


def button_answer(title: str, titles: Sequence[str]) -> str:
    """The answer a tapped button gives when Twilio sends its title without its payload (older WhatsApp clients,
    template buttons): its option number among titles, the buttons we sent, as its payload would have said; else
    the title itself, read as typed text.

    The title is what the person saw on the button: our option's label in their language, so it is compared with
    the labels we sent (case and Unicode form aside), never guessed from other words.
    """
    wanted = _comparable(title)
    for number, sent in enumerate(titles, start=1):
        if _comparable(sent) == wanted:
            return str(number)
    return title


def _comparable(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def twilio_signature_is_valid(url: str, form: Mapping[str, str], signature: str, auth_token: str) -> bool:
    """Whether signature (X-Twilio-Signature) is Twilio's for this public url and form under auth_token.

    As twilio's RequestValidator decides, the URL with or without its default port (Twilio signs either), at half
    its cost on a good signature: the second is computed only when the first does not match, and the form is read
    once (the validator asks a dict for getall and getlist first: two exceptions per field, twice).
    """
    if not (signature and auth_token):
        return False
    key, given, fields = auth_token.encode(), signature.encode(), _signed_fields(form)
    parsed = urlparse(url)
    return any(hmac.compare_digest(twilio_signature(key, candidate, fields), given)
               for candidate in (remove_port(parsed), add_port(parsed)))


def twilio_signature(key: bytes, url: str, fields: str) -> bytes:
    """The X-Twilio-Signature of a POST to url of the form whose _signed_fields are fields (providers §3d)."""
    return base64.b64encode(hmac.new(key, (url + fields).encode(), hashlib.sha1).digest())


def _signed_fields(form: Mapping[str, str]) -> str:
    """Each field's name then value, by name (a repeated field's distinct values in order), no separators."""
    getlist = getattr(form, "getlist", None)  # a MultiDict holds every value of a repeated field
    return "".join(name + value for name in sorted(form)
                   for value in (sorted(set(getlist(name))) if getlist else (form[name],)))


def public_url(base_url: str, path: str, query_string: str | bytes) -> str:
    """The URL Twilio requested and signed, rebuilt from PUBLIC_BASE_URL (behind a TLS proxy request.url is http)."""
    if not base_url.strip():
        raise ValueError("PUBLIC_BASE_URL is not set: Twilio signatures cannot be checked")
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")  # how WSGI hands over the raw query string
    url = base_url.strip().rstrip("/") + "/" + path.lstrip("/")
    query_string = query_string.lstrip("?")
    return f"{url}?{query_string}" if query_string else url


def _strip_whatsapp(address: str) -> str:
    return address[len(WHATSAPP_PREFIX):].strip() if address.lower().startswith(WHATSAPP_PREFIX) else address


def _media(form: Mapping[str, str]) -> tuple[InboundMedia, ...]:
    """MediaUrl{N} with MediaContentType{N}, N from 0; a garbled entry is skipped (the text is never lost for it)."""
    found = []
    # Read whatever NumMedia says (it may be garbled): Twilio numbers them from 0 and sends at most MAX_MEDIA.
    for n in range(MAX_MEDIA):
        url = (form.get(f"MediaUrl{n}") or "").strip()
        if not media_url_is_usable(url):
            continue
        found.append(InboundMedia(url, form.get(f"MediaContentType{n}") or ""))
    return tuple(found)


def _count(raw: str | None) -> int:
    try:
        return max(0, int((raw or "0").strip()))
    except ValueError:
        return 0  # a garbled count must not lose the text; the MediaUrl fields are read separately

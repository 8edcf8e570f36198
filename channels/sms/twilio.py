"""Twilio Messages API (providers §3e) for SMS and WhatsApp, called with `requests` so every call has a timeout."""
from __future__ import annotations

import json
import logging
from typing import Any, Mapping

import requests

from channels.sms.base import OutboundSms, SendResult, SmsBackend, SmsConfigError
from channels.sms.http import post_or_retry, without_numbers
from channels.sms.twilio_content import (
    CONTENT_CACHE_OPTION,
    DEFAULT_CONTENT_API_URL,
    ContentCache,
    ContentCacheError,
    ContentCreationError,
    QuickReply,
    cache_key,
    create_content,
    quick_reply_for,
)

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.twilio.com"
WHATSAPP_PREFIX = "whatsapp:"
MAX_BODY = 1600  # Twilio refuses longer bodies with error 21617
# Twilio error codes that say something about the recipient rather than the request: named reasons for the outbox.
NAMED_ERRORS = {21610: "opted_out", 63016: "outside_whatsapp_window"}
# Refusals of a ContentSid send that say the content is at fault (unknown ContentSid, bad ContentVariables,
# content the channel does not take): the same message then goes as plain text.
CONTENT_ERRORS = {21654, 21655, 21656, 63021}
# ContentVariables refused: this message's text is at fault, not the cached content, which is kept.
VARIABLES_ERROR = 21656


class TwilioBackend(SmsBackend):
    """POSTs one message per call to the Messages API and maps Twilio's answer to a SendResult."""

    name = "twilio"

    def __init__(
        self, *, account_sid: str, auth_token: str, sms_from: str = "", whatsapp_from: str = "",
        api_url: str = DEFAULT_API_URL, timeout: float = 10.0, session: requests.Session | None = None,
        content_api_url: str = DEFAULT_CONTENT_API_URL, quick_replies: bool = True,
        content_cache: ContentCache | None = None,
    ) -> None:
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.timeout = timeout
        self._session = session
        self.content_api_url = content_api_url
        # Without a cache every send would create a content at Twilio: quick replies need one.
        self.quick_replies = quick_replies and content_cache is not None
        self._content_cache = content_cache

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "TwilioBackend":
        """Build from settings: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM, TWILIO_WHATSAPP_FROM..."""
        missing = [key for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not options.get(key)]
        # One sender is enough: a deployment may use Twilio for WhatsApp only and another backend for SMS.
        if not (options.get("TWILIO_SMS_FROM") or options.get("TWILIO_WHATSAPP_FROM")):
            missing.append("TWILIO_SMS_FROM or TWILIO_WHATSAPP_FROM")
        if missing:
            raise SmsConfigError(f"the twilio backend needs {', '.join(missing)}")
        return cls(
            account_sid=options["TWILIO_ACCOUNT_SID"],
            auth_token=options["TWILIO_AUTH_TOKEN"],
            sms_from=options.get("TWILIO_SMS_FROM") or "",
            whatsapp_from=options.get("TWILIO_WHATSAPP_FROM") or "",
            api_url=options.get("TWILIO_API_URL") or DEFAULT_API_URL,
            timeout=float(options.get("PROVIDER_TIMEOUT") or 10.0),
            content_api_url=options.get("TWILIO_CONTENT_API_URL") or DEFAULT_CONTENT_API_URL,
            quick_replies=_enabled(options.get("TWILIO_QUICK_REPLIES", True)),
            content_cache=options.get(CONTENT_CACHE_OPTION),
        )

    def send(self, sms: OutboundSms) -> SendResult:
        """Send sms by SMS or WhatsApp; network trouble and throttling come back as retry, never as an exception."""
        sender = self.whatsapp_from if sms.channel == "whatsapp" else self.sms_from
        if not sender:
            setting = "TWILIO_WHATSAPP_FROM" if sms.channel == "whatsapp" else "TWILIO_SMS_FROM"
            return SendResult.failed(f"{setting} is not set: twilio cannot send {sms.channel} messages")
        if len(sms.body) > MAX_BODY:
            return SendResult.failed(f"body longer than {MAX_BODY} characters")
        params = {"To": _address(sms.to, sms.channel), "From": _address(sender, sms.channel)}
        quick_reply = quick_reply_for(sms) if self.quick_replies else None
        content_sid = self._content_sid(quick_reply) if quick_reply is not None else None
        if quick_reply is not None and content_sid is not None:
            answer = self._post({**params, "ContentSid": content_sid, "ContentVariables": quick_reply.variables})
            if not _refuses_content(answer):
                return self._result(answer, sms.channel)
            code = _code(_json(answer[1]).get("code"))
            log.warning("twilio: quick-reply content %s refused (HTTP %s, code %s); sending plain text", content_sid,
                        answer[0], code)
            if code != VARIABLES_ERROR:
                # A content deleted at Twilio, or one it will not take: create it again next time.
                self._forget(quick_reply)
        # The body lists the options as numbered lines, so a typed number answers just as a button would.
        return self._result(self._post({**params, "Body": sms.body}), sms.channel)

    def _content_sid(self, quick_reply: QuickReply) -> str | None:
        """The ContentSid for these buttons: from the cache, else created at Twilio and cached; None on trouble."""
        assert self._content_cache is not None
        key = cache_key(self.account_sid, quick_reply.titles)
        try:
            sid = self._content_cache.get(key)
        except ContentCacheError as exc:
            log.warning("twilio: content cache unreadable (%s); sending plain text", exc)
            return None
        if sid:
            return sid
        try:
            sid = create_content(self.content_api_url, (self.account_sid, self._auth_token), quick_reply.titles,
                                 self.timeout, self._session)
        except ContentCreationError as exc:
            log.warning("twilio: quick-reply content not created (%s); sending plain text", exc)
            return None
        log.info("twilio: created quick-reply content %s for %d button(s)", sid, len(quick_reply.titles))
        try:
            return self._content_cache.remember(key, sid)
        except ContentCacheError as exc:
            # The content exists: use it now; the next send creates another, which is better than no buttons.
            log.warning("twilio: content cache unwritable (%s)", exc)
            return sid

    def _forget(self, quick_reply: QuickReply) -> None:
        assert self._content_cache is not None
        try:
            self._content_cache.forget(cache_key(self.account_sid, quick_reply.titles))
        except ContentCacheError as exc:
            log.warning("twilio: content cache unwritable (%s)", exc)

    def _post(self, params: dict[str, str]) -> tuple[int, str] | SendResult:
        """POST to the Messages API: Twilio's HTTP status and body, or a retry when no answer came."""
        response = post_or_retry(self.name, self.url, self.timeout, self._session, data=params,
                                 auth=(self.account_sid, self._auth_token), headers={"Accept": "application/json"})
        return response if isinstance(response, SendResult) else (response.status_code, response.text)

    def _result(self, answer: tuple[int, str] | SendResult, channel: str) -> SendResult:
        if isinstance(answer, SendResult):
            return answer
        http_status, body = answer
        result = interpret_response(http_status, body)
        log.info("twilio: %s HTTP %s -> %s %s", channel, http_status, result.status, result.reason or "")
        return result


def interpret_response(http_status: int, body: str) -> SendResult:
    """Map the Messages API's HTTP status and JSON body to sent, retry or failed."""
    data = _json(body)
    if 200 <= http_status < 300:
        sid = data.get("sid")
        if isinstance(sid, str) and sid:
            return SendResult.sent(sid)
        # A cut-off body or a proxy's page: whether Twilio took the message is unknown, and a late duplicate is
        # better than a lost message.
        return SendResult.retry("unreadable answer")
    if http_status in (401, 403):
        return SendResult.failed("bad credentials")
    if http_status in (408, 429) or http_status >= 500:
        return SendResult.retry(f"HTTP {http_status}")
    code = _code(data.get("code"))
    if code in NAMED_ERRORS:
        return SendResult.failed(NAMED_ERRORS[code])
    message = without_numbers(str(data.get("message") or "").strip())
    if code is not None:
        return SendResult.failed(f"Twilio {code}: {message}" if message else f"Twilio {code}")
    detail = without_numbers(body.strip().splitlines()[0]) if body.strip() else ""
    return SendResult.failed(f"HTTP {http_status}: {detail}" if detail else f"HTTP {http_status}")


def _refuses_content(answer: tuple[int, str] | SendResult) -> bool:
    """Whether Twilio refused a ContentSid send because of the content (rather than the recipient or the load)."""
    if isinstance(answer, SendResult):
        return False
    http_status, body = answer
    if not 400 <= http_status < 500 or http_status in (401, 403, 408, 429):
        return False
    data = _json(body)
    code = _code(data.get("code"))
    if code in NAMED_ERRORS:
        return False  # opted out, outside the window: plain text would be refused the same way
    return code in CONTENT_ERRORS or "content" in str(data.get("message") or "").lower()


def _enabled(value: Any) -> bool:
    """A flag from settings (a bool) or from a plain mapping (a string such as "false")."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _address(number: str, channel: str) -> str:
    if channel != "whatsapp" or number.lower().startswith(WHATSAPP_PREFIX):
        return number
    return WHATSAPP_PREFIX + number


def _json(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _code(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None



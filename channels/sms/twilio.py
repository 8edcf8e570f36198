"""Twilio Messages API (providers §3e) for SMS and WhatsApp, called with `requests` so every call has a timeout."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Mapping

import requests

from channels.http import retry_after
from channels.sms.base import Lookup, OutboundSms, SendResult, SmsBackend, SmsConfigError
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
# Twilio's clock and ours may differ a little: a message created this long before the claim may still be ours.
CLOCK_SKEW = timedelta(seconds=60)
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
# Twilio error codes that say something about the recipient or the sender rather than the request: named reasons
# for the outbox. 63017 and 63018 are rate limits (the account over its messages per second; the WhatsApp sender
# over its throughput or WhatsApp's messaging limit): the message was not taken and will go once the limit clears.
NAMED_ERRORS = {21610: "opted_out", 63016: "outside_whatsapp_window", 63017: "rate_limited", 63018: "rate_limited"}
# Errors that say "not now" rather than "never": a send refused with one is tried again after a backoff, like 429.
TEMPORARY_ERRORS = frozenset({63017, 63018})
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
        content_cache: ContentCache | None = None, status_callback: str = "",
    ) -> None:
        self.account_sid = account_sid
        # Where Twilio posts delivery statuses; without it Twilio sends none.
        self.status_callback = status_callback
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
            status_callback=_status_callback(options.get("PUBLIC_BASE_URL") or ""),
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
        if self.status_callback:
            params["StatusCallback"] = self.status_callback
        if sms.template_sid:
            # Outside WhatsApp's 24-hour window only an approved template may go; it carries no case detail.
            return self._result(self._post({**params, "ContentSid": sms.template_sid}), sms.channel)
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

    def find_sent(self, sms: OutboundSms, since: datetime, exclude: frozenset[str] = frozenset()) -> Lookup:
        """Look in the account's messages to sms.to from our sender for one created since then (not in exclude)."""
        sender = self.whatsapp_from if sms.channel == "whatsapp" else self.sms_from
        if not sender:
            return Lookup(None)
        params = {"To": _address(sms.to, sms.channel), "From": _address(sender, sms.channel), "PageSize": "50"}
        try:
            getter = self._session.get if self._session is not None else requests.get
            response = getter(self.url, params=params, auth=(self.account_sid, self._auth_token),
                              headers={"Accept": "application/json"}, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("twilio: message look-up failed (%s)", exc.__class__.__name__)
            return Lookup(None)
        messages = _json(response.text).get("messages") if response.status_code == 200 else None
        if not isinstance(messages, list):
            log.warning("twilio: message look-up answered HTTP %s", response.status_code)
            return Lookup(None)
        # Sent as a content (buttons, a template), Twilio lists the content's text, which cannot be compared.
        plain = not sms.template_sid and (not self.quick_replies or quick_reply_for(sms) is None)
        for message in messages:
            sid = message.get("sid") if isinstance(message, dict) else None
            if isinstance(sid, str) and sid not in exclude and _created_since(message, since - CLOCK_SKEW) \
                    and (not plain or _same_text(message, sms.body)) and not _refused_for_now(message):
                return Lookup(True, sid)
        return Lookup(False)

    def _post(self, params: dict[str, str]) -> tuple[int, str, float | None] | SendResult:
        """POST to the Messages API: Twilio's HTTP status, body and Retry-After, or a result when no answer came."""
        response = post_or_retry(self.name, self.url, self.timeout, self._session, data=params,
                                 auth=(self.account_sid, self._auth_token), headers={"Accept": "application/json"})
        if isinstance(response, SendResult):
            return response
        return response.status_code, response.text, retry_after(response.headers)

    def _result(self, answer: tuple[int, str, float | None] | SendResult, channel: str) -> SendResult:
        if isinstance(answer, SendResult):
            return answer
        http_status, body, wait = answer
        result = interpret_response(http_status, body, wait)
        log.info("twilio: %s HTTP %s -> %s %s", channel, http_status, result.status, result.reason or "")
        return result


def interpret_response(http_status: int, body: str, wait: float | None = None) -> SendResult:
    """Map the Messages API's HTTP status and JSON body to sent, retry, failed or unknown."""
    data = _json(body)
    if 200 <= http_status < 300:
        sid = data.get("sid")
        if isinstance(sid, str) and sid:
            return SendResult.sent(sid)
        # A cut-off body or a proxy's page: whether Twilio took the message is unknown (find_sent will tell).
        return SendResult.unknown("unreadable answer")
    if http_status in (401, 403):
        return SendResult.failed("bad credentials")
    if http_status in (408, 429) or http_status >= 500:
        return SendResult.retry(f"HTTP {http_status}", wait)
    code = _code(data.get("code"))
    if code in TEMPORARY_ERRORS:
        return SendResult.retry(NAMED_ERRORS[code], wait)
    if code in NAMED_ERRORS:
        return SendResult.failed(NAMED_ERRORS[code])
    message = without_numbers(str(data.get("message") or "").strip())
    if code is not None:
        return SendResult.failed(f"Twilio {code}: {message}" if message else f"Twilio {code}")
    detail = without_numbers(body.strip().splitlines()[0]) if body.strip() else ""
    return SendResult.failed(f"HTTP {http_status}: {detail}" if detail else f"HTTP {http_status}")


def _refuses_content(answer: tuple[int, str, float | None] | SendResult) -> bool:
    """Whether Twilio refused a ContentSid send because of the content (rather than the recipient or the load)."""
    if isinstance(answer, SendResult):
        return False
    http_status, body, _ = answer
    if not 400 <= http_status < 500 or http_status in (401, 403, 408, 429):
        return False
    data = _json(body)
    code = _code(data.get("code"))
    if code in NAMED_ERRORS:
        return False  # opted out, outside the window, rate limited: plain text would be refused the same way
    return code in CONTENT_ERRORS or "content" in str(data.get("message") or "").lower()


def _created_since(message: dict[str, Any], since: datetime) -> bool:
    """Whether a listed message's date_created (RFC 2822, as Twilio writes it) is at or after since."""
    try:
        created = parsedate_to_datetime(str(message.get("date_created") or ""))
    except (TypeError, ValueError):
        return False
    return created is not None and created.tzinfo is not None and created >= since


def _refused_for_now(message: dict[str, Any]) -> bool:
    """Whether a listed message is an earlier try Twilio failed for a rate limit: that one never went out, and the
    message it was is being sent again (a status callback with 63018 queues it anew)."""
    return _code(message.get("error_code")) in TEMPORARY_ERRORS


def _same_text(message: dict[str, Any], body: str) -> bool:
    """Whether a listed message carries body: another message to the same number must not be taken for it.

    Twilio puts "Sent from your Twilio trial account - " before the body on trial accounts, hence the suffix.
    """
    listed = message.get("body")
    return not isinstance(listed, str) or listed.endswith(body)


def _status_callback(base_url: str) -> str:
    return base_url.strip().rstrip("/") + STATUS_CALLBACK_PATH if base_url.strip() else ""


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



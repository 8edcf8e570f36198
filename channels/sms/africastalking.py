"""Africa's Talking messaging API (providers §2c), called with `requests` so every call has a timeout."""
from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any, Mapping

import requests

from channels.http import retry_after
from channels.sms.base import OutboundSms, SendResult, SmsBackend, SmsConfigError
from channels.sms.http import post_or_retry, without_numbers

log = logging.getLogger(__name__)

ACCEPTED = {100, 101, 102}  # Processed, Sent, Queued
# Per-recipient codes worth another try (balance topped up, gateway back); every other code is permanent.
RETRYABLE = {405, 500, 501, 502}
# The most recipients of one text in one call (AT's `to` takes a comma-separated list and answers one Recipients
# entry each); AT_BULK_RECIPIENTS chooses up to this many.
MAX_BATCH = 100


class AfricasTalkingBackend(SmsBackend):
    """POSTs a message to one number, or one text to several (bulk), to AT_API_URL and maps AT's answer to a
    SendResult for each number."""

    name = "africastalking"

    def __init__(
        self, *, url: str, username: str, api_key: str, sender_id: str = "", timeout: float = 10.0,
        session: requests.Session | None = None, batch_size: int = 1,
    ) -> None:
        self.url = url
        self.username = username
        self._api_key = api_key
        self.sender_id = sender_id
        self.timeout = timeout
        self._session = session
        self.batch_size = max(1, min(batch_size, MAX_BATCH))

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "AfricasTalkingBackend":
        """Build from settings: AT_API_URL, AT_USERNAME, AT_API_KEY, AT_SENDER_ID, PROVIDER_TIMEOUT,
        AT_BULK_RECIPIENTS."""
        missing = [key for key in ("AT_API_URL", "AT_USERNAME", "AT_API_KEY") if not options.get(key)]
        if missing:
            raise SmsConfigError(f"the africastalking SMS backend needs {', '.join(missing)}")
        return cls(
            url=options["AT_API_URL"],
            username=options["AT_USERNAME"],
            api_key=options["AT_API_KEY"],
            sender_id=options.get("AT_SENDER_ID") or "",
            timeout=float(options.get("PROVIDER_TIMEOUT") or 10.0),
            batch_size=int(options.get("AT_BULK_RECIPIENTS") or 1),
        )

    def send(self, sms: OutboundSms) -> SendResult:
        """Send sms; network trouble and throttling come back as retry, never as an exception."""
        if sms.channel != "sms":
            return SendResult.failed(f"africastalking cannot send {sms.channel} messages, only SMS")
        response = self._post(sms.to, sms.body)
        if isinstance(response, SendResult):
            return response
        result = interpret_response(response.status_code, response.text, retry_after(response.headers))
        log.info("africastalking: HTTP %s -> %s", response.status_code, result.status)
        return result

    def send_many(self, messages: list[OutboundSms]) -> list[SendResult]:
        """One POST for one text to several numbers (AT's bulk sending), each number's own outcome from its
        Recipients entry; anything else one call each."""
        numbers = [sms.to for sms in messages]
        bulk = (len(messages) > 1 and len(set(numbers)) == len(numbers) and {sms.channel for sms in messages} == {"sms"}
                and len({sms.body for sms in messages}) == 1)
        if not bulk:
            return super().send_many(messages)
        response = self._post(",".join(numbers), messages[0].body)
        if isinstance(response, SendResult):
            return [response] * len(messages)
        results = interpret_bulk_response(response.status_code, response.text, numbers,
                                          retry_after(response.headers))
        log.info("africastalking: HTTP %s, %d recipients -> %s", response.status_code, len(numbers),
                 dict(Counter(result.status for result in results)))
        return results

    def _post(self, to: str, message: str) -> requests.Response | SendResult:
        params = {"username": self.username, "to": to, "message": message, "enqueue": "1"}
        if self.sender_id:
            params["from"] = self.sender_id
        headers = {
            "apiKey": self._api_key, "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return post_or_retry(self.name, self.url, self.timeout, self._session, data=params, headers=headers)


def interpret_response(http_status: int, body: str, wait: float | None = None) -> SendResult:
    """Map AT's HTTP status and JSON body for a single recipient to sent, retry, failed or unknown."""
    recipients = _recipients(http_status, body, wait)
    if isinstance(recipients, SendResult):
        return recipients
    return _recipient_result(recipients[0])


# Answers after which AT may have queued the SMS all the same (a timeout in front of it); 429, 502 and 503 say not.
AMBIGUOUS_FOR_A_BATCH = frozenset({408, 500, 504})


def interpret_bulk_response(http_status: int, body: str, numbers: list[str],
                            wait: float | None = None) -> list[SendResult]:
    """Map AT's answer to one call for several numbers to each number's outcome, in the order of numbers.

    A number AT's Recipients do not name may or may not have been taken: unknown, so it is never sent twice.
    """
    recipients = _recipients(http_status, body, wait)
    if isinstance(recipients, SendResult):
        if http_status in AMBIGUOUS_FOR_A_BATCH and len(numbers) > 1:
            # A gateway gave up on a slow call that AT may have taken already: resending would send a whole batch
            # twice. Unknown: settled by delivery reports, never resent blindly.
            return [SendResult.unknown(f"HTTP {http_status}")] * len(numbers)
        return [recipients] * len(numbers)
    by_number = {str(recipient.get("number") or "").strip(): recipient for recipient in recipients}
    return [_recipient_result(by_number[number]) if number in by_number
            else SendResult.unknown("no answer for this recipient") for number in numbers]


def _recipients(http_status: int, body: str, wait: float | None) -> list[dict] | SendResult:
    """AT's Recipients entries, or the one result the whole answer gives every recipient."""
    if http_status == 401:
        return SendResult.failed("unauthorized (check AT_API_KEY)")
    if http_status in (408, 429) or http_status >= 500:
        return SendResult.retry(f"HTTP {http_status}", wait)
    if not 200 <= http_status < 300:
        detail = without_numbers(body.strip().splitlines()[0]) if body.strip() else ""
        return SendResult.failed(f"HTTP {http_status}: {detail}" if detail else f"HTTP {http_status}")
    try:
        data = json.loads(body)["SMSMessageData"]
        recipients = data["Recipients"]
    except (ValueError, KeyError, TypeError):
        # A cut-off body or a proxy's HTML page: whether AT took the message is unknown.
        return SendResult.unknown("unreadable answer")
    if not isinstance(recipients, list) or not recipients:
        # AT answers 2xx with no recipients for a request it refuses outright (e.g. Message "InvalidSenderId").
        message = data.get("Message")
        return SendResult.failed(without_numbers(str(message)) if message else "no recipient accepted")
    return [recipient if isinstance(recipient, dict) else {} for recipient in recipients]


def _recipient_result(recipient: dict) -> SendResult:
    """One Recipients entry: its statusCode, status and messageId, as a SendResult."""
    try:
        code = int(recipient.get("statusCode"))
    except (TypeError, ValueError):
        return SendResult.unknown("unreadable answer")
    status_text = without_numbers(str(recipient.get("status") or f"status {code}"))
    if code in ACCEPTED:
        message_id = recipient.get("messageId")
        return SendResult.sent(message_id if message_id and message_id != "None" else None)
    if code in RETRYABLE:
        return SendResult.retry(status_text)
    return SendResult.failed(status_text)

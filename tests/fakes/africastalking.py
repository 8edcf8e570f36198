"""A fake Africa's Talking messaging API (providers §2c) on 127.0.0.1, for tests and local end-to-end runs.

In a test:
    with FakeAfricasTalking() as fake:
        settings = make_settings(SMS_BACKEND="africastalking", AT_API_URL=fake.url, AT_API_KEY="k")
        fake.answer_next(Answer.http_error(500))      # the next request gets HTTP 500, then the default
        ...
        [sms] = fake.wait_for(1)                      # sms["form"]["to"], sms["headers"]["apiKey"], ...

Standalone (another process sends to it): `python -m tests.fakes.africastalking --port 8025 [--log FILE]`
prints one JSON line per received request (stdout, or FILE). Control endpoints for scripts:
GET /_fake/requests, POST /_fake/answers {"next": [Answer fields...], "always": {...}}, POST /_fake/reset.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TextIO

from tests.fakes.server import FakeHandler, FakeProvider, ScriptedAnswer, run_standalone

MESSAGING_PATH = "/version1/messaging"


@dataclass(frozen=True)
class Answer(ScriptedAnswer):
    """How the fake answers one request: AT's HTTP status, the recipient's statusCode, an optional delay.

    Answer.success(), the default, is HTTP 201, recipient 101 Success with a messageId (what AT answers with enqueue=1).
    """

    http_status: int = 201
    recipient_code: int = 101
    recipient_status: str = "Success"
    delay: float = 0.0
    raw_body: str | None = None

    @classmethod
    def http_error(cls, status: int, body: str = "") -> "Answer":
        """A bare HTTP error: 500, 429 (throttled), 401 (bad key)..."""
        return cls(http_status=status, raw_body=body or f"HTTP {status}")

    @classmethod
    def recipient(cls, code: int, status: str) -> "Answer":
        """HTTP 201 with this recipient statusCode, e.g. (403, "InvalidPhoneNumber") or (405, "InsufficientBalance")."""
        return cls(recipient_code=code, recipient_status=status)


class _Handler(FakeHandler):
    fake: FakeAfricasTalking

    def received(self, raw: str) -> None:
        form = self._form(raw)
        answer = self.fake._take_answer()
        status, body, content_type = self._answer(form, answer)
        recipients = json.loads(body)["SMSMessageData"]["Recipients"] if content_type == "application/json" else []
        self.fake._record({
            "path": self.path, "headers": dict(self.headers.items()), "form": form, "http_status": status,
            "at": datetime.now(timezone.utc).isoformat(), "recipients": recipients,
        })
        self._reply(answer, status, body, content_type)

    def _answer(self, form: dict[str, str], answer: Answer) -> tuple[int, str, str]:
        if self.path != MESSAGING_PATH:
            return 404, "not found", "text/plain"
        if not self.headers.get("apiKey") or (self.fake.api_key and self.headers["apiKey"] != self.fake.api_key):
            return 401, "The supplied authentication is invalid", "text/plain"
        if not all(form.get(key) for key in ("username", "to", "message")):
            return 400, "Request is missing required form field", "text/plain"
        if answer.raw_body is not None:
            return answer.http_status, answer.raw_body, "text/plain"
        return answer.http_status, json.dumps(self.fake._reply_body(form, answer)), "application/json"


class FakeAfricasTalking(FakeProvider):
    """The fake server: records every request, answers from a queue of one-shot answers, then the default.

    Each of `requests` is {"path", "headers", "form", "http_status", "at", "recipients"} (the Recipients entries
    answered); `url` is the full messaging URL, for
    AT_API_URL.
    """

    answer_class = Answer
    handler_class = _Handler
    name, short_name = "Africa's Talking", "AT"
    url_path = MESSAGING_PATH

    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None,
                 log: TextIO | None = None) -> None:
        super().__init__(host, port, log)
        self.api_key = api_key  # when set, any other apiKey gets HTTP 401 like the real API
        self._ids = itertools.count(1)
        self._by_number: dict[str, tuple[int, str]] = {}

    def answer_for_number(self, number: str, code: int, status: str) -> None:
        """From now on, answer this recipient statusCode and status for number, whatever the request's answer (one
        number of a bulk call refused, e.g. 403 "InvalidPhoneNumber")."""
        with self._lock:
            self._by_number[number] = (code, status)

    def reset(self) -> None:
        """Forget recorded requests, scripted answers and answers for numbers; answer success by default."""
        super().reset()
        with self._lock:
            self._by_number.clear()

    def _reply_body(self, form: dict[str, str], answer: Answer) -> dict[str, Any]:
        recipients = []
        for number in [n.strip() for n in form.get("to", "").split(",") if n.strip()]:
            with self._lock:
                code, status = self._by_number.get(number, (answer.recipient_code, answer.recipient_status))
            accepted = code in (100, 101, 102)
            recipients.append({
                "statusCode": code, "number": number, "status": status,
                "cost": "KES 0.8000" if accepted else "0",
                "messageId": f"ATXid_{next(self._ids)}" if accepted else "None",
            })
        sent = sum(1 for r in recipients if r["statusCode"] in (100, 101, 102))
        return {"SMSMessageData": {"Message": f"Sent to {sent}/{len(recipients)} Total Cost: KES {0.8 * sent:.4f}",
                                   "Recipients": recipients}}


def main(argv: list[str] | None = None) -> int:
    """Run the fake until interrupted, printing each received request as a JSON line."""
    return run_standalone(argv, "python -m tests.fakes.africastalking", __doc__, {
        "--api-key": {"default": None, "help": "answer 401 to any other apiKey"},
    }, lambda args, log: FakeAfricasTalking(args.host, args.port, api_key=args.api_key, log=log))


if __name__ == "__main__":
    raise SystemExit(main())

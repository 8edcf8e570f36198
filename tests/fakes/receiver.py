"""A partner's event receiver on 127.0.0.1, as the README tells a partner to write one: it checks the
X-Relais-Signature of each POST with the subscription's secret (set `receiver.secret` once subscribed) and answers
200 unless scripted otherwise (a status, a delay past the sender's timeout).

Each recorded request: path, content_type, signature, delivery (X-Relais-Delivery), event (X-Relais-Event), body
(as received), json (parsed, or None), signature_ok, status (the answer given, after delay seconds).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from casecore.partners.signing import DELIVERY_HEADER, EVENT_HEADER, HEADER, verify
from tests.fakes.server import FakeHandler, FakeProvider, ScriptedAnswer


@dataclass(frozen=True)
class Answer(ScriptedAnswer):
    """Scripted: the HTTP status to answer, after a delay."""

    status: int = 200
    delay: float = 0.0
    raw_body: str | None = None


class _Handler(FakeHandler):
    fake: FakeReceiver

    def received(self, raw: str) -> None:
        answer = self.fake._take_answer()
        body = raw.encode("utf-8")
        signature = self.headers.get(HEADER, "")
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = None
        self.fake._record({
            "path": self.path, "content_type": self.headers.get("Content-Type", ""), "signature": signature,
            "delivery": self.headers.get(DELIVERY_HEADER), "event": self.headers.get(EVENT_HEADER), "body": raw,
            "json": parsed, "status": answer.status, "delay": answer.delay,
            "signature_ok": bool(self.fake.secret) and verify(self.fake.secret, body, signature, int(time.time())),
        })
        self._reply(answer, answer.status, answer.raw_body or "", "text/plain")


class FakeReceiver(FakeProvider):
    """The receiver: records every event posted and checks its signature."""

    answer_class = Answer
    handler_class = _Handler
    name = "partner event receiver"
    short_name = "receiver"
    url_path = "/relais/events"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.secret = ""

    def events(self) -> list[dict[str, Any]]:
        """The bodies received, parsed, in order (a retried delivery appears each time it came)."""
        return [request["json"] for request in self.requests]

    def delivery_ids(self) -> list[str]:
        """The X-Relais-Delivery of every request, in order."""
        return [request["delivery"] for request in self.requests]

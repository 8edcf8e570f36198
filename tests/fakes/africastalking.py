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

import argparse
import itertools
import json
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs

MESSAGING_PATH = "/version1/messaging"


@dataclass(frozen=True)
class Answer:
    """How the fake answers one request: AT's HTTP status, the recipient's statusCode, an optional delay."""

    http_status: int = 201
    recipient_code: int = 101
    recipient_status: str = "Success"
    delay: float = 0.0
    raw_body: str | None = None

    @classmethod
    def success(cls) -> "Answer":
        """HTTP 201, recipient 101 Success with a messageId (what AT answers with enqueue=1)."""
        return cls()

    @classmethod
    def http_error(cls, status: int, body: str = "") -> "Answer":
        """A bare HTTP error: 500, 429 (throttled), 401 (bad key)..."""
        return cls(http_status=status, raw_body=body or f"HTTP {status}")

    @classmethod
    def recipient(cls, code: int, status: str) -> "Answer":
        """HTTP 201 with this recipient statusCode, e.g. (403, "InvalidPhoneNumber") or (405, "InsufficientBalance")."""
        return cls(recipient_code=code, recipient_status=status)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> "Answer":
        """Answer successfully, but only after seconds: longer than the client's timeout."""
        return cls(delay=seconds)

    @classmethod
    def garbage(cls) -> "Answer":
        """HTTP 201 with a body that is not AT's JSON (a proxy's page, a cut-off answer)."""
        return cls(raw_body="<html>Bad gateway</html>")


class FakeAfricasTalking:
    """The fake server: records every request, answers from a queue of one-shot answers, then the default."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None,
                 log: TextIO | None = None) -> None:
        self._host, self._port = host, port
        self.api_key = api_key  # when set, any other apiKey gets HTTP 401 like the real API
        self._log = log
        self._lock = threading.Condition()
        self._requests: list[dict[str, Any]] = []
        self._next: list[Answer] = []
        self._always = Answer.success()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> "FakeAfricasTalking":
        """Listen on a free port (or the one given) in a background thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a hanging answer must not hold up stop()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-at", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and release any hanging answer."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeAfricasTalking":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None, "start() first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The full messaging URL, for AT_API_URL."""
        return f"http://{self._host}:{self.port}{MESSAGING_PATH}"

    # -- behaviour -------------------------------------------------------------------------------------------
    def answer_next(self, *answers: Answer) -> None:
        """Use these answers, in order, for the next requests; then the default again."""
        with self._lock:
            self._next.extend(answers)

    def answer_always(self, answer: Answer) -> None:
        """Change the default answer."""
        with self._lock:
            self._always = answer

    def reset(self) -> None:
        """Forget recorded requests and scripted answers; answer success by default."""
        with self._lock:
            self._requests.clear()
            self._next.clear()
            self._always = Answer.success()

    # -- what was received -----------------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request so far: {"path", "headers", "form", "http_status", "at"}."""
        with self._lock:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until at least count requests arrived and return them; AssertionError after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} request(s) to the fake AT, got {len(self._requests)}")
                self._lock.wait(left)
            return list(self._requests)

    # -- used by the handler ---------------------------------------------------------------------------------
    def _take_answer(self) -> Answer:
        with self._lock:
            return self._next.pop(0) if self._next else self._always

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)
            self._lock.notify_all()
        if self._log is not None:
            self._log.write(json.dumps(entry) + "\n")
            self._log.flush()

    def _reply_body(self, form: dict[str, str], answer: Answer) -> dict[str, Any]:
        accepted = answer.recipient_code in (100, 101, 102)
        recipients = []
        for number in [n.strip() for n in form.get("to", "").split(",") if n.strip()]:
            recipients.append({
                "statusCode": answer.recipient_code, "number": number, "status": answer.recipient_status,
                "cost": "KES 0.8000" if accepted else "0",
                "messageId": f"ATXid_{next(self._ids)}" if accepted else "None",
            })
        sent = sum(1 for r in recipients if r["statusCode"] in (100, 101, 102))
        return {"SMSMessageData": {"Message": f"Sent to {sent}/{len(recipients)} Total Cost: KES {0.8 * sent:.4f}",
                                   "Recipients": recipients}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAfricasTalking
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002 - http.server's signature
        pass  # the recorded requests are the log

    def do_GET(self) -> None:
        if self.path == "/_fake/requests":
            return self._send(200, json.dumps(self.fake.requests), "application/json")
        self._send(404, "not found")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if self.path.startswith("/_fake/"):
            return self._control(raw)
        form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        answer = self.fake._take_answer()
        status, body, content_type = self._answer(form, answer)
        self.fake._record({
            "path": self.path, "headers": dict(self.headers.items()), "form": form, "http_status": status,
            "at": datetime.now(timezone.utc).isoformat(),
        })
        if answer.delay:
            self.close_connection = True
            if self.fake._stopping.wait(answer.delay):
                return
        self._send(status, body, content_type)

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

    def _control(self, raw: str) -> None:
        if self.path == "/_fake/reset":
            self.fake.reset()
        elif self.path == "/_fake/answers":
            spec = json.loads(raw or "{}")
            self.fake.answer_next(*(Answer(**item) for item in spec.get("next", [])))
            if "always" in spec:
                self.fake.answer_always(Answer(**spec["always"]))
        else:
            return self._send(404, "not found")
        self._send(200, "ok")

    def _send(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer to


def main(argv: list[str] | None = None) -> int:
    """Run the fake until interrupted, printing each received request as a JSON line."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.africastalking", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=None, help="answer 401 to any other apiKey")
    parser.add_argument("--log", default=None, help="append JSON lines here instead of stdout")
    args = parser.parse_args(argv)
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stdout
    fake = FakeAfricasTalking(args.host, args.port, api_key=args.api_key, log=log).start()
    print(f"fake Africa's Talking listening on {fake.url}", file=sys.stderr, flush=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        fake.stop()
        if log is not sys.stdout:
            log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

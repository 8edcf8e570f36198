"""What the provider fakes share: a small HTTP server on 127.0.0.1 that records every request and answers from a
script (one-shot answers, then a default), with control endpoints for scripts and a standalone mode.

A fake subclasses FakeProvider, naming its Answer class (whose success() is the default answer) and its handler, a
subclass of FakeHandler that answers the provider's own requests in received(). See tests/fakes/africastalking.py
and tests/fakes/twilio.py.

Control endpoints (every fake): GET /_fake/requests, POST /_fake/answers {"next": [Answer fields...],
"always": {...}}, POST /_fake/reset.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self, TextIO
from urllib.parse import parse_qs


class ScriptedAnswer:
    """The answers every fake can give; a subclass is a frozen dataclass with at least delay and raw_body fields,
    each field's default being what the provider answers when all goes well."""

    @classmethod
    def success(cls) -> Self:
        """The provider's answer when all goes well (every field at its default): the fake's default answer."""
        return cls()

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Self:
        """Answer successfully, but only after seconds: longer than the client's timeout."""
        return cls(delay=seconds)

    @classmethod
    def garbage(cls) -> Self:
        """HTTP 201 with a body that is not the provider's JSON (a proxy's page, a cut-off answer)."""
        return cls(raw_body="<html>Bad gateway</html>")


class FakeProvider:
    """The fake server: records every request, answers from a queue of one-shot answers, then the default."""

    answer_class: ClassVar[type]  # its success() is the default answer
    handler_class: ClassVar[type[FakeHandler]]
    name: ClassVar[str]  # as the standalone fake announces itself
    short_name: ClassVar[str]  # in the thread's name and in wait_for's complaint
    url_path: ClassVar[str] = ""  # what url adds to the server's address

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log: TextIO | None = None) -> None:
        self._host, self._port = host, port
        self._log = log
        self._lock = threading.Condition()
        self._requests: list[dict[str, Any]] = []
        self._next: list[Any] = []
        self._always = self.answer_class.success()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Self:
        """Listen on a free port (or the one given) in a background thread."""
        handler = type("Handler", (self.handler_class,), {"fake": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a hanging answer must not hold up stop()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name=f"fake-{self.short_name.lower()}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and release any hanging answer."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
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
        """The URL the application's backend is configured with: the server's address and url_path."""
        return f"http://{self._host}:{self.port}{self.url_path}"

    # -- behaviour -------------------------------------------------------------------------------------------
    def answer_next(self, *answers: Any) -> None:
        """Use these answers, in order, for the next requests; then the default again."""
        with self._lock:
            self._next.extend(answers)

    def answer_always(self, answer: Any) -> None:
        """Change the default answer."""
        with self._lock:
            self._always = answer

    def reset(self) -> None:
        """Forget recorded requests and scripted answers; answer success by default."""
        with self._lock:
            self._requests.clear()
            self._next.clear()
            self._always = self.answer_class.success()

    # -- what was received -----------------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request so far, as the handler recorded it (the fake's docstring lists the fields)."""
        with self._lock:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until at least count requests arrived and return them; AssertionError after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} request(s) to the fake {self.short_name}, got {len(self._requests)}")
                self._lock.wait(left)
            return list(self._requests)

    # -- used by the handler ---------------------------------------------------------------------------------
    def _take_answer(self) -> Any:
        with self._lock:
            return self._next.pop(0) if self._next else self._always

    def _record(self, entry: dict[str, Any], into: list[dict[str, Any]] | None = None) -> None:
        """Keep entry (in requests, or the list given), wake wait_for, and log it as a JSON line."""
        with self._lock:
            (self._requests if into is None else into).append(entry)
            self._lock.notify_all()
        if self._log is not None:
            self._log.write(json.dumps(entry) + "\n")
            self._log.flush()


class FakeHandler(BaseHTTPRequestHandler):
    """Serves the control endpoints; a subclass answers the provider's own POST requests in received()."""

    fake: FakeProvider
    protocol_version = "HTTP/1.1"
    listings: ClassVar[dict[str, str]] = {"/_fake/requests": "requests"}  # GET path -> the fake's property
    not_found: ClassVar[tuple[int, str, str]] = (404, "not found", "text/plain")  # any other GET

    def log_message(self, format, *args) -> None:  # noqa: A002 - http.server's signature
        pass  # the recorded requests are the log

    def do_GET(self) -> None:
        listing = self.listings.get(self.path)
        if listing is None:
            return self._send(*self.not_found)
        self._send(200, json.dumps(getattr(self.fake, listing)), "application/json")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if self.path.startswith("/_fake/"):
            return self._control(raw)
        self.received(raw)

    def received(self, raw: str) -> None:
        """Answer a POST to the provider's API, its body as received."""
        raise NotImplementedError

    @staticmethod
    def _form(raw: str) -> dict[str, str]:
        """A form-encoded body, the last value of each field."""
        return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}

    def _control(self, raw: str) -> None:
        if self.path == "/_fake/reset":
            self.fake.reset()
        elif self.path == "/_fake/answers":
            self._script(json.loads(raw or "{}"))
        else:
            return self._send(404, "not found")
        self._send(200, "ok")

    def _script(self, spec: dict[str, Any]) -> None:
        """POST /_fake/answers: {"next": [Answer fields...], "always": {...}}."""
        answer = self.fake.answer_class
        self.fake.answer_next(*(answer(**item) for item in spec.get("next", [])))
        if "always" in spec:
            self.fake.answer_always(answer(**spec["always"]))

    def _reply(self, answer: Any, status: int, body: str, content_type: str) -> None:
        """Send the answer, after its delay unless the fake stops first (then the connection is just closed)."""
        if answer.delay:
            self.close_connection = True
            if self.fake._stopping.wait(answer.delay):
                return
        self._send(status, body, content_type)

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


def run_standalone(argv: list[str] | None, prog: str, doc: str, options: dict[str, dict[str, Any]],
                   make: Callable[[argparse.Namespace, TextIO], FakeProvider]) -> int:
    """The standalone fake (`python -m prog`): --host, --port, the fake's own options, --log; then run the fake
    make(args, log) builds until SIGTERM or SIGINT, logging each received request as a JSON line to --log FILE
    (appended to), or stdout."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    for flag, settings in options.items():
        parser.add_argument(flag, **settings)
    parser.add_argument("--log", default=None, help="append JSON lines here instead of stdout")
    args = parser.parse_args(argv)
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stdout
    fake = make(args, log).start()
    print(f"fake {fake.name} listening on {fake.url}", file=sys.stderr, flush=True)
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

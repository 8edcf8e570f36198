"""The load for `make bench`: complete USSD sessions, back to back, posted exactly as Africa's Talking posts them.

Each session slot is a thread with its own keep-alive connection; the slots are spread over a few processes so
one interpreter's GIL does not cap the load. Only the standard library is used, and on purpose not http.client:
a minimal HTTP/1.1 client costs less than half its CPU per request, and the client shares the machine with the server.
"""
from __future__ import annotations

import multiprocessing
import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

URL = "/webhooks/africastalking/ussd"
# French, report, concern, danger now, past the emergency numbers, sex, age, region, commune, consent, call, send
# (tests/web FULL_PATH_FR).
PATH_FR = ["1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "1"]
# The `text` AT sends at each step: "" when the person dials, then every input so far joined with `*`.
TEXTS = ["*".join(PATH_FR[:n]) for n in range(len(PATH_FR) + 1)]
STEP_NAMES = ["dial -> language", "language -> menu", "menu -> concern", "concern -> danger", "danger -> emergency",
              "emergency -> sex",
              "sex -> age", "age -> region", "region -> commune", "commune -> consent", "consent -> call",
              "call -> confirm", "send -> END (report stored)"]
REFERENCE = re.compile(rb"^END .*\b[2-9A-HJKMNP-TW-Z]{7}\b", re.DOTALL)


@dataclass(frozen=True)
class Plan:
    """Where and when the clients send load; times are time.monotonic(), one clock for every process on Linux."""

    port: int
    start_at: float
    measure_from: float
    stop_at: float
    # Relais must walk the whole path to an END with a reference; the bare app only has to answer CON.
    expect_reference: bool


@dataclass
class Tally:
    """What one client process measured inside the window [measure_from, stop_at]."""

    latencies: list[tuple[int, float]] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    sessions: int = 0
    cpu_seconds: float = 0.0


class Connection:
    """A minimal HTTP/1.1 keep-alive client on one socket, for form POSTs to the USSD URL."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.head = (f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ").encode()

    def post(self, body: bytes, timeout: float = 15) -> tuple[int, bytes]:
        """Send one POST and return (status, body); OSError, ValueError or KeyError on a broken answer."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = dict((k.strip().lower(), v.strip()) for k, v in (line.split(b":", 1) for line in lines[1:]))
        length = int(headers[b"content-length"])  # gunicorn sends it for these answers; its absence is an error
        while len(rest) < length:
            self._receive()
            rest = self.buffer.partition(b"\r\n\r\n")[2]
        answer, self.buffer = rest[:length], rest[length:]
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, answer

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        """Close the socket; the next post opens a new one."""
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def check_answer(step: int, status: int, body: bytes, expect_reference: bool) -> str | None:
    """Why this answer is wrong, or None when it is what the step should get."""
    if status != 200:
        return f"HTTP {status}"
    if not expect_reference:
        return None if body.startswith(b"CON ") else f"bad body {body[:40]!r}"
    if step < len(TEXTS) - 1:
        ok = body.startswith(b"CON ") and b"non valide" not in body
    else:
        ok = REFERENCE.match(body) is not None
    return None if ok else f"step {step}: {body[:60]!r}"


def play_sessions(plan: Plan, _process: int, slot: int, tally: Tally, lock: threading.Lock) -> None:
    """Play complete sessions back to back until stop_at; a failed step abandons its session."""
    conn = Connection(plan.port)
    number = 0
    while time.monotonic() < plan.stop_at:
        number += 1
        form = {"sessionId": f"ATUid_bench_{os.getpid()}_{slot}_{number}", "serviceCode": "*384*1234#",
                # A valid Malian mobile number per session: 20 000 sessions per slot before one repeats.
                "phoneNumber": f"+22376{(slot * 20000 + number % 20000) % 1000000:06d}", "networkCode": "99999"}
        for step, text in enumerate(TEXTS):
            if time.monotonic() >= plan.stop_at:
                break
            body = urlencode({**form, "text": text}).encode()
            started = time.monotonic()
            try:
                status, answer = conn.post(body)
                problem = check_answer(step, status, answer, plan.expect_reference)
            except (OSError, ValueError, KeyError, IndexError) as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
                conn.close()
            ended = time.monotonic()
            # A step counts when it ends inside the window, so the warm-up's slow first requests stay out.
            counted = plan.measure_from <= ended <= plan.stop_at
            with lock:
                if problem is not None and counted:
                    tally.errors += 1
                    if len(tally.error_samples) < 5:
                        tally.error_samples.append(problem)
                elif counted:
                    tally.latencies.append((step, ended - started))
                    tally.sessions += step == len(TEXTS) - 1
            if problem is not None:
                break
    conn.close()


def client_process(work, tally: Tally, plan: Plan, process: int, slots: range, results) -> None:
    """One load-generating process: a thread per slot running work(plan, process, slot, tally, lock); puts the tally
    on results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # on Ctrl-C the parent stops everything, in order
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited through fork
    lock = threading.Lock()
    threads = [threading.Thread(target=work, args=(plan, process, slot, tally, lock), daemon=True) for slot in slots]
    time.sleep(max(0.0, plan.start_at - time.monotonic()))
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, plan.measure_from - time.monotonic()))
    cpu_from = _own_cpu()
    time.sleep(max(0.0, plan.stop_at - time.monotonic()))
    tally.cpu_seconds = _own_cpu() - cpu_from
    for thread in threads:
        thread.join(timeout=max(0.1, plan.stop_at + 20 - time.monotonic()))
    with lock:
        results.put(tally)


def _own_cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


class Clients:
    """The client processes for one plan; collect() waits for their tallies, stop() ends any still running.

    Each slot's thread runs work; a subclass gives another work and tally (bench/ingest_load.py)."""

    work = staticmethod(play_sessions)
    tally = Tally

    def __init__(self, plan: Plan, concurrency: int, processes: int) -> None:
        context = multiprocessing.get_context("fork")
        self.plan, self.results = plan, context.Queue()
        self.processes = [
            context.Process(target=client_process, daemon=True, args=(
                self.work, self.tally(), plan, i, range(i, concurrency, processes), self.results))
            for i in range(processes)
        ]
        for process in self.processes:
            process.start()

    def collect(self) -> list[Tally]:
        """Every process's tally, waiting at most 30 s past the end of the window."""
        deadline = self.plan.stop_at + 30
        return [self.results.get(timeout=max(1.0, deadline - time.monotonic())) for _ in self.processes]

    def stop(self) -> None:
        """Terminate the processes still running and reap them all."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)

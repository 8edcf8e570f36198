"""The client side of `make bench-cases`: staff members logged in through the login form, GETting pages back to
back from a few threads, with the CPU each process used meanwhile; and the SQL statements one page view runs."""
from __future__ import annotations

import http.client
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.case_seed import PASSWORD
from bench.servers import BENCH_KEYS, group_cpu_seconds, machine_ticks, process_cpu_seconds

TARGET_P95_MS = 200.0
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    """One thing measured: a page (or a set of pages picked at random) seen by one staff member."""

    name: str
    who: str
    email: str
    paths: tuple[str, ...]
    # Text every answer must hold: a login page or an error page instead is an error, not a fast answer.
    marker: str
    # The p95 the page must stay under (the indicators, reading a quarter of 100,000 reports, have 500 ms).
    target_ms: float = TARGET_P95_MS


class Browser:
    """One logged-in staff member on one keep-alive connection: cookies kept, redirects not followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        """Send one request and read the whole answer."""
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "fr"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()  # a fresh connection next time
            raise
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data.decode("utf-8", "replace")

    def login(self, email: str, password: str = PASSWORD) -> None:
        """Log in through the form as a person would: GET it for the CSRF token, POST it, land on a page."""
        status, html = self.request("GET", "/login")
        token = _CSRF.search(html)
        if status != 200 or token is None:
            raise RuntimeError(f"the login page answered {status} without a CSRF token")
        status, _ = self.request("POST", "/login", urlencode(
            {"email": email, "password": password, "csrf_token": token.group(1)}))
        if status != 302:
            raise RuntimeError(f"logging in as {email} answered {status}, not a redirect")

    def close(self) -> None:
        self.conn.close()


@dataclass
class PageResult:
    """What the clients measured for one page."""

    page: Page
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    bytes: int = 0
    statements: int | None = None
    # CPU seconds during the measured requests: gunicorn's, the database server's (PostgreSQL), this client's,
    # and the machine's busy share (0-1 of all cores), to tell the figures apart from other work on the machine.
    seconds: float = 0.0
    server_cpu: float = 0.0
    database_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_busy: float = 0.0

    @property
    def server_ms_per_request(self) -> float:
        """Milliseconds of gunicorn CPU per measured request: the figure least moved by noise."""
        return 1000 * self.server_cpu / max(1, len(self.latencies) + self.errors)

    @property
    def other_cpu(self) -> float:
        """Cores used by processes outside the benchmark while it measured this page."""
        if not self.seconds:
            return 0.0
        ours = (self.server_cpu + self.database_cpu + self.client_cpu) / self.seconds
        return max(0.0, self.machine_busy * (os.cpu_count() or 1) - ours)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        return percentile(self.latencies, p)

    @property
    def met(self) -> bool:
        return bool(self.latencies) and not self.errors and self.percentile(95) < self.page.target_ms


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of latencies in seconds, in milliseconds (nan when there are none)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = -(-p * len(ordered) // 100)
    return 1000 * ordered[min(len(ordered), max(1, int(rank))) - 1]


class Meters:
    """CPU seconds so far of gunicorn, of the database server (when known) and of this process; machine ticks."""

    def __init__(self, gunicorn_pgid: int, database_pid: int | None) -> None:
        self.gunicorn_pgid, self.database_pid = gunicorn_pgid, database_pid

    def read(self) -> list[float]:
        database = tree_cpu_seconds(self.database_pid) if self.database_pid else 0.0
        busy, total = machine_ticks()
        return [group_cpu_seconds(self.gunicorn_pgid), database, process_cpu_seconds(os.getpid()), busy, total]


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live children (the PostgreSQL postmaster and its backends)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry) == pid or int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure_page(port: int, page: Page, requests: int, concurrency: int, warmup: int, rng: random.Random,
                 meters: Meters | None = None) -> PageResult:
    """`concurrency` clients, each logged in with its own session, share `requests` GETs after `warmup` more."""
    result = PageResult(page)
    before: list[float] = []
    measured_from: list[float] = []
    plan = [rng.choice(page.paths) for _ in range(warmup + requests)]
    lock = threading.Lock()
    position = iter(range(len(plan)))

    def client() -> None:
        browser = Browser(port)
        try:
            browser.login(page.email)
            while True:
                with lock:
                    n = next(position, None)
                    if n == warmup and meters is not None:
                        # CPU is counted from the first measured request on.
                        before[:] = meters.read()
                        measured_from.append(time.perf_counter())
                if n is None:
                    return
                started = time.perf_counter()
                try:
                    status, html = browser.request("GET", plan[n])
                    problem = None if status == 200 and page.marker in html else f"{status} on {plan[n]}"
                except (http.client.HTTPException, OSError) as error:
                    html, problem = "", f"{type(error).__name__} on {plan[n]}"
                elapsed = time.perf_counter() - started
                if n < warmup:
                    continue
                with lock:
                    if problem:
                        result.errors += 1
                        if len(result.error_samples) < 3:
                            result.error_samples.append(problem)
                    else:
                        result.latencies.append(elapsed)
                        result.bytes = max(result.bytes, len(html.encode()))
        finally:
            browser.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if meters is not None and measured_from:
        result.seconds = time.perf_counter() - measured_from[0]
        after = meters.read()
        result.server_cpu, result.database_cpu, result.client_cpu = (
            after[0] - before[0], after[1] - before[1], after[2] - before[2])
        result.machine_busy = (after[3] - before[3]) / max(1, after[4] - before[4])
    return result


def count_statements(database_url: str, redis_url: str, pages: list[Page]) -> list[int]:
    """SQL statements one request of each page runs, counted in this process through the Flask test client."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from app import create_app
    from settings import Settings

    app = create_app(Settings.from_env({}, DATABASE_URL=database_url, REDIS_URL=redis_url,
                                       **BENCH_KEYS, SMS_BACKEND="console", DEVELOPMENT=True))
    counts = []
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    try:
        for page in pages:
            client = app.test_client()
            token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
            client.post("/login", data={"email": page.email, "password": PASSWORD, "csrf_token": token})
            client.get(page.paths[0])  # templates compiled, caches filled: count a steady request
            seen.clear()
            event.listen(Engine, "before_cursor_execute", count)
            try:
                # The last of the page's paths: for pages measured afresh (one period each), one not asked yet.
                client.get(page.paths[-1])
            finally:
                event.remove(Engine, "before_cursor_execute", count)
            counts.append(len(seen))
    finally:
        app.extensions["relais"].close()
    return counts

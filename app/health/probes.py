"""Checks with a deadline: each runs in a thread of its own, so that a hung database or Redis costs a health request
its deadline, never a hung request; callers arriving while a check still runs share it rather than start another,
so a load balancer calling every few seconds cannot pile threads up behind a hung server."""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, NamedTuple


class Outcome(NamedTuple):
    """One part's verdict: whether it lets the process serve, what to tell the operator (never a secret), and what
    more an administrator may read (deep readiness: the processes seen)."""

    ok: bool
    said: str = "ok"
    details: object = None


# A check gives the verdicts of one or more parts by name (the database check: "database" and "migrations").
Check = Callable[[], dict[str, Outcome]]


class Probe:
    """A check run in the background on demand, at most one at a time."""

    def __init__(self, parts: tuple[str, ...], check: Check) -> None:
        self.parts = parts
        self._check = check
        self._lock = threading.Lock()
        self._running: Future | None = None

    def start(self) -> Future:
        """The running check's future, or a new check's when none runs."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                threading.Thread(target=self._run, args=(self._running,), name="health-check", daemon=True).start()
            return self._running

    def _run(self, future: Future) -> None:
        try:
            future.set_result(self._check())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which names its class
            future.set_exception(exc)


def run_probes(probes: list[Probe], timeout: float) -> dict[str, Outcome]:
    """Every probe's verdicts, all run at once; a part whose check did not end within timeout seconds, or raised, is
    failed with the reason (an exception's class only: its message may hold a host, a user or a password)."""
    started = [(probe, probe.start()) for probe in probes]
    deadline = time.monotonic() + timeout
    verdicts: dict[str, Outcome] = {}
    for probe, future in started:
        try:
            verdicts.update(future.result(max(0.0, deadline - time.monotonic())))
        except FutureTimeout:
            verdicts.update({part: Outcome(False, f"no answer within {timeout:g} s") for part in probe.parts})
        except Exception as exc:
            verdicts.update({part: Outcome(False, f"check failed ({exc.__class__.__name__})") for part in probe.parts})
    return verdicts

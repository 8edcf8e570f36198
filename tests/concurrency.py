"""Running the same work in several threads at once, to show a database rule holds under a race."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from sqlalchemy import Engine, text


def run_together(count: int, work: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run work() in count threads released together; returns what they returned and what they raised."""
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except Exception as exc:  # collected: the caller's assertion says what went wrong
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def wait_for_lock_waiters(engine: Engine, count: int = 1, timeout: float = 20.0) -> None:
    """On PostgreSQL, return once count other transactions of this database wait on a lock (held by the caller's
    open transaction), so that a race is staged for certain; fails after timeout. On SQLite it returns at once:
    writers there queue at BEGIN IMMEDIATE, one transaction after the other, and there is no race to stage."""
    if engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + timeout
    waiting = 0
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND wait_event_type = 'Lock'"))
            if waiting >= count:
                return
            watcher.rollback()
            time.sleep(0.02)
    raise AssertionError(f"{count} transaction(s) never waited on a lock (now {waiting})")

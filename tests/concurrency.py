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


def first_holds_while_second_waits(runtime, first: Callable[[Any], Any],
                                   second: Callable[[Any], Any]) -> tuple[Any, Any]:
    """first(session) then second(session), each in a unit of work of its own thread, at once: the first holds what
    it locked until the second waits on it (PostgreSQL; SQLite's writers take turns anyway). Their results."""
    first_done = threading.Event()

    def run_first():
        with runtime.unit_of_work() as session:
            result = first(session)
            first_done.set()
            wait_for_lock_waiters(runtime.engine)
        return "first", result

    def run_second():
        assert first_done.wait(20)
        with runtime.unit_of_work() as session:
            return "second", second(session)

    steps = [run_second, run_first]
    results, errors = run_together(2, lambda: steps.pop()())  # one thread each
    assert errors == []
    by_step = dict(results)
    return by_step["first"], by_step["second"]

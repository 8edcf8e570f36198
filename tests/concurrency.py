"""Running the same work in several threads at once, to show a database rule holds under a race."""
from __future__ import annotations

import threading
from typing import Any, Callable


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

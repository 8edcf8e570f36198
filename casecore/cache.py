"""Reference data kept in a process for a short time: read once, then reused until it is older than its TTL."""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class Refreshing(Generic[T]):
    """A value loaded from the database and reloaded once older than ttl seconds.

    For data that changes rarely and is read on every USSD step (locations, the receiving organisation):
    reading it each time cost most of a step. A change made elsewhere shows within ttl seconds.
    """

    def __init__(self, load: Callable[[Session], T], session_factory: Callable[[], Session], ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load, self._session_factory, self._ttl, self._clock = load, session_factory, ttl, clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at: float | None = None

    def get(self) -> T:
        """The value, loaded first when missing or older than the time to live; load errors propagate."""
        with self._lock:
            if self._loaded_at is None or self._clock() - self._loaded_at >= self._ttl:
                with self._session_factory() as session:
                    self._value = self._load(session)
                self._loaded_at = self._clock()
            return self._value

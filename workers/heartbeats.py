"""Heartbeats: every worker and scheduler process says in Redis, every few seconds, that it is alive, which queues it
listens to (a worker) and when its last sweep ended (a scheduler); `/readyz?deep=1` reads them.

One key per process (`relais:heartbeat:<QUEUE_NAME>:<role>:<host>:<pid>`, a JSON record) that expires TTL_SECONDS
after its last beat, so a process killed outright (SIGKILL, out of memory) drops out within a minute, and a set
per role naming them, so that a reader never SCANs a Redis full of conversations and counters. RQ registers its
workers too, but keeps a dead one for its worker TTL (7 minutes) and knows nothing of the scheduler.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Callable

import redis

log = logging.getLogger(__name__)

WORKER = "worker"
SCHEDULER = "scheduler"
# A beat every BEAT_SECONDS; a record missing three beats in a row is gone.
BEAT_SECONDS = 10
TTL_SECONDS = 3 * BEAT_SECONDS + 5


def process_name() -> str:
    """This process as a heartbeat names it: host and pid (never anything about the people it serves)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _key(queue_name: str, role: str, name: str) -> str:
    return f"relais:heartbeat:{queue_name}:{role}:{name}"


def _members(queue_name: str, role: str) -> str:
    return f"relais:heartbeats:{queue_name}:{role}"


def beat(connection: redis.Redis, queue_name: str, role: str, record: dict) -> None:
    """Write this process's record (its `process` names it) with a fresh expiry, stamped `beat_at`."""
    record = {**record, "beat_at": time.time()}
    pipe = connection.pipeline(transaction=False)
    pipe.set(_key(queue_name, role, record["process"]), json.dumps(record), ex=TTL_SECONDS)
    pipe.sadd(_members(queue_name, role), record["process"])
    pipe.execute()


def forget(connection: redis.Redis, queue_name: str, role: str, name: str) -> None:
    """Remove a process's record (it is stopping: a reader need not wait for it to expire)."""
    pipe = connection.pipeline(transaction=False)
    pipe.delete(_key(queue_name, role, name))
    pipe.srem(_members(queue_name, role), name)
    pipe.execute()


def alive(connection: redis.Redis, queue_name: str, role: str) -> list[dict]:
    """The records of the processes of that role whose heartbeat has not expired, by name; names whose record
    expired are taken out of the set."""
    names = sorted(name.decode() for name in connection.smembers(_members(queue_name, role)))
    if not names:
        return []
    values = connection.mget([_key(queue_name, role, name) for name in names])
    gone = [name for name, value in zip(names, values, strict=True) if value is None]
    if gone:
        connection.srem(_members(queue_name, role), *gone)
    return [json.loads(value) for value in values if value is not None]


class Heartbeat:
    """A daemon thread that beats every BEAT_SECONDS with what record() returns, until stop(); a beat Redis
    refuses is tried again at the next one (warned once per outage)."""

    def __init__(self, redis_url: str, queue_name: str, role: str, record: Callable[[], dict]) -> None:
        # A connection of its own, with short timeouts: a hung Redis must not hold the beat thread for long.
        self.connection = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        self.queue_name, self.role, self.record = queue_name, role, record
        self.name = process_name()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{role}-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        """Beat now and every BEAT_SECONDS in the background."""
        self._thread.start()
        return self

    def beat_now(self) -> bool:
        """One beat; whether Redis took it."""
        try:
            beat(self.connection, self.queue_name, self.role, {**self.record(), "process": self.name})
            return True
        except redis.RedisError:
            return False

    def nudge(self) -> None:
        """Beat now rather than at the next tick (what the record says changed)."""
        self._wake.set()

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            ok = self.beat_now()
            if not ok and not failing:
                log.warning("%s heartbeat not written: Redis is unavailable; trying every %ss", self.role,
                            BEAT_SECONDS)
            failing = not ok
            self._wake.wait(BEAT_SECONDS)
            self._wake.clear()

    def stop(self) -> None:
        """Stop beating and remove the record."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        try:
            forget(self.connection, self.queue_name, self.role, self.name)
        except redis.RedisError:
            pass  # the record expires by itself
        self.connection.close()

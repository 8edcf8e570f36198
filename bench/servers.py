"""What `make bench` runs and watches: gunicorn from the Procfile's `web` line, the database, CPU accounting."""
from __future__ import annotations

import os
import platform
import shlex
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.load import Connection

ROOT = Path(__file__).resolve().parent.parent
# The keys of every process of a benchmark, the one that seeds the database included: fixed, so that a database kept
# from an earlier run still opens (its data is made up).
BENCH_KEYS = {"SECRET_KEY": "relais-bench-secret",
              "DATA_ENCRYPTION_KEY": "cmVsYWlzLWJlbmNoLWRhdGEta2V5LTMyLWJ5dGVzISE="}


def seal_like_the_servers() -> None:
    """Seal what this process writes (seeding) as the benchmarked processes will read it."""
    from casecore import sealing
    sealing.configure(sealing.Keyring.from_settings(BENCH_KEYS["DATA_ENCRYPTION_KEY"]), BENCH_KEYS["SECRET_KEY"])


def procfile_web_command() -> str:
    """The `web:` line of the Procfile, as honcho runs it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() == "web":
            return command.strip()
    raise SystemExit("Procfile has no web: line")


def with_app_target(command: str, target: str) -> str:
    """The same command line with its last argument (the WSGI app target) replaced."""
    current = shlex.split(command)[-1]
    at = command.rfind(current)
    if ":" not in current or at < 0:
        raise SystemExit(f"cannot find the app target in: {command}")
    quoted = at > 0 and command[at - 1] in "'\""
    return command[:at] + (target if quoted else shlex.quote(target)) + command[at + len(current):]


class Gunicorn:
    """`bash -c <command>` in its own process group, so stopping it stops the master and every worker."""

    def __init__(self, command: str, env: dict[str, str], log_path: Path) -> None:
        self.command, self.log_path = command, log_path
        # Access log lines go to a file, as they would go to honcho's pipe: the server pays for them either way.
        self.process = start_group(command, env, log_path)

    def wait_ready(self, port: int, timeout: float = 30) -> None:
        """Return once the USSD URL answers 200; stop with the log's tail if it never does."""
        deadline = time.monotonic() + timeout
        body = urlencode({"sessionId": "ATUid_ready", "phoneNumber": "+22376000099", "text": ""}).encode()
        while time.monotonic() < deadline and self.process.poll() is None:
            conn = Connection(port)
            try:
                if conn.post(body, timeout=5)[0] == 200:
                    return
            except (OSError, ValueError, KeyError, IndexError):
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise SystemExit(f"gunicorn did not answer on port {port}:\n{tail}")

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the master and its live workers."""
        return group_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """TERM the whole group (gunicorn's graceful stop), KILL it if it lingers."""
        stop_group(self.process, timeout=15)


def start_group(command: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """`bash -c command` in a process group of its own, its output to log_path."""
    with log_path.open("wb") as log:  # the child keeps its own copy of the file
        return subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_group(process: subprocess.Popen, timeout: float = 20) -> None:
    """TERM a process's whole group (a graceful stop for gunicorn and RQ), KILL it if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass


def prepare_database(url: str) -> str:
    """Create the schema and load the demo data; says what was loaded."""
    from casecore.db import make_engine, make_session_factory, unit_of_work
    from casecore.demo import load_demo
    from casecore.migrate import upgrade_database

    seal_like_the_servers()
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            loaded = load_demo(session)
            return f"the demo data ({loaded.locations} locations)"
    finally:
        engine.dispose()


def _stat_fields(pid: str | int) -> list[str]:
    # The command name may hold spaces or parentheses; the fields we want come after its closing one.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def live_cpu_seconds(wanted) -> float:
    """User + system CPU seconds of the live processes for which wanted(pid, parent pid, process group) holds."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(entry)
        except OSError:
            continue
        if wanted(int(entry), int(fields[1]), int(fields[2])):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes in a process group."""
    return live_cpu_seconds(lambda _pid, _parent, group: group == pgid)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def machine_description() -> str:
    """nproc and the CPU model, as /proc/cpuinfo names it."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{len(os.sched_getaffinity(0))} CPUs (nproc), {model}; {platform.system()} {platform.release()}"

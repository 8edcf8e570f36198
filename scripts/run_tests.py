"""`make test`: the whole suite, on SQLite and, when PostgreSQL is installed, on a throwaway PostgreSQL too; in
parallel, one pytest-xdist worker per core and one more, unless the arguments say how (`-n 0` or `-p no:xdist`: one
process)."""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory, trusting local connections, on a free port."""

    def __init__(self, bindir: Path) -> None:
        from tests.servers import free_port

        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="relais-pg-"))
        self.data = self.dir / "data"
        # PostgreSQL refuses to run as root: run it as the postgres user the package created.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        def run(*cmd: str) -> None:
            subprocess.run([*self.prefix, *cmd], check=True, stdout=subprocess.DEVNULL)

        run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start",
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off")

    def stop(self) -> None:
        subprocess.run([*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
                       stdout=subprocess.DEVNULL, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def parallel() -> list[str]:
    """pytest-xdist's options: one worker per core and one more, tests to whichever worker is free."""
    # A long browser test does not hold back a queue of short ones (worksteal). The extra worker keeps the cores busy
    # while others wait on a browser, a server process starting or a deadline: on 2 cores, 3 workers took the suite
    # from 624 to 562 s. Each has its own Redis, SQLite file, PostgreSQL database and ports (tests/conftest.py,
    # tests/servers.py).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return ["-n", str(cores + 1), "--dist", "worksteal"]


def pytest_args(args: list[str]) -> list[str]:
    """args, run in parallel unless they choose a number of workers or turn pytest-xdist off."""
    chosen = any(arg == "-n" or arg.startswith("--numprocesses") or re.fullmatch(r"-n(\d+|auto|logical)", arg)
                 or arg.endswith("no:xdist") for arg in args)
    return args if chosen else [*parallel(), *args]


def main(args: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    env = dict(os.environ)
    # Each process of the run (the pytest workers, the servers and workers the tests start) would otherwise compile
    # the project and rewrite the test modules anew: collecting took 15 s of CPU per pytest process without the
    # compiled copies, 4 s with them. Python checks each copy against its source, so none is ever stale.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    postgres = None
    if not env.get("TEST_POSTGRES_URL"):
        bindir = postgres_bindir()
        if bindir is not None:
            postgres = ThrowawayPostgres(bindir)
            postgres.start()
            env["TEST_POSTGRES_URL"] = postgres.url
            print(f"PostgreSQL tests on a throwaway server ({bindir.parent.name}) at port {postgres.port}")
        else:
            print("PostgreSQL is not installed: its tests are skipped (CI installs it).")
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args(args)], cwd=ROOT, env=env)
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

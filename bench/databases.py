"""The databases `make bench-cases` measures: a fresh SQLite file, a fresh PostgreSQL database (on a throwaway
cluster with the server's default settings, or on TEST_POSTGRES_URL's server), or kept ones given on the command
line; and what is needed to account for them (the server's process, the size on disk)."""
from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.run_tests import ThrowawayPostgres, postgres_bindir


@contextmanager
def sqlite_database(tmp: Path, kept: str | None = None) -> Iterator[tuple[str, None]]:
    """A fresh SQLite file (WAL, as the application opens it), or the kept file asked for; no server process."""
    yield f"sqlite:///{Path(kept).resolve() if kept else tmp / 'bench-cases.db'}", None


@contextmanager
def postgres_database(kept: str | None = None) -> Iterator[tuple[str, int | None]]:
    """A fresh database on TEST_POSTGRES_URL's server, else on a throwaway PostgreSQL with its default settings;
    or the kept database asked for, left as it is. With the server's process id when it can be found (server_pid)."""
    from sqlalchemy import create_engine, text

    if kept:
        yield kept, server_pid(kept)
        return
    server = os.environ.get("TEST_POSTGRES_URL", "")
    cluster = None
    if not server:
        bindir = postgres_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL is not installed: set TEST_POSTGRES_URL or use --db sqlite")
        cluster = DurablePostgres(bindir)
        cluster.start()
        server = cluster.url
    name = f"relais_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.rsplit("/", 1)[0] + f"/{name}", server_pid(server)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if cluster is not None:
            cluster.stop()


def server_pid(url: str) -> int | None:
    """The PostgreSQL server's process id when it runs on this machine and tells us its data directory (superuser),
    so its CPU is counted as the database's rather than as other work; None otherwise."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            data = conn.scalar(text("SHOW data_directory"))
        return int((Path(data) / "postmaster.pid").read_text().split()[0])
    except Exception:  # noqa: BLE001 - any failure only means the CPU cannot be told apart
        return None
    finally:
        engine.dispose()


class DurablePostgres(ThrowawayPostgres):
    """The test suite's throwaway cluster, but with the server's default settings: fsync on, as in production (each
    page view commits its audit record)."""

    def start(self) -> None:
        def run(*cmd: str) -> None:
            subprocess.run([*self.prefix, *cmd], check=True, stdout=subprocess.DEVNULL)

        run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
        run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start",
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1")


def database_size(url: str) -> int:
    """The database's size on disk in bytes (SQLite: the file and its WAL)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT pg_database_size(current_database())"))
    finally:
        engine.dispose()

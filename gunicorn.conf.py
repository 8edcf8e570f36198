"""gunicorn reads this file from the working directory (the Procfile's `web` line runs there): Prometheus counters
summed across the workers of one master (docs/metrics.md).

PROMETHEUS_MULTIPROC_DIR must be set before a worker first imports prometheus_client, and be one master's alone: set,
its files are wiped when the master starts; unset, the master makes a folder of its own in the temporary directory
and removes it when it stops. A worker that exits has its live gauges' files marked dead.
"""
import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_made_here: list[str] = []


def on_starting(server) -> None:
    """In the master, before any worker is forked: the folder, emptied of another run's files."""
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        folder = tempfile.mkdtemp(prefix="relais-metrics-")
        _made_here.append(folder)
        os.environ[MULTIPROC_ENV] = folder  # the workers inherit it
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()
    server.log.info("Prometheus counters of this master's workers are kept in %s", folder)


def child_exit(server, worker) -> None:
    """A worker has exited: its counters stay (they are totals), its live gauges go."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """The master stops: remove the folder it made."""
    for folder in _made_here:
        shutil.rmtree(folder, ignore_errors=True)

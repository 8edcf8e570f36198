"""gunicorn reads this file from the working directory (the Procfile's `web` line runs there): Prometheus counters
summed across the workers of one master (docs/metrics.md).

PROMETHEUS_MULTIPROC_DIR must be set before prometheus_client is first imported in a process that will count (a
worker, or the master with --preload, whose workers inherit the module as it was imported), and be one master's
alone. Set, its files are wiped when the master starts; unset, the master makes a folder of its own in the temporary
directory and removes it when it stops. A worker that exits has its live gauges' files marked dead.
"""
import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The folder this master made (to remove at exit); the variable survives gunicorn rereading this file on a HUP.
_MADE_ENV = "RELAIS_METRICS_DIR_MADE"

# Now, as the master reads its configuration: before it loads the application (--preload) or forks a worker.
if not os.environ.get(MULTIPROC_ENV):
    os.environ[MULTIPROC_ENV] = os.environ[_MADE_ENV] = tempfile.mkdtemp(prefix="relais-metrics-")


def on_starting(server) -> None:
    """Once, in the master, before any worker is forked: the folder, emptied of an earlier run's files."""
    folder = Path(os.environ[MULTIPROC_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    server.log.info("Prometheus counters of this master's workers are kept in %s", folder)


def child_exit(server, worker) -> None:
    """A worker has exited: its counters stay (they are totals), its live gauges go."""
    # Imported here: prometheus_client reads the variable once, when first imported, so no import of it may come
    # before the lines above that set it (a sorted import block at the top would).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """The master stops: remove the folder it made (a folder given is left, emptied at the next start)."""
    made = os.environ.get(_MADE_ENV)
    if made and made == os.environ.get(MULTIPROC_ENV):
        shutil.rmtree(made, ignore_errors=True)

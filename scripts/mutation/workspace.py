"""Scratch copies of the repository, one per worker, where mutants are written and pytest is run: the working tree
is never written to, and a run stopped at any point leaves it as it was."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TOOL_ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "scripts.mutation.pytest_plugin"
_SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".mutation", ".pytest_cache", "node_modules"}
# What a pytest run must not inherit from the process that started `make mutate` (itself perhaps under pytest).
# PYTHONDONTWRITEBYTECODE too: each of a worker's thousand pytest runs would compile the project and rewrite its test
# modules anew; write() removes a module's compiled copies with each change, so none is ever stale.
_DROPPED_ENV = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST",
                "COV_CORE_SOURCE", "COV_CORE_CONFIG", "COV_CORE_DATAFILE", "MUTATION_COVERAGE", "MUTATION_REPORT",
                "PYTHONDONTWRITEBYTECODE")


def project_files(root: Path) -> list[str]:
    """The files of the working tree as git sees them (tracked and new, ignored ones left out); every file but
    caches when it is not a git repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=False)
    if listed.returncode == 0:
        return sorted({name for name in listed.stdout.decode().split("\0") if name and (root / name).is_file()})
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not _SKIPPED_DIRS.intersection(p.relative_to(root).parts))


@dataclass
class PytestRun:
    """How a pytest run ended: its exit code (None when stopped at its timeout), its time, its output's end."""

    code: int | None
    seconds: float
    output: str

    @property
    def timed_out(self) -> bool:
        return self.code is None


class Workspace:
    """One worker's copy of the repository, with its own temporary folder."""

    def __init__(self, root: Path, source: Path, files: list[str], shared_dir_env: str = "") -> None:
        self.root = root
        self.tmp = root.parent / f"{root.name}-tmp"
        for name in files:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.env = {key: value for key, value in os.environ.items() if key not in _DROPPED_ENV}
        self.env.update(PYTHONPATH=os.pathsep.join([str(root), str(TOOL_ROOT)]), TMPDIR=str(self.tmp))
        if shared_dir_env:
            # A folder of this worker's own that its runs share: what the test fixtures keep for the whole run.
            (self.tmp / "shared").mkdir(exist_ok=True)
            self.env[shared_dir_env] = str(self.tmp / "shared")
        self._originals: dict[str, str] = {}
        self._running: subprocess.Popen | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def write(self, module: str, text: str) -> None:
        """Put text in module's place; its compiled copy goes, so that Python reads the new text."""
        path = self.root / module
        self._originals.setdefault(module, path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
        for compiled in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)

    def restore(self, module: str) -> None:
        if module in self._originals:
            self.write(module, self._originals[module])

    def pytest(self, args: list[str], timeout: float | None = None, env: dict[str, str] | None = None) -> PytestRun:
        """python -m pytest args in this copy, stopped (with what it started) once timeout seconds have passed."""
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--basetemp", str(self.tmp / "pytest"),
                   *args]
        started = time.monotonic()
        with self._lock:
            if self._stopped:
                return PytestRun(None, 0.0, "stopped")
            self._running = subprocess.Popen(command, cwd=self.root, env={**self.env, **(env or {})},
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
        process = self._running
        try:
            output, _ = process.communicate(timeout=timeout)
            code = process.returncode
        except subprocess.TimeoutExpired:
            _kill(process)
            output, _ = process.communicate()
            code = None
        finally:
            with self._lock:
                self._running = None
        return PytestRun(code, time.monotonic() - started, output.decode(errors="replace")[-4000:])

    def stop(self) -> None:
        """Kill the running pytest and every process it started (its own session); start no other."""
        with self._lock:
            self._stopped = True
            process = self._running
        if process is not None:
            _kill(process)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _kill(process: subprocess.Popen) -> None:
    """Kill process and what it started: it leads a session of its own."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

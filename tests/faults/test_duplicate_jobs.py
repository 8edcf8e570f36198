"""The same send job run twice, at once, or by two worker processes: the message reaches the provider once."""
from __future__ import annotations

from casecore.messaging.outbox import queue_message
from tests.concurrency import run_together
from tests.faults.conftest import fault_settings, outbound, wait_until
from tests.queues import drain
from workers import jobs
from workers.queueing import SEND_JOB, enqueue_send, enqueue_send_at

PHONE = "+22376701431"


def write(runtime, key="twice"):
    with runtime.unit_of_work() as session:
        return queue_message(session, purpose_key=key, to_phone=PHONE, body="Un seul message, une seule fois.",
                             backend="twilio").id


def test_a_send_enqueued_again_and_again_goes_once(database_url, redis_url, fake_twilio, fake_at, make_runtime):
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    message_id = write(rt)
    assert enqueue_send(rt.queue, message_id) and enqueue_send(rt.queue, message_id)  # the sweep and the job
    assert enqueue_send_at(rt.queue, message_id, when=outbound(rt, message_id).created_at, attempt=1)
    rt.queue.enqueue(SEND_JOB, str(message_id), job_id="by-hand")  # an operator requeueing it from a dashboard
    drain(rt.queue, runtime=rt)
    assert enqueue_send(rt.queue, message_id)  # and once more after it went
    drain(rt.queue, runtime=rt)

    [request] = fake_twilio.requests
    assert request["form"]["To"] == PHONE
    sent = outbound(rt, message_id)
    assert (sent.status, sent.attempts) == ("sent", 1)


def test_four_workers_running_the_same_send_at_once_post_it_once(database_url, redis_url, fake_twilio, fake_at,
                                                                  make_runtime):
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    message_id = write(rt)
    results, errors = run_together(4, lambda: jobs.send_outbound(str(message_id)))
    assert errors == []
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(fake_twilio.requests) == 1
    assert outbound(rt, message_id).attempts == 1


def test_two_worker_processes_given_copies_of_a_send_post_it_once(database_url, redis_url, fake_twilio, fake_at,
                                                                   make_runtime, start_worker):
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    message_ids = [write(rt, key=f"copies-{n}") for n in range(3)]
    for copy in range(4):
        for message_id in message_ids:
            rt.queue.enqueue(SEND_JOB, str(message_id), job_id=f"copy-{copy}-{message_id}")
    workers = [start_worker(rt.settings, burst=True) for _ in range(2)]
    for worker in workers:
        wait_until(lambda w=worker: w.popen.poll() is not None, "a burst worker ends")
        assert worker.popen.returncode == 0, worker.log()

    assert sorted(r["form"]["Body"] for r in fake_twilio.requests) == ["Un seul message, une seule fois."] * 3
    assert {(outbound(rt, m).status, outbound(rt, m).attempts) for m in message_ids} == {("sent", 1)}

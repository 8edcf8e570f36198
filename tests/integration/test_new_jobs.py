"""A job for a row just inserted is written as RQ itself writes it, whichever way it reaches Redis, and runs."""
from __future__ import annotations

import uuid

import pytest
import redis
from rq import Queue, Retry
from rq.job import Job, JobStatus

import logs
from dialogs.redis_trips import RoundTrips
from tests.queues import BurstWorker
from workers.queueing import (
    ALERT_JOB,
    ALERTS,
    BACKGROUND,
    FAILURE_TTL,
    INBOUND_JOB,
    RETRY_INTERVALS,
    enqueue_inbound,
    enqueue_new_inbound,
    enqueue_new_report_alert,
    inbound_job_id,
    new_job_commands,
    sibling,
)

# Written at enqueue time: the only fields two enqueues of the same work may differ in.
STAMPS = {b"created_at", b"enqueued_at"}
STAMPS_STR = {"created_at", "enqueued_at"}


def rq_enqueue(queue: Queue, func: str, job_id: str, arg: str) -> None:
    """The same work put on the queue by RQ's own enqueue, in a pipeline, as the webhooks did before."""
    pipe = queue.connection.pipeline(transaction=False)
    queue.enqueue_call(func, args=(arg,), job_id=job_id, failure_ttl=FAILURE_TTL,
                       retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS), pipeline=pipe)
    pipe.execute()


def job_fields(client: redis.Redis, job_id: str) -> dict[bytes, bytes]:
    return {key: value for key, value in client.hgetall(f"rq:job:{job_id}").items() if key not in STAMPS}


@pytest.mark.parametrize("through", ["round trips", "pipeline"])
def test_a_new_inbound_job_is_the_job_rq_would_have_written(redis_url, through):
    client = redis.Redis.from_url(redis_url)
    queue = Queue("relais", connection=client)
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    trips = RoundTrips(client) if through == "round trips" else None

    assert enqueue_new_inbound(queue, mine, trips)
    rq_enqueue(sibling(queue, BACKGROUND), INBOUND_JOB, inbound_job_id(theirs), str(theirs))

    written, expected = job_fields(client, inbound_job_id(mine)), job_fields(client, inbound_job_id(theirs))
    # The data and description name the argument: each its own message id.
    assert written.pop(b"description") == f"{INBOUND_JOB}('{mine}')".encode()
    expected.pop(b"description")
    assert Job.fetch(inbound_job_id(mine), connection=client).args == (str(mine),)
    written.pop(b"data"), expected.pop(b"data")
    assert written == expected
    assert client.lrange("rq:queue:relais", 0, -1) == [inbound_job_id(mine).encode(), inbound_job_id(theirs).encode()]
    assert client.smembers("rq:queues") == {b"rq:queue:relais"}
    stamps = client.hmget(f"rq:job:{inbound_job_id(mine)}", *STAMPS)
    assert all(stamps)


def test_a_report_alert_goes_on_the_alerts_queue_and_a_worker_runs_it(redis_url):
    client = redis.Redis.from_url(redis_url)
    queue = Queue("relais", connection=client)
    report_id = uuid.uuid4()

    assert enqueue_new_report_alert(queue, report_id, RoundTrips(client))

    alerts = sibling(queue, ALERTS)
    [job] = alerts.get_jobs()
    assert (job.func_name, job.args, job.origin) == (ALERT_JOB, (str(report_id),), alerts.name)
    assert (job.retries_left, job.retry_intervals, job.failure_ttl) == (len(RETRY_INTERVALS), RETRY_INTERVALS,
                                                                        FAILURE_TTL)
    assert sibling(queue, BACKGROUND).count == 0
    # RQ's own worker takes it as any job it enqueued itself (no database here: the job fails, and is kept).
    BurstWorker([alerts], connection=client).work(burst=True, max_jobs=1)
    assert alerts.count == 0
    assert Job.fetch(job.id, connection=client).get_status() in {"failed", "scheduled"}


def test_without_redis_the_webhook_is_told_and_nothing_raises():
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    queue = Queue("relais", connection=client)
    queue.redis_server_version = (7, 0, 0)  # no INFO call to a server that is not there
    assert not enqueue_new_inbound(queue, uuid.uuid4(), RoundTrips(client))
    assert not enqueue_new_inbound(queue, uuid.uuid4())


def test_each_new_job_is_written_byte_for_byte_as_rq_builds_it_call_included(redis_url):
    # The hash comes from the first job of its function on its queue; each later one must still be its own.
    client = redis.Redis.from_url(redis_url)
    queue = sibling(Queue("relais", connection=client), BACKGROUND)
    for arg in (str(uuid.uuid4()), str(uuid.uuid4()), "x" * 200):
        job_id = inbound_job_id(arg)
        _sadd, (verb, key, *flat), _rpush = new_job_commands(queue, INBOUND_JOB, job_id, arg)
        written = dict(zip(flat[::2], flat[1::2], strict=True))
        job = Job.create(INBOUND_JOB, args=(arg,), id=job_id, connection=client, origin=queue.name,
                         timeout=queue.DEFAULT_TIMEOUT, status=JobStatus.QUEUED, failure_ttl=FAILURE_TTL,
                         retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))
        job.enqueued_at = job.created_at
        expected = job.to_dict(include_meta=False)
        assert (verb, key) == ("HSET", job.key)
        assert all(written[name] for name in STAMPS_STR) and written.keys() == expected.keys()
        assert {k: v for k, v in written.items() if k not in STAMPS_STR} == \
            {k: v for k, v in expected.items() if k not in STAMPS_STR}


def test_a_new_job_enqueued_in_a_request_carries_its_id_in_the_meta_rq_would_have_written(redis_url):
    # The meta RQ writes when its enqueue is given one, byte for byte; a worker reads it back as RQ's own.
    client = redis.Redis.from_url(redis_url)
    queue = sibling(Queue("relais", connection=client), ALERTS)
    arg = str(uuid.uuid4())
    token = logs.request_id.set("ussd-step-42")
    try:
        _sadd, (_verb, _key, *flat), _rpush = new_job_commands(queue, ALERT_JOB, f"report-alert-{arg}", arg)
    finally:
        logs.request_id.reset(token)
    written = dict(zip(flat[::2], flat[1::2], strict=True))
    job = Job.create(ALERT_JOB, args=(arg,), id=f"report-alert-{arg}", connection=client, origin=queue.name,
                     timeout=queue.DEFAULT_TIMEOUT, status=JobStatus.QUEUED, failure_ttl=FAILURE_TTL,
                     retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                     meta={"request_id": "ussd-step-42"})
    job.enqueued_at = job.created_at
    expected = job.to_dict()
    assert "meta" in expected and written.keys() == expected.keys()
    assert {k: v for k, v in written.items() if k not in STAMPS_STR} == \
        {k: v for k, v in expected.items() if k not in STAMPS_STR}
    # Outside a request, no meta: the hash is the one RQ writes without (the test above).
    assert "meta" not in new_job_commands(queue, ALERT_JOB, "x", arg)[1]


@pytest.mark.parametrize("through", ["new job", "rq enqueue"])
def test_a_job_enqueued_in_a_request_is_run_with_that_request_id_bound(redis_url, through):
    client = redis.Redis.from_url(redis_url)
    queue = Queue("relais", connection=client)
    arg = str(uuid.uuid4())
    token = logs.request_id.set("req-abc")
    try:
        if through == "new job":
            assert enqueue_new_inbound(queue, arg, RoundTrips(client))
        else:
            assert enqueue_inbound(queue, arg)
    finally:
        logs.request_id.reset(token)
    job = Job.fetch(inbound_job_id(arg), connection=client)
    assert job.meta == {"request_id": "req-abc"}
    # Outside any request (the scheduler between sweeps, a command), no meta at all: the hash RQ writes without one.
    assert enqueue_inbound(queue, str(uuid.uuid4())) and logs.request_id.get() is None

"""A later try is scheduled for a whole second at or after it is due: RQ cuts a scheduled time down to the second
and runs the job once that second begins, and a job run before its row is due is skipped by the claim, leaving the
try to the scheduler's sweep (up to 30 s later)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from workers.queueing import (
    PRIORITIES,
    enqueue_event_delivery_at,
    enqueue_send_at,
    event_job_id,
    not_before,
    send_job_id,
    sibling,
)

DUE = datetime(2026, 12, 7, 10, 0, 10, 700000, tzinfo=timezone.utc)


@pytest.fixture
def queue(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return Queue("relais", connection=client)


def scheduled_at(queue: Queue, job_id: str) -> datetime:
    """When RQ's scheduler will run the job, whichever queue of the family holds it."""
    for priority in PRIORITIES:
        score = queue.connection.zscore(ScheduledJobRegistry(queue=sibling(queue, priority)).key, job_id)
        if score is not None:
            return datetime.fromtimestamp(score, timezone.utc)
    raise AssertionError(f"{job_id} is not scheduled")


@pytest.mark.parametrize("due, expected", [
    (DUE, DUE.replace(microsecond=0) + timedelta(seconds=1)),
    (DUE.replace(microsecond=0), DUE.replace(microsecond=0)),
    (DUE.replace(microsecond=1), DUE.replace(microsecond=0) + timedelta(seconds=1)),
])
def test_a_time_is_rounded_up_to_its_second(due, expected):
    assert not_before(due) == expected


def test_a_send_tried_again_never_runs_before_it_is_due(queue):
    message_id = uuid.uuid4()
    assert enqueue_send_at(queue, message_id, when=DUE, attempt=2)
    assert scheduled_at(queue, f"{send_job_id(message_id)}-try-2") >= DUE


def test_an_event_posted_again_never_runs_before_it_is_due(queue):
    delivery_id = uuid.uuid4()
    assert enqueue_event_delivery_at(queue, delivery_id, when=DUE, attempt=3)
    assert scheduled_at(queue, f"{event_job_id(delivery_id)}-try-3") >= DUE

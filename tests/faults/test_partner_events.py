"""Partner events through trouble, on both databases: the receiver down, answering 500, too slow, a worker killed in
the middle of a post, Redis down at the commit. In the end each event is delivered once (a 2xx recorded, never
posted after it; a post whose answer was lost comes again with the same delivery id, for the receiver to dedupe);
24 hours of refusals end in a failure kept for the operator."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.base import utcnow
from casecore.partners.deliveries import GIVE_UP_AFTER
from casecore.partners.models import EventDelivery
from casecore.partners.subscriptions import list_subscriptions, subscribe
from casecore.partners.tokens import create_token, parse_scopes
from tests.conftest import make_settings
from tests.factories import make_organisation, make_report
from tests.fakes.receiver import Answer, FakeReceiver
from tests.faults.conftest import sweep_and_work, wait_until
from tests.queues import drain, make_deliveries_due
from workers.scheduler import STALE_EVENT_CLAIM_SECONDS, run_once

PHONE = "+22376701430"


@pytest.fixture
def receiver():
    with FakeReceiver() as fake:
        yield fake


def events_settings(database_url, redis_url, **overrides):
    return make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, EVENT_TIMEOUT=0.5, **overrides)


def subscribed(rt, receiver, url=None):
    with rt.unit_of_work() as session:
        make_organisation(session, slug="ours")
        create_token(session, "hotline", "ours", parse_scopes("events,reports:read"))
        subscription = subscribe(session, "hotline", url or receiver.url, ("report.created",))
    receiver.secret = subscription.secret


def new_report(rt):
    with rt.unit_of_work() as session:
        return make_report(session, organisation_slug="ours", reporter_phone=PHONE)


def the_delivery(rt) -> EventDelivery:
    with rt.unit_of_work() as session:
        return session.scalars(select(EventDelivery)).one()


def settle_events(rt, start=None, step=timedelta(minutes=10), rounds=12):
    """Sweep and work with the clock moving step each round (each backoff passed) until nothing is pending;
    returns the clock."""
    now = start or utcnow()
    for _ in range(rounds):
        now += step
        make_deliveries_due(rt)
        sweep_and_work(rt, now)
        if the_delivery(rt).status in ("delivered", "failed"):
            return now
    raise AssertionError(f"still {the_delivery(rt).status} after {rounds} sweeps")


def assert_delivered_once(rt, receiver, now):
    """Delivered, with a 2xx as the last answer for its id; later sweeps post nothing more."""
    row = the_delivery(rt)
    assert row.status == "delivered", (row.status, row.last_error)
    posts = receiver.requests
    assert {post["delivery"] for post in posts} == {str(row.id)}
    assert all(post["signature_ok"] for post in posts)
    assert [post["status"] for post in posts][-1] == 200
    sweep_and_work(rt, now + timedelta(hours=2))
    sweep_and_work(rt, now + GIVE_UP_AFTER * 2)
    assert len(receiver.requests) == len(posts)


def test_a_receiver_down_gets_it_once_it_is_back(database_url, redis_url, receiver, make_runtime):
    rt = make_runtime(events_settings(database_url, redis_url))
    port = receiver.port
    receiver.stop()
    subscribed(rt, receiver, url=f"http://127.0.0.1:{port}/relais/events")
    new_report(rt)
    drain(rt.queue)
    assert (the_delivery(rt).status, the_delivery(rt).last_error) == ("pending", "no connection")
    now = utcnow()
    for _ in range(3):  # still down: each try finds nothing listening
        now += timedelta(minutes=10)
        make_deliveries_due(rt)
        sweep_and_work(rt, now)
    assert the_delivery(rt).attempts == 4 and the_delivery(rt).status == "pending"

    with FakeReceiver(port=port) as back:
        back.secret = receiver.secret
        now = settle_events(rt, start=now)
        assert_delivered_once(rt, back, now)
        assert len(back.requests) == 1


def test_a_receiver_answering_500_gets_it_once_it_answers_200(database_url, redis_url, receiver, make_runtime):
    rt = make_runtime(events_settings(database_url, redis_url))
    subscribed(rt, receiver)
    receiver.answer_next(Answer(status=500), Answer(status=503), Answer(status=500))
    new_report(rt)
    drain(rt.queue)
    now = settle_events(rt)
    assert [post["status"] for post in receiver.requests] == [500, 503, 500, 200]
    assert the_delivery(rt).attempts == 4
    assert_delivered_once(rt, receiver, now)


def test_a_slow_receiver_gets_it_again_with_the_same_id(database_url, redis_url, receiver, make_runtime):
    # The first post times out after the receiver may have taken it: posted again, the receiver dedupes by the id.
    rt = make_runtime(events_settings(database_url, redis_url))
    subscribed(rt, receiver)
    receiver.answer_next(Answer.hang(3.0))
    new_report(rt)
    drain(rt.queue)
    assert the_delivery(rt).last_error == "timeout waiting for the answer"
    now = settle_events(rt)
    first, second = receiver.requests
    assert first["body"] == second["body"] and first["delivery"] == second["delivery"]
    assert_delivered_once(rt, receiver, now)


def test_a_worker_killed_during_the_post_leaves_it_to_be_posted_once_more(database_url, redis_url, receiver,
                                                                          make_runtime, start_worker):
    rt = make_runtime(events_settings(database_url, redis_url))
    subscribed(rt, receiver)
    receiver.answer_next(Answer.hang(25.0))  # the worker waits longer (30 s): it dies waiting
    new_report(rt)  # its post is enqueued as the report commits
    worker = start_worker(dataclasses.replace(rt.settings, EVENT_TIMEOUT=30.0))
    try:
        receiver.wait_for(1, timeout=30)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the worker's log:\n{worker.log()}") from None
    finally:
        worker.kill()
    assert PHONE[1:] not in worker.log() and receiver.url not in worker.log()
    assert the_delivery(rt).status == "sending"  # the claim of a job that will never finish

    run_once(rt, now=utcnow() + timedelta(seconds=30))  # too early: a slow job may still be at it
    assert the_delivery(rt).status == "sending"
    later = utcnow() + timedelta(seconds=STALE_EVENT_CLAIM_SECONDS + 1)
    sweep_and_work(rt, later)
    assert_delivered_once(rt, receiver, later)
    assert len(receiver.requests) == 2


def test_a_fresh_worker_posts_what_the_killed_one_left(database_url, redis_url, receiver, make_runtime,
                                                       start_worker):
    rt = make_runtime(events_settings(database_url, redis_url))
    subscribed(rt, receiver)
    receiver.answer_next(Answer.hang(25.0))
    new_report(rt)
    worker = start_worker(dataclasses.replace(rt.settings, EVENT_TIMEOUT=30.0))
    receiver.wait_for(1, timeout=30)
    worker.kill()

    run_once(rt, now=utcnow() + timedelta(seconds=STALE_EVENT_CLAIM_SECONDS + 1))
    worker = start_worker(rt.settings)
    wait_until(lambda: the_delivery(rt).status == "delivered", "the new worker delivers the event")
    assert worker.stop() == 0
    assert len(receiver.requests) == 2 and receiver.requests[-1]["signature_ok"]


def test_redis_down_at_the_commit_the_sweep_enqueues_it(database_url, own_redis, receiver, make_runtime):
    rt = make_runtime(events_settings(database_url, own_redis.url))
    subscribed(rt, receiver)
    own_redis.stop_for_now()
    new_report(rt)  # committed; its post could not be enqueued
    assert the_delivery(rt).status == "pending"
    own_redis.start_again()
    sweep_and_work(rt, utcnow())  # too early: its first job may still be on its way
    assert receiver.requests == []
    now = utcnow() + timedelta(seconds=rt.settings.ALERT_SWEEP_AFTER_SECONDS + 1)
    sweep_and_work(rt, now)
    assert_delivered_once(rt, receiver, now)


def test_24_hours_of_refusals_end_in_a_failure_kept_for_the_operator(database_url, redis_url, receiver,
                                                                     make_runtime):
    rt = make_runtime(events_settings(database_url, redis_url))
    subscribed(rt, receiver)
    receiver.answer_always(Answer(status=500))
    new_report(rt)
    drain(rt.queue)
    occurred = the_delivery(rt).occurred_at
    now = occurred
    while now < occurred + GIVE_UP_AFTER - timedelta(hours=2):
        now += timedelta(hours=2)
        make_deliveries_due(rt)
        sweep_and_work(rt, now)
        assert the_delivery(rt).status == "pending"
    tries = len(receiver.requests)
    assert tries >= 12
    sweep_and_work(rt, occurred + GIVE_UP_AFTER)
    failed = the_delivery(rt)
    assert (failed.status, failed.last_error, failed.data) == (
        "failed", "gave up 24 h after the event; last: HTTP 500", None)
    receiver.answer_always(Answer(status=200))
    make_deliveries_due(rt)
    sweep_and_work(rt, occurred + GIVE_UP_AFTER + timedelta(hours=1))
    assert len(receiver.requests) == tries
    with rt.unit_of_work() as session:
        [listed] = list_subscriptions(session)
    assert (listed.pending, listed.delivered, listed.failed) == (0, 0, 1)

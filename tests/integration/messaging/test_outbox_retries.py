"""Retries, against the documented values (README, "Sending: never lost, never twice"), not the module's constants:
each try waits 10 s, 30 s, 1 min, 2, 5, 10, 20, 30 min, then 1 h, within 20 %; a message is tried 20 times at most;
a retry whose scheduled send Redis lost is found by the sweep once its time has come, and not before (fake Twilio
and Africa's Talking servers, both databases)."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import update

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import claim_for_sending, queue_message, record_send_result, retry_delay
from tests.fakes.twilio import Answer
from tests.faults import conftest as faults
from tests.faults.conftest import SID, fault_settings, post_signed
from tests.faults.conftest import outbound as row
from tests.queues import make_sends_due, queued_job_ids, work_once
from workers import jobs
from workers.queueing import REPLIES, send_job_id, sibling
from workers.scheduler import run_once

PHONE = "+22376701430"
# The documented wait after the n-th try, in seconds; the last one repeats.
WAITS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
TRIES = 20


def documented_wait(tries: int) -> int:
    return WAITS[min(tries, len(WAITS)) - 1]


# The fault suite's fixtures: the fake providers, and a test client of the web app on a runtime's settings.
fake_twilio, fake_at, client_for = faults.fake_twilio, faults.fake_at, faults.client_for


@pytest.fixture
def rt(database_url, redis_url, fake_twilio, fake_at):
    runtime = bootstrap(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    yield runtime
    runtime.close()


def write(runtime, channel="sms", key="m1", phone=PHONE, backend="twilio", body="Bonjour"):
    with runtime.unit_of_work() as session:
        return queue_message(session, purpose_key=key, to_phone=phone, body=body, backend=backend,
                             channel=channel).id


def assert_waits(message, tries, before, after):
    """The message waits the documented time after its tries-th try, give or take 20 %, from its verdict."""
    wait = documented_wait(tries)
    assert before + timedelta(seconds=0.8 * wait) <= message.next_attempt_at, (tries, message.next_attempt_at)
    assert message.next_attempt_at <= after + timedelta(seconds=1.2 * wait), (tries, message.next_attempt_at)


def test_the_wait_after_each_try_is_the_documented_step_spread_by_20_percent():
    state = random.getstate()
    try:
        random.seed(23)
        waits = [retry_delay(tries) for tries in range(1, 26)]
        same_draws = random.Random(23)
        assert waits == pytest.approx([documented_wait(tries) * same_draws.uniform(0.8, 1.2)
                                       for tries in range(1, 26)])
    finally:
        random.setstate(state)
    # Retry-After is honoured within the longest step, and never shortens a step.
    assert retry_delay(1, retry_after=120) == 120
    assert retry_delay(1, retry_after=10 ** 9) == 3600
    assert 0.8 * 1800 <= retry_delay(8, retry_after=5) <= 1.2 * 1800


def test_a_retry_verdict_on_a_message_no_try_was_counted_for_waits_the_first_step(rt):
    # A verdict is taken for any message not yet settled, claimed or not: one recorded before any claim counted a
    # try (no worker does so today) waits the first step, not the longest.
    message_id = write(rt)
    before = utcnow()
    with rt.unit_of_work() as session:
        assert record_send_result(session, message_id, "retry", None, "HTTP 503") == "queued"
    after = utcnow()
    message = row(rt, message_id)
    assert message.attempts == 0
    assert_waits(message, 1, before, after)


def test_a_message_the_provider_keeps_refusing_for_now_is_tried_20_times_then_failed(rt, fake_twilio):
    # Each retry's scheduled send is lost (Redis restarted empty): the sweep finds it once its time has come, never
    # before, and the send goes once the clock reaches that time.
    message_id = write(rt)
    fake_twilio.answer_always(Answer.server_error())
    before = utcnow()
    assert jobs.send_outbound(str(message_id)) == "queued"
    for tries in range(1, TRIES):
        waiting = row(rt, message_id)
        assert (waiting.status, waiting.attempts, waiting.failure_reason) == ("queued", tries, "HTTP 500")
        assert_waits(waiting, tries, before, utcnow())
        assert jobs.send_outbound(str(message_id)) == "skipped"  # not before its time
        rt.redis.flushdb()
        run_once(rt, now=waiting.next_attempt_at - timedelta(seconds=1))
        assert send_job_id(message_id) not in queued_job_ids(rt.queue)
        run_once(rt, now=waiting.next_attempt_at + timedelta(seconds=1))
        assert send_job_id(message_id) in queued_job_ids(rt.queue)
        make_sends_due(rt)  # the send job reads the real clock: the wait is moved instead
        before = utcnow()
        work_once(rt.queue)
    failed = row(rt, message_id)
    assert (failed.status, failed.attempts, failed.failure_reason) == (
        "failed", 20, "gave up after 20 attempts: HTTP 500")
    assert failed.next_attempt_at < utcnow() and failed.sent_at is None
    run_once(rt, now=utcnow() + timedelta(days=1))
    work_once(rt.queue)
    assert len(fake_twilio.requests) == 20 and row(rt, message_id).status == "failed"


def test_a_wait_the_provider_asks_for_is_kept_even_past_the_sweep_of_first_tries(rt, fake_twilio):
    # A message written long ago that waits out a Retry-After of an hour: old enough for the sweep's first tries,
    # but it is not one, so it waits its hour.
    message_id = write(rt)
    with rt.unit_of_work() as session:
        session.execute(update(OutboundMessage).values(created_at=utcnow() - timedelta(hours=2)))
        claim_for_sending(session, message_id)
        before = utcnow()
        assert record_send_result(session, message_id, "retry", None, "HTTP 429", retry_after=3600) == "queued"
    waiting = row(rt, message_id)
    assert before + timedelta(seconds=3600) <= waiting.next_attempt_at <= utcnow() + timedelta(seconds=3600)
    run_once(rt, now=utcnow() + timedelta(minutes=30))
    assert send_job_id(message_id) not in queued_job_ids(rt.queue)
    run_once(rt, now=waiting.next_attempt_at + timedelta(seconds=1))
    assert send_job_id(message_id) in queued_job_ids(rt.queue)


def status_callback(client, sid: str, status: str, error: str = ""):
    form = {"MessageSid": sid, "MessageStatus": status, "To": f"whatsapp:{PHONE}", "AccountSid": SID}
    if error:
        form["ErrorCode"] = error
    assert post_signed(client, "/webhooks/twilio/status", form).status_code == 200


def test_a_message_twilio_takes_then_rate_limits_each_time_is_tried_20_times(rt, fake_twilio, client_for):
    with rt.unit_of_work() as session:  # the person wrote an hour ago: WhatsApp's window is open
        store_inbound(session, InboundDraft(provider="twilio", provider_message_id="SMin", channel="whatsapp",
                                            phone=PHONE, to_address="+14155238886", body="Bonjour",
                                            received_at=utcnow() - timedelta(hours=1)))
    message_id = write(rt, channel="whatsapp")
    client = client_for(rt)
    for tries in range(1, TRIES + 1):
        make_sends_due(rt)
        assert jobs.send_outbound(str(message_id)) == "sent"
        sent = row(rt, message_id)
        assert sent.attempts == tries and sent.sent_at is not None
        status_callback(client, sent.provider_message_id, "sent")
        before = utcnow()
        status_callback(client, sent.provider_message_id, "failed", "63018")  # then WhatsApp refused it for now
        if tries < TRIES:
            again = row(rt, message_id)
            assert (again.status, again.attempts, again.failure_reason) == ("queued", tries, "rate_limited")
            assert (again.provider_message_id, again.sent_at, again.delivery_status) == (None, None, None)
            assert_waits(again, tries, before, utcnow())
            # Its next try scheduled for that time, as a job of its own (the one that sent this try may still run).
            scheduled = sibling(rt.queue, REPLIES).scheduled_job_registry.get_scheduled_time(
                f"{send_job_id(message_id)}-try-{tries}")
            assert abs((scheduled - again.next_attempt_at).total_seconds()) < 1
    given_up = row(rt, message_id)
    assert (given_up.status, given_up.attempts, given_up.delivery_status, given_up.delivery_reason) == (
        "sent", 20, "failed", "rate_limited")
    make_sends_due(rt)
    assert jobs.send_outbound(str(message_id)) == "skipped"
    assert len(fake_twilio.requests) == 20

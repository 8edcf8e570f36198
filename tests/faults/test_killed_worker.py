"""A real worker process SIGKILLed in the middle of a send: after the sweeps, each message reached the provider once
(or, when nobody can tell whether it did, is failed rather than sent twice)."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from casecore.base import utcnow
from casecore.messaging.inbox import InboundDraft, mark_processed, store_inbound
from casecore.messaging.outbox import queue_message
from tests.fakes.africastalking import Answer as AtAnswer
from tests.fakes.twilio import Answer
from tests.faults.conftest import fault_settings, outbound, post_at_delivery, sweep_and_work, wait_until
from tests.queues import drain
from workers.queueing import enqueue_send
from workers.scheduler import RECONCILE_AFTER_SECONDS, STALE_CLAIM_SECONDS, run_once

PHONE = "+22376701430"
# The worker's own timeout is longer than any hang here: it is killed while it still waits for the answer.
WORKER_TIMEOUT = 60.0
HANG = 30.0


def write(runtime, backend="twilio", channel="sms", body="Votre agent vous repondra demain.", options=None):
    with runtime.unit_of_work() as session:
        return queue_message(session, purpose_key=f"fault:{backend}:{channel}", to_phone=PHONE, body=body,
                             backend=backend, channel=channel, options=options).id


def kill_during_send(start_worker, runtime, message_id, request_arrived):
    """Start a worker on the send job, wait until request_arrived() (the provider holds the answer), SIGKILL it.

    The worker waits longer for the provider than the provider holds its answer: it dies waiting.
    """
    assert enqueue_send(runtime.queue, message_id)
    worker = start_worker(dataclasses.replace(runtime.settings, PROVIDER_TIMEOUT=WORKER_TIMEOUT))
    try:
        request_arrived()
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the worker's log:\n{worker.log()}") from None
    finally:
        worker.kill()
    assert PHONE[1:] not in worker.log()  # ids in the log, never the number


def after_stale_claim():
    """A clock past the point where a claim is taken for a dead job's, and its outcome looked up."""
    return utcnow() + timedelta(seconds=STALE_CLAIM_SECONDS + RECONCILE_AFTER_SECONDS)


def test_killed_while_twilio_holds_the_answer_it_is_looked_up_not_sent_again(
        database_url, redis_url, fake_twilio, fake_at, make_runtime, start_worker):
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    message_id = write(rt)
    fake_twilio.answer_next(Answer.hang(HANG))  # Twilio creates the message; the answer never comes in time
    kill_during_send(start_worker, rt, message_id, lambda: fake_twilio.wait_for(1, timeout=30))
    assert outbound(rt, message_id).status == "sending"  # the claim of a job that will never finish

    run_once(rt, now=utcnow() + timedelta(seconds=30))  # too early: a slow job may still be at it
    assert outbound(rt, message_id).status == "sending"
    later = after_stale_claim()
    run_once(rt, now=later)
    assert outbound(rt, message_id).status == "unknown"
    drain(rt.queue, runtime=rt)  # the look-up finds the message at Twilio

    [created] = fake_twilio.created_messages
    settled = outbound(rt, message_id)
    assert (settled.status, settled.provider_message_id, settled.attempts) == ("sent", created["sid"], 1)
    sweep_and_work(rt, later + timedelta(minutes=30))
    assert len(fake_twilio.requests) == 1 and len(fake_twilio.lookups) == 1


def test_a_fresh_worker_finishes_what_the_killed_one_left(database_url, redis_url, fake_twilio, fake_at,
                                                          make_runtime, start_worker):
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    message_id = write(rt)
    fake_twilio.answer_next(Answer.hang(HANG))
    kill_during_send(start_worker, rt, message_id, lambda: fake_twilio.wait_for(1, timeout=30))

    run_once(rt, now=after_stale_claim())  # the scheduler's sweep; the look-up runs in the new worker
    worker = start_worker(rt.settings)
    wait_until(lambda: outbound(rt, message_id).status == "sent", "the new worker settles the message")
    assert worker.stop() == 0
    [created] = fake_twilio.created_messages
    assert outbound(rt, message_id).provider_message_id == created["sid"]
    assert len(fake_twilio.requests) == 1


@pytest.mark.parametrize("report", [True, False], ids=["delivery-report", "no-report"])
def test_killed_while_at_holds_the_answer_it_is_never_sent_twice(database_url, redis_url, fake_twilio, fake_at,
                                                                 make_runtime, start_worker, client_for, report):
    # Without a report the wait for one has passed at once: the message is failed, not sent again.
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at, SMS_BACKEND="africastalking",
                                     UNKNOWN_OUTCOME_WAIT_SECONDS=3600 if report else 0))
    message_id = write(rt, backend="africastalking")
    fake_at.answer_next(AtAnswer.hang(HANG))
    kill_during_send(start_worker, rt, message_id, lambda: fake_at.wait_for(1, timeout=30))

    later = after_stale_claim()
    sweep_and_work(rt, later)  # AT has no look-up: the message waits for a report naming its number
    waiting = outbound(rt, message_id)
    client = client_for(rt)
    if report:
        assert waiting.status == "unknown"
        assert post_at_delivery(client, "ATXid_after_kill", PHONE).status_code == 200
        settled = outbound(rt, message_id)
        assert (settled.status, settled.provider_message_id, settled.delivery_status) == (
            "sent", "ATXid_after_kill", "delivered")
    else:
        assert (waiting.status, waiting.failure_reason) == (
            "failed", "outcome unknown: not sent again, to avoid sending it twice")
        # A report arriving after the give-up proves AT had it: the row says so; nothing is sent because of it.
        assert post_at_delivery(client, "ATXid_too_late", PHONE).status_code == 200
        late = outbound(rt, message_id)
        assert (late.status, late.provider_message_id, late.delivery_status) == ("sent", "ATXid_too_late",
                                                                                 "delivered")

    rt = client.application.extensions["relais"]  # the app's runtime is the process runtime now
    sweep_and_work(rt, later + timedelta(hours=2))
    sweep_and_work(rt, later + timedelta(hours=4))
    assert len(fake_at.requests) == 1


def test_killed_before_the_provider_call_it_is_sent_once_after_the_look_up(
        database_url, redis_url, fake_twilio, fake_at, make_runtime, start_worker):
    # A WhatsApp question with buttons first creates its quick-reply content: the worker dies during that call,
    # holding the claim, before any message was posted.
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    with rt.unit_of_work() as session:  # the person wrote an hour ago (answered then): WhatsApp's window is open
        stored = store_inbound(session, InboundDraft(
            provider="twilio", provider_message_id="SMopen", channel="whatsapp", phone=PHONE,
            to_address="+14155238886", body="Bonjour", received_at=utcnow() - timedelta(hours=1)))
        mark_processed(session, stored.id)
    message_id = write(rt, channel="whatsapp", body="Voulez-vous continuer ?\n1 Oui\n2 Non", options=["Oui", "Non"])
    fake_twilio.answer_next_content(Answer.hang(HANG))
    kill_during_send(start_worker, rt, message_id,
                     lambda: wait_until(lambda: fake_twilio.content_requests, "a content request"))
    assert fake_twilio.requests == [] and outbound(rt, message_id).status == "sending"

    later = after_stale_claim()
    sweep_and_work(rt, later)  # stale -> unknown -> Twilio has nothing -> queued again -> sent
    sweep_and_work(rt, later + timedelta(minutes=30))

    [posted] = fake_twilio.requests
    assert posted["form"]["To"] == f"whatsapp:{PHONE}" and posted["buttons"] == ["Oui", "Non"]
    sent = outbound(rt, message_id)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert sent.provider_message_id == fake_twilio.created_messages[0]["sid"]

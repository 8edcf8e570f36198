"""Providers answering 500, 429, garbage, or nothing in time, or not listening at all: the outbox waits, retries,
looks up what it cannot know, and in the end every message reached its person exactly once."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from casecore.base import utcnow
from casecore.messaging.inbox import InboundDraft, mark_processed, store_inbound
from casecore.messaging.message_log import message_log_summary
from casecore.messaging.outbox import queue_message
from tests.fakes.africastalking import Answer as AtAnswer
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.twilio import Answer
from tests.faults.conftest import AT_KEY, fault_settings, outbound, post_at_delivery, settle
from tests.queues import make_sends_due, work_once
from workers.queueing import enqueue_send
from workers.scheduler import run_once

TWILIO_SMS = ["+22376100001", "+22376100002", "+22376100003"]
WHATSAPP = ["+22376200001", "+22376200002", "+22376200003"]
AT_SMS = ["+22376300001", "+22376300002", "+22376300003", "+22376300004"]


def write_batch(runtime) -> dict[str, object]:
    """Ten messages, one per number: Twilio SMS, WhatsApp (the window open), AT SMS; ids by number."""
    ids = {}
    with runtime.unit_of_work() as session:
        for phone in WHATSAPP:  # each person wrote an hour ago (and was answered): the 24-hour window is open
            stored = store_inbound(session, InboundDraft(
                provider="twilio", provider_message_id=f"SM{phone[1:]}", channel="whatsapp", phone=phone,
                to_address="+14155238886", body="Bonjour", received_at=utcnow() - timedelta(hours=1)))
            mark_processed(session, stored.id)
        batch = [(p, "twilio", "sms") for p in TWILIO_SMS] + [(p, "twilio", "whatsapp") for p in WHATSAPP]
        batch += [(p, "africastalking", "sms") for p in AT_SMS]
        for phone, backend, channel in batch:
            ids[phone] = queue_message(session, purpose_key=f"trouble:{phone}", to_phone=phone, backend=backend,
                                       channel=channel, body=f"Message pour {phone[-4:]}").id
    return ids


def twilio_to(request) -> str:
    return request["form"]["To"].removeprefix("whatsapp:")


def created_to(message) -> str:
    return message["to"].removeprefix("whatsapp:")


def trouble_round(runtime, now) -> None:
    """A sweep while the providers still misbehave: what is due is tried once more, retries stay scheduled."""
    make_sends_due(runtime)  # the backoffs have passed by now
    run_once(runtime, now=now)
    work_once(runtime.queue)


def summary(runtime):
    with runtime.unit_of_work() as session:
        return message_log_summary(session)


def test_a_batch_through_500_429_timeouts_and_garbage_is_sent_once_each(
        database_url, redis_url, fake_twilio, fake_at, make_runtime, client_for):
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    ids = write_batch(rt)
    # In queue order: 500, 429, a hang (Twilio creates the message, the answer comes too late), garbage (not
    # created), fine, 500; AT: 500, 429, garbage (taken, as its report shows later), fine.
    fake_twilio.answer_next(Answer.server_error(), Answer.throttled(), Answer.hang(3), Answer.garbage(),
                            Answer.success(), Answer.server_error())
    fake_at.answer_next(AtAnswer.http_error(500), AtAnswer.http_error(429), AtAnswer.garbage(), AtAnswer.success())
    for message_id in ids.values():
        assert enqueue_send(rt.queue, message_id)
    work_once(rt.queue)

    first = {phone: (outbound(rt, m).status, outbound(rt, m).failure_reason) for phone, m in ids.items()}
    assert first == {
        TWILIO_SMS[0]: ("queued", "HTTP 500"), TWILIO_SMS[1]: ("queued", "HTTP 429"),
        TWILIO_SMS[2]: ("unknown", "outcome unknown: timeout"),
        WHATSAPP[0]: ("unknown", "outcome unknown: unreadable answer"), WHATSAPP[1]: ("sent", None),
        WHATSAPP[2]: ("queued", "HTTP 500"),
        AT_SMS[0]: ("queued", "HTTP 500"), AT_SMS[1]: ("queued", "HTTP 429"),
        AT_SMS[2]: ("unknown", "outcome unknown: unreadable answer"), AT_SMS[3]: ("sent", None),
    }
    early = summary(rt)
    assert (early.queued, early.waiting_to_retry, early.unknown, early.failed) == (5, 5, 3, 0)
    assert dict(early.top_retry_reasons) == {"HTTP 500": 3, "HTTP 429": 2}
    assert early.next_retry_at > utcnow()

    # The trouble lasts: Twilio throttles everything, AT's gateway is down.
    fake_twilio.answer_always(Answer.throttled())
    fake_at.answer_always(AtAnswer.http_error(503))
    now = utcnow() + timedelta(minutes=10)
    trouble_round(rt, now)
    during = summary(rt)
    assert during.waiting_to_retry == 6  # the five, and the garbage one Twilio never created (looked up: not there)
    assert dict(during.top_retry_reasons) == {"HTTP 429": 4, "HTTP 503": 2}
    assert during.unknown == 1  # AT's garbage answer: AT cannot be asked, its report is awaited
    assert outbound(rt, ids[TWILIO_SMS[2]]).status == "sent"  # the hang: Twilio's list shows it was created

    # The providers recover; AT's report for the message it took arrives.
    fake_twilio.answer_always(Answer.success())
    fake_at.answer_always(AtAnswer.success())
    assert post_at_delivery(client_for(rt), "ATXid_taken", AT_SMS[2]).status_code == 200
    settle(rt, now)

    rows = {phone: outbound(rt, m) for phone, m in ids.items()}
    assert {row.status for row in rows.values()} == {"sent"}
    assert all(row.failure_reason is None for row in rows.values())
    created = Counter(created_to(m) for m in fake_twilio.created_messages)
    assert created == Counter(TWILIO_SMS + WHATSAPP)  # each Twilio message created exactly once
    twilio_posts = Counter(twilio_to(r) for r in fake_twilio.requests)
    at_posts = Counter(r["form"]["to"] for r in fake_at.requests)
    taken_by_at = Counter(r["form"]["to"] for r in fake_at.requests if r["http_status"] == 201)
    assert taken_by_at == Counter(AT_SMS)  # each AT message accepted exactly once
    for phone, row in rows.items():
        posts = at_posts[phone] if phone in AT_SMS else twilio_posts[phone]
        assert row.attempts == posts, phone  # every try is one request, and every request a recorded try
    assert rows[AT_SMS[2]].provider_message_id == "ATXid_taken"
    assert summary(rt).waiting_to_retry == 0


def test_a_provider_not_listening_is_waited_for_then_each_message_goes_once(
        database_url, redis_url, fake_twilio, fake_at, make_runtime):
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at, SMS_BACKEND="africastalking"))
    with rt.unit_of_work() as session:
        ids = [queue_message(session, purpose_key=f"down:{phone}", to_phone=phone, body="Bonjour",
                             backend="africastalking").id for phone in AT_SMS]
    port = fake_at.port
    fake_at.stop()  # nothing listens: the connection is refused, so AT surely never saw a request
    for message_id in ids:
        enqueue_send(rt.queue, message_id)
    work_once(rt.queue)
    now = utcnow()
    for _ in range(3):
        now += timedelta(minutes=10)
        trouble_round(rt, now)
    down = summary(rt)
    assert (down.waiting_to_retry, down.unknown, down.failed) == (4, 0, 0)
    assert dict(down.top_retry_reasons) == {"no connection (ConnectionError)": 4}
    assert {outbound(rt, m).attempts for m in ids} == {4}

    with FakeAfricasTalking(port=port, api_key=AT_KEY) as back:  # AT is back, on the same address
        settle(rt, now)
        assert Counter(r["form"]["to"] for r in back.requests) == Counter(AT_SMS)
    assert {(outbound(rt, m).status, outbound(rt, m).attempts) for m in ids} == {("sent", 5)}


def test_two_unknown_outcomes_to_one_number_are_told_apart(database_url, redis_url, fake_twilio, fake_at,
                                                           make_runtime):
    # The first message's answer is garbage (Twilio never created it); the second's comes too late (created).
    # Looking up the first must not take the second's message for it: each body reaches the phone once.
    rt = make_runtime(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    phone = TWILIO_SMS[0]
    with rt.unit_of_work() as session:
        ids = [queue_message(session, purpose_key=f"same-number:{n}", to_phone=phone, backend="twilio",
                             body=body).id for n, body in enumerate(["Premier message", "Second message"])]
    fake_twilio.answer_next(Answer.garbage(), Answer.hang(3))
    for message_id in ids:
        enqueue_send(rt.queue, message_id)
    work_once(rt.queue)
    assert [outbound(rt, m).status for m in ids] == ["unknown", "unknown"]

    settle(rt)
    assert sorted(m["body"] for m in fake_twilio.created_messages) == ["Premier message", "Second message"]
    first, second = (outbound(rt, m) for m in ids)
    assert first.status == second.status == "sent"
    by_body = {m["body"]: m["sid"] for m in fake_twilio.created_messages}
    assert (first.provider_message_id, second.provider_message_id) == (
        by_body["Premier message"], by_body["Second message"])

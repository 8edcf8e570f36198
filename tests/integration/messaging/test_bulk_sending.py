"""Africa's Talking bulk sending (AT_BULK_RECIPIENTS): one call for the same text to several numbers, each outbox
row settled by its own number's answer, and never a message sent twice."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import claim_alike, claim_for_sending, queue_message, record_send_result
from tests.factories import make_organisation, make_user
from tests.fakes.africastalking import Answer as AtAnswer
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.twilio import FakeTwilio
from tests.faults.conftest import AT_KEY, SID, TOKEN, fault_settings
from tests.faults.conftest import outbound as row
from tests.queues import drain
from workers import jobs
from workers.queueing import REPLIES, enqueue_send, send_job_id, sibling

ACCEPTED, REFUSED, SHORT_OF_CREDIT = "+22376701431", "+22376701432", "+22376701433"
TEXT = "Bienvenue sur Relais.\n1 Signaler un enfant en danger\n2 Un enfant disparu"


@pytest.fixture
def fake_at():
    with FakeAfricasTalking(api_key=AT_KEY) as fake:
        yield fake


@pytest.fixture
def twilio():
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def rt(database_url, redis_url, twilio, fake_at):
    runtime = bootstrap(fault_settings(database_url, redis_url, twilio, fake_at, SMS_BACKEND="africastalking",
                                       AT_BULK_RECIPIENTS=10))
    yield runtime
    runtime.close()


def write(runtime, phone, body=TEXT, key=None, backend="africastalking", **extra):
    with runtime.unit_of_work() as session:
        return queue_message(session, purpose_key=key or f"bulk:{phone}", to_phone=phone, body=body,
                             backend=backend, **extra).id


def recipients(fake):
    """How many times each number was in a call, and in a call AT accepted for it."""
    entries = [entry for request in fake.requests for entry in request["recipients"]]
    return (Counter(entry["number"] for entry in entries),
            Counter(entry["number"] for entry in entries if entry["statusCode"] == 101))


def test_one_call_for_the_same_text_each_row_settled_by_its_own_number(rt, fake_at):
    ids = {phone: write(rt, phone) for phone in (ACCEPTED, REFUSED, SHORT_OF_CREDIT)}
    fake_at.answer_for_number(REFUSED, 403, "InvalidPhoneNumber")
    fake_at.answer_for_number(SHORT_OF_CREDIT, 405, "InsufficientBalance")

    assert jobs.send_outbound(str(ids[ACCEPTED])) == "sent"
    [call] = fake_at.requests
    assert call["form"]["to"].split(",") == [ACCEPTED, REFUSED, SHORT_OF_CREDIT]
    assert call["form"]["message"] == TEXT
    accepted, refused, short = (row(rt, ids[phone]) for phone in (ACCEPTED, REFUSED, SHORT_OF_CREDIT))
    [answer] = [entry for entry in call["recipients"] if entry["number"] == ACCEPTED]
    assert (accepted.status, accepted.provider_message_id, accepted.attempts) == ("sent", answer["messageId"], 1)
    assert (refused.status, refused.failure_reason, refused.provider_message_id) == (
        "failed", "InvalidPhoneNumber", None)
    assert (short.status, short.failure_reason, short.attempts) == ("queued", "InsufficientBalance", 1)
    assert short.next_attempt_at is not None

    # Their own jobs run later: the two settled are skipped; the one short of credit goes again, alone, once due.
    fake_at.answer_for_number(SHORT_OF_CREDIT, 101, "Success")
    for message_id in ids.values():
        enqueue_send(rt.queue, message_id)
    drain(rt.queue, runtime=rt)
    assert {phone: row(rt, message_id).status for phone, message_id in ids.items()} == {
        ACCEPTED: "sent", REFUSED: "failed", SHORT_OF_CREDIT: "sent"}
    in_calls, taken = recipients(fake_at)
    assert in_calls == Counter({ACCEPTED: 1, REFUSED: 1, SHORT_OF_CREDIT: 2})
    assert taken == Counter({ACCEPTED: 1, SHORT_OF_CREDIT: 1})  # each number took its message once
    assert row(rt, ids[SHORT_OF_CREDIT]).attempts == 2


def test_only_the_same_text_to_other_numbers_goes_in_the_call(rt, fake_at):
    first = write(rt, ACCEPTED)
    same_number = write(rt, ACCEPTED, key="bulk:again")
    other_text = write(rt, REFUSED, body="Merci, votre signalement est enregistre.")
    with_options = write(rt, SHORT_OF_CREDIT, options=["Oui", "Non"])
    # No writer puts these on Africa's Talking today, but the outbox takes them: a WhatsApp message, and an SMS
    # sent as a template; neither is a plain SMS.
    on_whatsapp = write(rt, "+22376701435", channel="whatsapp")
    as_template = write(rt, "+22376701436", content_sid="HX00000000000000000000000000000001")
    alike = write(rt, "+22376701434")

    assert jobs.send_outbound(str(first)) == "sent"
    [call] = fake_at.requests
    assert call["form"]["to"] == f"{ACCEPTED},+22376701434"
    assert [row(rt, m).status for m in (first, alike)] == ["sent", "sent"]
    assert [row(rt, m).status for m in (same_number, other_text, with_options, on_whatsapp, as_template)] == [
        "queued"] * 5


def test_a_call_looks_no_further_than_the_100_plain_sms_waiting_longest(rt, fake_at):
    # Bodies are sealed, so the text is compared here rather than in SQL, over the 100 oldest candidates only:
    # behind 98 messages of another text, the 99th and the 100th of the same text join; the 101st waits for its job.
    other_text = "Merci, votre signalement est enregistre."
    start = utcnow() - timedelta(hours=1)
    with rt.unit_of_work() as session:
        candidates = [
            queue_message(session, purpose_key=f"bulk:other:{n}", to_phone=f"+223766{n:05d}", body=other_text,
                          backend="africastalking").id for n in range(98)
        ] + [
            queue_message(session, purpose_key=f"bulk:alike:{n}", to_phone=phone, body=TEXT,
                          backend="africastalking").id
            for n, phone in enumerate((REFUSED, SHORT_OF_CREDIT, "+22376701434"))
        ]
        for seconds, message_id in enumerate(candidates):  # in this order, oldest first
            session.get(OutboundMessage, message_id).created_at = start + timedelta(seconds=seconds)
    first = write(rt, ACCEPTED)

    assert jobs.send_outbound(str(first)) == "sent"
    [call] = fake_at.requests
    assert sorted(call["form"]["to"].split(",")) == sorted([ACCEPTED, REFUSED, SHORT_OF_CREDIT])
    assert [row(rt, m).status for m in candidates[-3:]] == ["sent", "sent", "queued"]


def test_a_whole_call_refused_settles_every_row_alike(rt, fake_at):
    ids = [write(rt, phone) for phone in (ACCEPTED, REFUSED)]
    fake_at.answer_next(AtAnswer.http_error(503))
    assert jobs.send_outbound(str(ids[0])) == "queued"
    assert [(row(rt, m).status, row(rt, m).failure_reason, row(rt, m).attempts) for m in ids] == [
        ("queued", "HTTP 503", 1)] * 2


def test_an_unreadable_answer_leaves_every_row_of_the_call_unknown(rt, fake_at):
    ids = [write(rt, phone) for phone in (ACCEPTED, REFUSED)]
    fake_at.answer_next(AtAnswer.garbage())
    assert jobs.send_outbound(str(ids[0])) == "unknown"
    assert [row(rt, m).status for m in ids] == ["unknown", "unknown"]  # never sent again without AT's word


def test_without_the_setting_each_sms_is_its_own_call(database_url, redis_url, twilio, fake_at):
    runtime = bootstrap(fault_settings(database_url, redis_url, twilio, fake_at, SMS_BACKEND="africastalking"))
    try:
        ids = [write(runtime, phone) for phone in (ACCEPTED, REFUSED)]
        for message_id in ids:
            enqueue_send(runtime.queue, message_id)
        drain(runtime.queue, runtime=runtime)
        assert [request["form"]["to"] for request in fake_at.requests] == [ACCEPTED, REFUSED]
        assert [row(runtime, m).status for m in ids] == ["sent", "sent"]
    finally:
        runtime.close()


@pytest.fixture
def rt3(database_url, redis_url, twilio, fake_at):
    """A bulk call of three numbers at most."""
    runtime = bootstrap(fault_settings(database_url, redis_url, twilio, fake_at, SMS_BACKEND="africastalking",
                                       AT_BULK_RECIPIENTS=3))
    yield runtime
    runtime.close()


def written_ago(runtime, message_id, minutes):
    with runtime.unit_of_work() as session:
        session.get(OutboundMessage, message_id).created_at = utcnow() - timedelta(minutes=minutes)


def test_a_call_takes_as_many_numbers_as_the_setting_allows_those_waiting_longest(rt3, fake_at):
    numbers = [f"+2237670150{n}" for n in range(6)]
    ids = {phone: write(rt3, phone) for phone in numbers}
    for phone, minutes in zip(numbers[1:], (1, 2, 5, 4, 3), strict=True):
        written_ago(rt3, ids[phone], minutes)

    assert jobs.send_outbound(str(ids[numbers[0]])) == "sent"
    [call] = fake_at.requests
    assert set(call["form"]["to"].split(",")) == {numbers[0], numbers[3], numbers[4]}
    drain(rt3.queue, runtime=rt3)
    for phone in numbers:  # the others go later, each once
        enqueue_send(rt3.queue, ids[phone])
    drain(rt3.queue, runtime=rt3)
    in_calls, taken = recipients(fake_at)
    assert in_calls == taken == Counter(numbers)
    assert max(len(r["recipients"]) for r in fake_at.requests) == 3


def test_two_messages_to_one_other_number_never_share_a_call(rt, fake_at):
    first = write(rt, ACCEPTED)
    to_refused = [write(rt, REFUSED, key=f"bulk:refused:{n}") for n in range(2)]
    assert jobs.send_outbound(str(first)) == "sent"
    [call] = fake_at.requests
    assert sorted(call["form"]["to"].split(",")) == [ACCEPTED, REFUSED]
    assert sorted(row(rt, m).status for m in to_refused) == ["queued", "sent"]


def test_a_call_takes_only_due_plain_sms_of_its_own_backend_to_community_members(database_url, redis_url, twilio,
                                                                                   fake_at):
    runtime = bootstrap(fault_settings(database_url, redis_url, twilio, fake_at, SMS_BACKEND="africastalking",
                                       AT_BULK_RECIPIENTS=2))
    try:
        # Written before the one that may join: a retry still waiting, one already sent, one through Twilio, and an
        # alert to a staff member; each would take the call's one free place.
        waiting = write(runtime, "+22376701501")
        already_sent = write(runtime, "+22376701502")
        by_twilio = write(runtime, "+22376701503", backend="twilio")
        with runtime.unit_of_work() as session:
            staff = make_user(session, make_organisation(session), phone="+22376701504")
            to_staff = queue_message(session, purpose_key="alert", to_phone=staff.phone, body=TEXT,
                                     backend="africastalking", recipient_user_id=staff.id).id
            claim_for_sending(session, waiting)
            record_send_result(session, waiting, "retry", None, "HTTP 503")
            claim_for_sending(session, already_sent)
            record_send_result(session, already_sent, "sent", "ATXid_before", None)
        for minutes, message_id in enumerate((to_staff, by_twilio, already_sent, waiting), start=2):
            written_ago(runtime, message_id, minutes)
        joins = write(runtime, "+22376701505")
        written_ago(runtime, joins, 1)
        first = write(runtime, ACCEPTED)

        assert jobs.send_outbound(str(first)) == "sent"
        [call] = fake_at.requests
        assert sorted(call["form"]["to"].split(",")) == [ACCEPTED, "+22376701505"]
        assert row(runtime, joins).status == "sent"
        assert [row(runtime, m).status for m in (waiting, by_twilio, to_staff)] == ["queued"] * 3
        assert twilio.requests == []
    finally:
        runtime.close()


def test_each_message_of_a_call_waits_its_own_backoff(rt, fake_at):
    # The message to SHORT_OF_CREDIT was tried three times before: after this call it waits 2 minutes, the new one
    # 10 seconds; each has its send scheduled for its own time.
    earlier = write(rt, SHORT_OF_CREDIT)
    with rt.unit_of_work() as session:
        for tries in range(3):
            claim_for_sending(session, earlier, now=utcnow() + timedelta(hours=tries))
            record_send_result(session, earlier, "retry", None, "InsufficientBalance")
        session.get(OutboundMessage, earlier).next_attempt_at = utcnow() - timedelta(seconds=1)
    first = write(rt, ACCEPTED)
    fake_at.answer_next(AtAnswer.recipient(405, "InsufficientBalance"))
    before = utcnow()
    assert jobs.send_outbound(str(first)) == "queued"
    after = utcnow()
    [call] = fake_at.requests
    assert sorted(call["form"]["to"].split(",")) == [ACCEPTED, SHORT_OF_CREDIT]
    new, old = row(rt, first), row(rt, earlier)
    assert (new.attempts, old.attempts) == (1, 4)
    for message, wait in ((new, 10), (old, 120)):  # after 1 try, 10 s; after 4 tries, 2 min; within 20 %
        assert before + timedelta(seconds=0.8 * wait) <= message.next_attempt_at
        assert message.next_attempt_at <= after + timedelta(seconds=1.2 * wait)
    registry = sibling(rt.queue, REPLIES).scheduled_job_registry
    for message in (new, old):
        scheduled = registry.get_scheduled_time(f"{send_job_id(message.id)}-try-{message.attempts}")
        assert abs((scheduled - message.next_attempt_at).total_seconds()) < 1


def test_a_claim_alike_at_a_given_time_takes_the_retries_due_by_then(rt):
    # The job's clock is passed down: a message whose backoff ends before the time of the claim joins it, though
    # not yet due by the wall clock, and each claim is stamped with that time, as the job's own message is.
    waiting = write(rt, SHORT_OF_CREDIT)
    with rt.unit_of_work() as session:
        claim_for_sending(session, waiting)
        assert record_send_result(session, waiting, "retry", None, "InsufficientBalance") == "queued"
    first = write(rt, ACCEPTED)
    later = utcnow() + timedelta(minutes=1)  # after the first wait, 10 s give or take 20 %
    with rt.unit_of_work() as session:
        claimed = claim_for_sending(session, first, now=later)
        alike = claim_alike(session, claimed, 5, later)
    assert [(message.id, message.to_phone, message.attempts, message.claimed_at) for message in alike] == [
        (waiting, SHORT_OF_CREDIT, 2, later)]
    assert row(rt, waiting).status == "sending"

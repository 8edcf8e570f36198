"""Messages of unknown outcome, several at once: each looked up as itself and only once the provider lists it, an
Africa's Talking report settling only the message in doubt to its own number, through its own backend, and a late
verdict never sending again what went meanwhile (fake Twilio and Africa's Talking servers, both databases)."""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.errors import NotFound
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import claim_for_sending, messages_awaiting_send, queue_message, record_send_result
from casecore.messaging.unknown_outcomes import (
    FOUND_ANOTHERS,
    adopt_report_for_unknown,
    mark_stale_claims_unknown,
    messages_of_unknown_outcome,
    settle_unknown,
)
from tests.concurrency import first_holds_while_second_waits
from tests.fakes.africastalking import Answer as AtAnswer
from tests.fakes.twilio import Answer
from tests.faults import conftest as faults
from tests.faults.conftest import fault_settings, post_at_delivery
from tests.faults.conftest import outbound as row
from tests.queues import drain
from workers import jobs
from workers.scheduler import RECONCILE_AFTER_SECONDS, run_once

AWA, BINTOU = "+22376701430", "+22376701431"


# The fault suite's fixtures: the fake providers, and a test client of the web app on a runtime's settings.
fake_twilio, fake_at, client_for = faults.fake_twilio, faults.fake_at, faults.client_for


@pytest.fixture
def rt(database_url, redis_url, fake_twilio, fake_at):
    runtime = bootstrap(fault_settings(database_url, redis_url, fake_twilio, fake_at))
    yield runtime
    runtime.close()


@pytest.fixture
def at_rt(database_url, redis_url, fake_twilio, fake_at):
    runtime = bootstrap(fault_settings(database_url, redis_url, fake_twilio, fake_at, SMS_BACKEND="africastalking"))
    yield runtime
    runtime.close()


def write(runtime, phone, key, backend="twilio", body=None):
    with runtime.unit_of_work() as session:
        return queue_message(session, purpose_key=key, to_phone=phone, body=body or f"Message {key}",
                             backend=backend).id


def unknown_after_at_garbage(runtime, fake_at, message_id):
    """Sent through AT, whose answer is unreadable: AT may have taken it."""
    fake_at.answer_next(AtAnswer.garbage())
    assert jobs.send_outbound(str(message_id)) == "unknown"
    assert row(runtime, message_id).failure_reason == "outcome unknown: unreadable answer"


# -- looked up at Twilio -----------------------------------------------------------------------------------------

def test_each_message_in_doubt_is_looked_up_as_itself(rt, fake_twilio):
    # Awa's message reached Twilio (its answer came too late); Bintou's did not (the answer was unreadable).
    to_awa, to_bintou = write(rt, AWA, "awa"), write(rt, BINTOU, "bintou")
    fake_twilio.answer_next(Answer.hang(2), Answer.garbage())
    assert jobs.send_outbound(str(to_awa)) == "unknown"
    assert jobs.send_outbound(str(to_bintou)) == "unknown"
    fake_twilio.wait_for(2)

    assert jobs.reconcile_outbound(str(to_bintou)) == "queued"  # Twilio has nothing to Bintou: it goes again
    assert row(rt, to_bintou).failure_reason == "not taken by the provider: sending again"
    assert jobs.reconcile_outbound(str(to_awa)) == "sent"
    assert jobs.reconcile_outbound(str(to_awa)) == "settled"  # a second look-up job finds nothing to do
    drain(rt.queue, runtime=rt)

    [to_awa_created, to_bintou_created] = fake_twilio.created_messages
    awa, bintou = row(rt, to_awa), row(rt, to_bintou)
    assert (awa.status, awa.provider_message_id, awa.failure_reason) == ("sent", to_awa_created["sid"], None)
    assert (bintou.status, bintou.provider_message_id) == ("sent", to_bintou_created["sid"])
    assert [m["to"] for m in fake_twilio.created_messages] == [AWA, BINTOU]
    assert len(fake_twilio.lookups) == 2


def test_a_message_in_doubt_is_looked_up_only_once_twilio_surely_lists_it(rt, fake_twilio):
    message_id = write(rt, AWA, "awa")
    fake_twilio.answer_next(Answer.hang(2))
    claimed = utcnow()
    assert jobs.send_outbound(str(message_id)) == "unknown"
    fake_twilio.wait_for(1)

    run_once(rt, now=claimed + timedelta(seconds=RECONCILE_AFTER_SECONDS - 1))
    drain(rt.queue, runtime=rt)
    assert fake_twilio.lookups == [] and row(rt, message_id).status == "unknown"
    run_once(rt, now=utcnow() + timedelta(seconds=RECONCILE_AFTER_SECONDS + 1))
    drain(rt.queue, runtime=rt)
    assert len(fake_twilio.lookups) == 1 and row(rt, message_id).status == "sent"
    assert len(fake_twilio.requests) == 1


def test_the_oldest_claim_in_doubt_is_looked_up_first_and_settled_ones_never(rt):
    # A message sent long ago has the oldest claim of all: it must not take the place of one in doubt.
    first, second, long_sent = write(rt, AWA, "first"), write(rt, BINTOU, "second"), write(rt, AWA, "long-sent")
    with rt.unit_of_work() as session:
        claim_for_sending(session, long_sent, now=utcnow() - timedelta(days=30))
        record_send_result(session, long_sent, "sent", "SMlong", None)
        claim_for_sending(session, second, now=utcnow() - timedelta(minutes=20))
        claim_for_sending(session, first, now=utcnow() - timedelta(minutes=10))
        assert mark_stale_claims_unknown(session, utcnow() - timedelta(minutes=5)) == 2
        assert messages_of_unknown_outcome(session, utcnow(), limit=1) == [second]
        assert messages_of_unknown_outcome(session, utcnow()) == [second, first]
        assert messages_of_unknown_outcome(session, utcnow() - timedelta(minutes=15)) == [second]
        # Claimed before the cut-off, not at it.
        claimed = session.get(OutboundMessage, second).claimed_at
        assert messages_of_unknown_outcome(session, claimed) == []
        assert messages_of_unknown_outcome(session, claimed + timedelta(microseconds=1)) == [second]


def test_a_backlog_in_doubt_is_looked_up_200_at_a_time_the_oldest_claims_first(rt):
    # After an outage: the sweep enqueues 200 look-ups at most, the oldest claims first; the one left is found by
    # the next sweep once those were settled.
    start = utcnow() - timedelta(hours=1)
    with rt.unit_of_work() as session:
        backlog = [queue_message(session, purpose_key=f"doubt:{n}", to_phone=AWA, body="Bonjour", backend="twilio").id
                   for n in range(201)]
        for seconds, message_id in enumerate(backlog):
            claim_for_sending(session, message_id, now=start + timedelta(seconds=seconds))
        assert mark_stale_claims_unknown(session, utcnow()) == 201
    with rt.unit_of_work() as session:
        looked_up = messages_of_unknown_outcome(session, utcnow())
        assert looked_up == backlog[:200]
        for message_id in looked_up:
            settle_unknown(session, message_id, False)
        assert messages_of_unknown_outcome(session, utcnow()) == backlog[200:]


def test_a_claim_left_by_a_dead_job_says_so_and_a_settled_one_stays_settled(rt, caplog):
    dead, done = write(rt, AWA, "dead"), write(rt, BINTOU, "done")
    claimed = utcnow() - timedelta(minutes=10)
    with rt.unit_of_work() as session:
        claim_for_sending(session, dead, now=claimed)
        claim_for_sending(session, done, now=claimed)
        record_send_result(session, done, "sent", "SMdone", None)
    caplog.set_level(logging.WARNING, logger="casecore.messaging.unknown_outcomes")
    with rt.unit_of_work() as session:
        # Claimed before the cut-off, not at it; and a sweep that finds none (each minute's, mostly) says nothing.
        assert mark_stale_claims_unknown(session, claimed) == 0
        assert mark_stale_claims_unknown(session, claimed + timedelta(microseconds=1)) == 1
    assert (row(rt, dead).status, row(rt, dead).failure_reason) == ("unknown", "the send job stopped during the send")
    assert row(rt, done).status == "sent"
    assert [record.getMessage() for record in caplog.records if record.name == "casecore.messaging.unknown_outcomes"] \
        == ["1 outbound message(s) claimed by a job that never finished: outcome unknown"]


# -- a late verdict on a message in doubt ------------------------------------------------------------------------

def in_doubt(rt, key="late"):
    message_id = write(rt, AWA, key)
    with rt.unit_of_work() as session:
        claim_for_sending(session, message_id)
        mark_stale_claims_unknown(session, utcnow() + timedelta(seconds=1))
    return message_id


def test_a_late_look_up_never_sends_again_what_went_meanwhile(rt):
    # Two look-up jobs ran for the same message: the first found Twilio had nothing, and it was sent again; the
    # second's verdict, as stale, comes after.
    message_id = in_doubt(rt)
    with rt.unit_of_work() as session:
        assert settle_unknown(session, message_id, False) == "queued"
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "sent", "SMagain", None)
    for verdict in (False, None, True):
        with rt.unit_of_work() as session:
            assert settle_unknown(session, message_id, verdict, "SMother",
                                  give_up_before=utcnow() + timedelta(hours=1)) == "sent"
    sent = row(rt, message_id)
    assert (sent.status, sent.provider_message_id, sent.attempts) == ("sent", "SMagain", 2)
    with rt.unit_of_work() as session:
        assert claim_for_sending(session, message_id, now=utcnow() + timedelta(days=1)) is None
        assert messages_awaiting_send(session, utcnow() + timedelta(days=1), utcnow() + timedelta(days=1)) == []


def test_a_report_and_a_look_up_at_the_same_time_never_queue_again_what_the_report_says_went(rt):
    # The provider's report on the message in doubt comes while a look-up that did not find it settles it. The
    # report, first, holds the message until the look-up waits on it (PostgreSQL): the look-up must then read it as
    # sent and leave it. Reading it without a lock, it would queue it again: sent twice.
    message_id = in_doubt(rt)
    reported, looked_up = first_holds_while_second_waits(
        rt, lambda session: adopt_report_for_unknown(session, "twilio", AWA, "SMreported"),
        lambda session: settle_unknown(session, message_id, False))
    assert {"report": reported, "look-up": looked_up} == {"report": True, "look-up": "sent"}
    sent = row(rt, message_id)
    assert (sent.status, sent.provider_message_id, sent.failure_reason) == ("sent", "SMreported", None)


def test_two_reports_at_the_same_time_settle_each_its_own_message_in_doubt_to_one_number(rt):
    # Two messages in doubt to one number, and a report for each comes at once. The first report takes the oldest
    # and holds it until the second waits on it (PostgreSQL): the second must then take the other one. Without a
    # lock both would take the oldest, the second report's id overwriting the first's, the other left in doubt.
    older, newer = in_doubt(rt, key="older"), in_doubt(rt, key="newer")
    results = first_holds_while_second_waits(
        rt, lambda session: adopt_report_for_unknown(session, "twilio", AWA, "SMfirst"),
        lambda session: adopt_report_for_unknown(session, "twilio", AWA, "SMsecond"))
    assert results == (True, True)
    assert [(row(rt, m).status, row(rt, m).provider_message_id) for m in (older, newer)] == [
        ("sent", "SMfirst"), ("sent", "SMsecond")]


def test_two_look_ups_that_find_one_record_settle_one_message_and_leave_the_other_in_doubt(rt):
    # Two messages of one text to one number in doubt, looked up at once: both look-ups find the one record Twilio
    # lists (neither's id was recorded when they asked). The first settles its message and holds it until the
    # second waits (PostgreSQL): the second must see the id taken and leave its message in doubt, to be looked up
    # again without that record. Settling both as sent would record as sent a message that may never have gone.
    first, second = (in_doubt(rt, key=key) for key in ("first", "second"))
    results = first_holds_while_second_waits(
        rt, lambda session: settle_unknown(session, first, True, "SMonly"),
        lambda session: settle_unknown(session, second, True, "SMonly"))
    assert sorted(results) == ["sent", "unknown"]
    assert (row(rt, first).status, row(rt, first).provider_message_id) == ("sent", "SMonly")
    left = row(rt, second)
    assert (left.status, left.provider_message_id, left.failure_reason) == ("unknown", None, FOUND_ANOTHERS)
    with rt.unit_of_work() as session:  # looked up again: another record, or none
        assert settle_unknown(session, second, True, "SMits-own") == "sent"
    assert row(rt, second).provider_message_id == "SMits-own"


def test_an_id_held_by_another_providers_message_is_no_obstacle(rt):
    # Providers' ids are unique to each provider: an Africa's Talking message holding an id says nothing of the
    # Twilio record a look-up found under the same id.
    at_message = write(rt, BINTOU, "at", backend="africastalking")
    with rt.unit_of_work() as session:
        claim_for_sending(session, at_message)
        record_send_result(session, at_message, "sent", "SMshared", None)
    message_id = in_doubt(rt)
    with rt.unit_of_work() as session:
        assert settle_unknown(session, message_id, True, "SMshared") == "sent"
        assert adopt_report_for_unknown(session, "africastalking", AWA, "SMshared") is True  # Bintou's holds it
    assert (row(rt, message_id).status, row(rt, message_id).provider_message_id) == ("sent", "SMshared")


def test_one_report_delivered_twice_at_once_settles_one_message_in_doubt(rt):
    # Providers deliver a report again when the first delivery's answer is slow: both copies arrive while neither
    # is recorded. The first takes the oldest message in doubt and holds it until the second waits (PostgreSQL);
    # the second must find the id taken and adopt nothing: the newer message stays in doubt, not marked sent on
    # the strength of another message's report.
    older, newer = in_doubt(rt, key="older"), in_doubt(rt, key="newer")
    results = first_holds_while_second_waits(
        rt, lambda session: adopt_report_for_unknown(session, "twilio", AWA, "SMreport"),
        lambda session: adopt_report_for_unknown(session, "twilio", AWA, "SMreport"))
    assert results == (True, True)  # the id is held afterwards: the caller records the report's status on it
    assert [(row(rt, m).status, row(rt, m).provider_message_id) for m in (older, newer)] == [
        ("sent", "SMreport"), ("unknown", None)]


def test_a_look_up_that_cannot_tell_leaves_it_in_doubt_until_the_wait_has_passed(rt):
    message_id = in_doubt(rt)
    claimed_at = row(rt, message_id).claimed_at
    with rt.unit_of_work() as session:
        assert settle_unknown(session, message_id, None) == "unknown"
        assert settle_unknown(session, message_id, None, give_up_before=claimed_at) == "unknown"
        assert settle_unknown(session, message_id, None, give_up_before=claimed_at + timedelta(microseconds=1)) \
            == "failed"
        with pytest.raises(NotFound):
            settle_unknown(session, uuid.uuid4(), True)


def test_found_at_the_provider_it_is_sent_with_the_time_it_was_known(rt):
    message_id = in_doubt(rt)
    before = utcnow()
    with rt.unit_of_work() as session:
        assert settle_unknown(session, message_id, True, "SMfound") == "sent"
    sent = row(rt, message_id)
    assert (sent.provider_message_id, sent.failure_reason) == ("SMfound", None)
    assert before <= sent.sent_at <= utcnow()


# -- Africa's Talking: a delivery report naming the number -------------------------------------------------------

def test_a_report_settles_only_the_message_to_its_own_number(at_rt, fake_at, client_for):
    to_awa, to_bintou = write(at_rt, AWA, "awa", "africastalking"), write(at_rt, BINTOU, "bintou", "africastalking")
    unknown_after_at_garbage(at_rt, fake_at, to_awa)
    unknown_after_at_garbage(at_rt, fake_at, to_bintou)
    client = client_for(at_rt)

    before = utcnow()
    assert post_at_delivery(client, "ATXid_bintou", BINTOU).status_code == 200
    bintou = row(at_rt, to_bintou)
    assert (bintou.status, bintou.provider_message_id, bintou.delivery_status, bintou.failure_reason) == (
        "sent", "ATXid_bintou", "delivered", None)
    assert before <= bintou.sent_at <= utcnow()
    assert (row(at_rt, to_awa).status, row(at_rt, to_awa).provider_message_id) == ("unknown", None)

    assert post_at_delivery(client, "ATXid_awa", AWA).status_code == 200
    assert (row(at_rt, to_awa).status, row(at_rt, to_awa).provider_message_id) == ("sent", "ATXid_awa")
    assert row(at_rt, to_bintou).provider_message_id == "ATXid_bintou"
    assert len(fake_at.requests) == 2


def test_a_report_marks_sent_no_message_that_was_not_in_doubt(at_rt, fake_at, client_for):
    # To Awa: one refused by AT for good, one not tried yet. A report for a message another system sent her on the
    # same account says nothing about either.
    refused, waiting = write(at_rt, AWA, "refused", "africastalking"), write(at_rt, AWA, "waiting", "africastalking")
    fake_at.answer_next(AtAnswer.recipient(403, "InvalidPhoneNumber"))
    assert jobs.send_outbound(str(refused)) == "failed"

    assert post_at_delivery(client_for(at_rt), "ATXid_other_system", AWA).status_code == 200
    assert (row(at_rt, refused).status, row(at_rt, refused).provider_message_id) == ("failed", None)
    assert (row(at_rt, waiting).status, row(at_rt, waiting).provider_message_id) == ("queued", None)
    with at_rt.unit_of_work() as session:
        assert adopt_report_for_unknown(session, "africastalking", AWA, "ATXid_other_system") is False
    assert jobs.send_outbound(str(waiting)) == "sent"
    assert [r["form"]["to"] for r in fake_at.requests] == [AWA, AWA]


def test_an_at_report_never_settles_a_twilio_message_to_the_same_number(rt, fake_twilio, client_for):
    message_id = write(rt, AWA, "by-twilio")
    fake_twilio.answer_next(Answer.garbage())
    assert jobs.send_outbound(str(message_id)) == "unknown"
    assert post_at_delivery(client_for(rt), "ATXid_other", AWA).status_code == 200
    assert (row(rt, message_id).status, row(rt, message_id).provider_message_id) == ("unknown", None)
    assert jobs.reconcile_outbound(str(message_id)) == "queued"  # Twilio's own list decides: it had nothing


def test_of_two_messages_in_doubt_to_one_number_a_report_settles_the_one_sent_first(at_rt, fake_at, client_for):
    written_first = write(at_rt, AWA, "written-first", "africastalking")
    written_second = write(at_rt, AWA, "written-second", "africastalking")
    unknown_after_at_garbage(at_rt, fake_at, written_second)  # sent first
    unknown_after_at_garbage(at_rt, fake_at, written_first)
    client = client_for(at_rt)

    assert post_at_delivery(client, "ATXid_1", AWA).status_code == 200
    assert [row(at_rt, m).provider_message_id for m in (written_second, written_first)] == ["ATXid_1", None]
    assert post_at_delivery(client, "ATXid_2", AWA).status_code == 200
    assert [row(at_rt, m).provider_message_id for m in (written_second, written_first)] == ["ATXid_1", "ATXid_2"]
    with at_rt.unit_of_work() as session:
        assert set(session.scalars(select(OutboundMessage.status))) == {"sent"}


def test_a_report_after_the_wait_gave_up_still_settles_that_message_only(database_url, redis_url, fake_twilio,
                                                                          fake_at, client_for):
    runtime = bootstrap(fault_settings(database_url, redis_url, fake_twilio, fake_at, SMS_BACKEND="africastalking",
                                       UNKNOWN_OUTCOME_WAIT_SECONDS=0))
    try:
        given_up, refused = write(runtime, AWA, "given-up", "africastalking"), write(runtime, AWA, "refused",
                                                                                       "africastalking")
        fake_at.answer_next(AtAnswer.recipient(403, "InvalidPhoneNumber"))
        assert jobs.send_outbound(str(refused)) == "failed"
        unknown_after_at_garbage(runtime, fake_at, given_up)
        assert jobs.reconcile_outbound(str(given_up)) == "failed"
        assert row(runtime, given_up).failure_reason == "outcome unknown: not sent again, to avoid sending it twice"

        assert post_at_delivery(client_for(runtime), "ATXid_late", AWA).status_code == 200
        late = row(runtime, given_up)
        assert (late.status, late.provider_message_id, late.failure_reason) == ("sent", "ATXid_late", None)
        assert (row(runtime, refused).status, row(runtime, refused).provider_message_id) == ("failed", None)
        assert len(fake_at.requests) == 2
    finally:
        runtime.close()

"""Delivery reports on a real database: mapped onto the outbox row, never downgraded, unknown ids ignored."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.messaging.delivery import record_delivery, send_again_after_rate_limit, whatsapp_refused_outside_window
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import (
    OUTSIDE_WINDOW_REASON,
    RATE_LIMITED_REASON,
    claim_for_sending,
    queue_message,
    record_send_result,
    snapshot_in_status,
)
from casecore.messaging.whatsapp_window import outside_window, release_held
from casecore.reports.alerts import queue_report_alerts
from tests.concurrency import run_together, wait_for_lock_waiters
from tests.factories import make_organisation, make_report, make_user


def sent_message(runtime, provider_id="ATXid_dda018a640edfcc5d2ce455de3e4a6e7", backend="africastalking"):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)
        report = make_report(session, organisation_slug=org.slug)
        [message_id] = queue_report_alerts(session, report.id, backend)
    with runtime.unit_of_work() as session:
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "sent", provider_id, None)
    return message_id


def report(runtime, status, reason=None, provider_id="ATXid_dda018a640edfcc5d2ce455de3e4a6e7"):
    with runtime.unit_of_work() as session:
        return record_delivery(session, provider_id, status, reason)


def stored(runtime, message_id):
    with runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        return message.delivery_status, message.delivery_reason, message.delivered_at is not None


@pytest.mark.parametrize("sequence, expected", [
    (["sent"], ("sent", None, False)),
    (["queued", "sent", "delivered"], ("delivered", None, True)),
    (["delivered", "sent"], ("delivered", None, True)),
    (["delivered", "queued"], ("delivered", None, True)),
    (["delivered", "failed"], ("delivered", None, True)),
    (["failed", "delivered"], ("failed", "UserInBlackList", False)),
    (["failed", "sent"], ("failed", "UserInBlackList", False)),
    (["sent", "queued"], ("sent", None, False)),
    (["queued", "sent"], ("sent", None, False)),
    (["sent", "failed"], ("failed", "UserInBlackList", False)),
    (["delivered", "read"], ("read", None, True)),
    (["read"], ("read", None, True)),
    (["read", "delivered"], ("read", None, True)),
    (["read", "failed"], ("read", None, True)),
    (["failed", "read"], ("failed", "UserInBlackList", False)),
])
def test_reports_move_a_message_forward_only(any_db_runtime, sequence, expected):
    message_id = sent_message(any_db_runtime)
    for status in sequence:
        assert report(any_db_runtime, status, "UserInBlackList" if status == "failed" else None) is True
    assert stored(any_db_runtime, message_id) == expected


def test_a_report_for_an_unknown_message_writes_nothing(any_db_runtime, caplog):
    message_id = sent_message(any_db_runtime)
    assert report(any_db_runtime, "failed", "DeliveryFailure", provider_id="ATXid_someone_else") is False
    assert stored(any_db_runtime, message_id) == (None, None, False)
    assert "+223" not in caplog.text


def test_a_status_outside_the_set_is_refused(any_db_runtime):
    sent_message(any_db_runtime)
    with pytest.raises(InvalidInput):
        report(any_db_runtime, "Success")


def test_a_read_receipt_keeps_the_time_of_delivery(any_db_runtime):
    message_id = sent_message(any_db_runtime)
    report(any_db_runtime, "delivered")
    with any_db_runtime.unit_of_work() as session:
        delivered_at = session.get(OutboundMessage, message_id).delivered_at
    report(any_db_runtime, "read")
    with any_db_runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        assert (message.delivery_status, message.delivered_at) == ("read", delivered_at)


def test_a_failure_keeps_its_reason_cut_to_200_characters_or_says_failed(any_db_runtime):
    first = sent_message(any_db_runtime)
    second = sent_message(any_db_runtime, provider_id="ATXid_second")
    assert report(any_db_runtime, "failed", "Rejected: " + "x" * 300) is True
    assert report(any_db_runtime, "failed", None, provider_id="ATXid_second") is True
    assert stored(any_db_runtime, first) == ("failed", ("Rejected: " + "x" * 300)[:200], False)
    assert stored(any_db_runtime, second) == ("failed", "failed", False)


def test_a_report_needs_the_providers_message_id(any_db_runtime):
    sent_message(any_db_runtime)
    with pytest.raises(InvalidInput):
        report(any_db_runtime, "delivered", provider_id="")


def queued_and_sent(runtime, provider_id, *, purpose_key, backend="africastalking", channel="sms",
                    to_phone="+22376701430"):
    """A message queued, claimed and sent under provider_id; its id."""
    with runtime.unit_of_work() as session:
        message_id = queue_message(session, purpose_key=purpose_key, to_phone=to_phone, body="Un message vous attend.",
                                   backend=backend, channel=channel).id
    with runtime.unit_of_work() as session:
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "sent", provider_id, None)
    return message_id


def written_earlier(runtime, message_id):
    """The row of message_id stored after another but created before it (its job's transaction began first)."""
    with runtime.unit_of_work() as session:
        session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id)
                        .values(created_at=utcnow() - timedelta(minutes=5)))


def status_of(runtime, message_id):
    with runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        return message.status, message.delivery_status


def test_a_report_under_a_provider_id_two_backends_gave_goes_to_the_older_message(any_db_runtime):
    # Twilio and Africa's Talking ids live in separate spaces: the same id can name a message of each.
    newer = queued_and_sent(any_db_runtime, "SM0001", purpose_key="at", backend="africastalking")
    older = queued_and_sent(any_db_runtime, "SM0001", purpose_key="twilio", backend="twilio")
    written_earlier(any_db_runtime, older)
    assert report(any_db_runtime, "delivered", provider_id="SM0001") is True
    assert status_of(any_db_runtime, older) == ("sent", "delivered")
    assert status_of(any_db_runtime, newer) == ("sent", None)


def test_a_rate_limit_under_a_shared_provider_id_queues_again_the_older_message_only(any_db_runtime):
    newer = queued_and_sent(any_db_runtime, "SM0002", purpose_key="at", backend="africastalking")
    older = queued_and_sent(any_db_runtime, "SM0002", purpose_key="twilio", backend="twilio")
    written_earlier(any_db_runtime, older)
    with any_db_runtime.unit_of_work() as session:
        again = send_again_after_rate_limit(session, "SM0002", "failed", RATE_LIMITED_REASON)
    assert again is not None and again.id == older
    assert status_of(any_db_runtime, older) == ("queued", None)
    assert status_of(any_db_runtime, newer) == ("sent", None)


def refused_outside_window(runtime, provider_id):
    with runtime.unit_of_work() as session:
        return whatsapp_refused_outside_window(session, provider_id, "failed", OUTSIDE_WINDOW_REASON)


def test_an_sms_failed_for_the_window_reason_is_no_whatsapp_refusal(any_db_runtime):
    queued_and_sent(any_db_runtime, "SM0003", purpose_key="sms", backend="twilio", channel="sms")
    assert refused_outside_window(any_db_runtime, "SM0003") is None


def test_a_whatsapp_refusal_reported_again_after_its_reroute_is_not_rerouted_twice(any_db_runtime):
    message_id = queued_and_sent(any_db_runtime, "SM0004", purpose_key="wa", backend="twilio", channel="whatsapp",
                                 to_phone="whatsapp:+22376701430")
    assert refused_outside_window(any_db_runtime, "SM0004") == message_id
    with any_db_runtime.unit_of_work() as session:
        status, _ = outside_window(session, snapshot_in_status(session, message_id, "sent"), "sms",
                                   sms_backend="africastalking", sms_body=str)
    assert status == "rerouted"
    # The provider repeats its callback: the message already went by SMS.
    assert refused_outside_window(any_db_runtime, "SM0004") is None


def reported_together(runtime, provider_id, statuses):
    """Each status reported on provider_id in its own thread, all at once; what they returned and raised."""
    pending, lock = iter(statuses), threading.Lock()

    def one_report():
        with lock:
            status = next(pending)
        return report(runtime, status, "DeliveryFailure", provider_id=provider_id)

    return run_together(len(statuses), one_report)


def rate_limited_together(runtime, provider_id, count):
    """The same rate-limit report received count times at once; what each returned and raised."""
    def one_report():
        with runtime.unit_of_work() as session:
            return send_again_after_rate_limit(session, provider_id, "failed", RATE_LIMITED_REASON)

    return run_together(count, one_report)


def test_concurrent_delivered_and_failed_reports_leave_one_of_them_whole(any_db_runtime):
    # Without the row lock both reports read "sent" and each writes its own columns: failed yet delivered at a time.
    for round_ in range(5):
        message_id = queued_and_sent(any_db_runtime, f"SMrace{round_}", purpose_key=f"race-{round_}")
        results, errors = reported_together(any_db_runtime, f"SMrace{round_}", ["delivered", "failed"])
        assert not errors and results == [True, True]
        assert stored(any_db_runtime, message_id) in {("delivered", None, True), ("failed", "DeliveryFailure", False)}


def test_a_rate_limit_reported_twice_at_once_queues_the_message_again_once(any_db_runtime):
    # Without the row lock both reports find the message sent, and two send jobs are enqueued for it.
    for round_ in range(5):
        message_id = queued_and_sent(any_db_runtime, f"SMtwice{round_}", purpose_key=f"twice-{round_}")
        results, errors = rate_limited_together(any_db_runtime, f"SMtwice{round_}", 2)
        assert not errors
        assert [again.id for again in results if again is not None] == [message_id]
        assert status_of(any_db_runtime, message_id) == ("queued", None)


def test_a_delivered_report_and_a_failed_one_at_the_same_time_leave_the_first(any_db_runtime):
    # delivered and failed share a rank: the first recorded stays. Two reports at once on one message: delivered,
    # first, holds the message until the failed one waits on it (PostgreSQL); the failed one must then read it as
    # delivered and leave it. Reading it without a lock, it would overwrite it.
    message_id = sent_message(any_db_runtime)
    delivered = threading.Event()

    def delivered_report():
        with any_db_runtime.unit_of_work() as session:
            known = record_delivery(session, "ATXid_dda018a640edfcc5d2ce455de3e4a6e7", "delivered")
            delivered.set()
            wait_for_lock_waiters(any_db_runtime.engine)
        return known

    def failed_report():
        assert delivered.wait(20)
        return report(any_db_runtime, "failed", "UserInBlackList")

    reports = [failed_report, delivered_report]
    results, errors = run_together(2, lambda: reports.pop()())  # one thread each
    assert errors == []
    assert results == [True, True]
    assert stored(any_db_runtime, message_id) == ("delivered", None, True)


def test_a_rate_limit_reported_twice_at_the_same_time_queues_the_message_again_once(any_db_runtime):
    # Twilio calls back again when our answer is slow: two reports of one rate-limited try, at once. The first
    # queues the message again and holds it until the second waits on it (PostgreSQL); the second must then find
    # nothing left to do, rather than queue it a second time with its own due time.
    message_id = sent_message(any_db_runtime, provider_id="SMlimited", backend="twilio")
    first_done = threading.Event()

    def first_report():
        with any_db_runtime.unit_of_work() as session:
            again = send_again_after_rate_limit(session, "SMlimited", "failed", RATE_LIMITED_REASON)
            first_done.set()
            wait_for_lock_waiters(any_db_runtime.engine)
        return again

    def second_report():
        assert first_done.wait(20)
        with any_db_runtime.unit_of_work() as session:
            return send_again_after_rate_limit(session, "SMlimited", "failed", RATE_LIMITED_REASON)

    reports = [second_report, first_report]
    results, errors = run_together(2, lambda: reports.pop()())  # one thread each
    assert errors == []
    [again] = [result for result in results if result is not None]
    assert results.count(None) == 1
    with any_db_runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        assert (message.status, message.provider_message_id, message.next_attempt_at) == ("queued", None, again.due)


def test_only_a_sent_whatsapp_message_is_taken_for_one_refused_outside_the_window(any_db_runtime):
    # A 63016 report asks to send the message otherwise only while it is a WhatsApp message still marked sent:
    # not for an SMS (Twilio gives 63016 for WhatsApp only), nor again once it was sent by SMS instead (Twilio
    # calling back a second time).
    with any_db_runtime.unit_of_work() as session:
        ids = {}
        for channel in ("whatsapp", "sms"):
            ids[channel] = queue_message(session, purpose_key=f"refused:{channel}", to_phone="+22376701430",
                                         body="Bonjour", backend="twilio", channel=channel).id
            claim_for_sending(session, ids[channel])
            record_send_result(session, ids[channel], "sent", f"SM{channel}", None)

    def refused(provider_id):
        with any_db_runtime.unit_of_work() as session:
            return whatsapp_refused_outside_window(session, provider_id, "failed", OUTSIDE_WINDOW_REASON)

    assert refused("SMsms") is None
    assert refused("SMwhatsapp") == ids["whatsapp"]
    with any_db_runtime.unit_of_work() as session:
        message = snapshot_in_status(session, ids["whatsapp"], "sent")
        assert outside_window(session, message, "sms", sms_backend="twilio", sms_body=str)[0] == "rerouted"
    assert refused("SMwhatsapp") is None


def test_a_message_held_after_a_refused_try_and_released_is_a_new_try_its_reports_find(any_db_runtime):
    # A WhatsApp try refused outside the window (its report: failed), then held for the person to write.
    message_id = queued_and_sent(any_db_runtime, "SMrefused", purpose_key="held-then-released", backend="twilio",
                                 channel="whatsapp")
    report(any_db_runtime, "failed", provider_id="SMrefused", reason=OUTSIDE_WINDOW_REASON)
    with any_db_runtime.unit_of_work() as session:
        session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id).values(status="held"))
    with any_db_runtime.unit_of_work() as session:
        assert release_held(session, "+22376701430") == [message_id]
    with any_db_runtime.unit_of_work() as session:
        released = session.get(OutboundMessage, message_id)
        assert (released.status, released.provider_message_id, released.sent_at, released.delivery_status) == (
            "queued", None, None, None)
        assert claim_for_sending(session, message_id) is not None
    with any_db_runtime.unit_of_work() as session:
        record_send_result(session, message_id, "sent", "SMresent", None)
    report(any_db_runtime, "delivered", provider_id="SMresent")
    with any_db_runtime.unit_of_work() as session:
        assert session.get(OutboundMessage, message_id).delivery_status == "delivered"

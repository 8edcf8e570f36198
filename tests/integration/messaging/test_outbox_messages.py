"""Any outbox message (SMS or WhatsApp) is written once per purpose, never sent to a number that opted out, and never
put back in the queue by a verdict that comes after it was settled."""
import logging
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casecore.base import utcnow
from casecore.errors import InvalidInput, InvalidPhoneNumber, NotFound
from casecore.messaging.contacts import opt_in, opt_out
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import (
    OutboundRef,
    OutboundSnapshot,
    claim_for_sending,
    last_options_sent,
    messages_awaiting_send,
    queue_message,
    record_send_result,
)
from casecore.messaging.unknown_outcomes import settle_unknown
from casecore.messaging.whatsapp_window import outside_window
from tests.concurrency import run_together, wait_for_lock_waiters
from tests.factories import make_organisation, make_user

PHONE = "+22376701430"


def queue(session, **overrides):
    values = dict(purpose_key="reply:sms:1", to_phone=PHONE, body="Merci.", backend="console")
    values.update(overrides)
    return queue_message(session, **values)


def rows(runtime):
    with runtime.unit_of_work() as session:
        return session.scalars(select(OutboundMessage)).all()


def test_a_message_is_written_once_per_purpose(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        first = queue(session, channel="whatsapp", to_phone=f"whatsapp:{PHONE}", organisation_id=org.id,
                      options=["Oui", "Non"])
    with any_db_runtime.unit_of_work() as session:
        again = queue(session, body="Another text")
        assert session.scalar(select(func.count(OutboundMessage.id))) == 1
    assert (first.status, first.is_new) == ("queued", True)
    assert (again.id, again.status, again.is_new) == (first.id, "queued", False)
    [row] = rows(any_db_runtime)
    assert (row.to_phone, row.channel, row.options, row.body) == (PHONE, "whatsapp", ["Oui", "Non"], "Merci.")
    assert (row.organisation_id, row.recipient_user_id, row.ignores_opt_out, row.attempts) == (
        org.id, None, False, 0)


def test_a_found_message_reports_its_current_status(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "sent", "console-1", None)
    with any_db_runtime.unit_of_work() as session:
        assert queue(session) == OutboundRef(message_id, "sent", False)


@pytest.mark.parametrize("overrides, error", [
    ({"channel": "ussd"}, InvalidInput), ({"body": ""}, InvalidInput), ({"purpose_key": ""}, InvalidInput),
    ({"purpose_key": "k" * 201}, InvalidInput), ({"options": ["Oui", ""]}, InvalidInput),
    ({"to_phone": "76 70 14 30"}, InvalidPhoneNumber),
])
def test_a_message_is_checked(any_db_runtime, overrides, error):
    with any_db_runtime.unit_of_work() as session:
        with pytest.raises(error):
            queue(session, **overrides)
    assert rows(any_db_runtime) == []


def test_a_claim_returns_channel_and_options(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session, channel="whatsapp", options=["1", "2"]).id
        plain_id = queue(session, purpose_key="reply:sms:2").id
    with any_db_runtime.unit_of_work() as session:
        claimed = claim_for_sending(session, message_id)
        assert claimed == OutboundSnapshot(message_id, PHONE, "Merci.", "console", 1, "whatsapp", ("1", "2"),
                                           None, claimed.purpose_key, claimed.claimed_at)
        assert claimed.claimed_at is not None
        assert claim_for_sending(session, plain_id).options is None
        assert claim_for_sending(session, message_id) is None  # already claimed
        with pytest.raises(NotFound):
            claim_for_sending(session, uuid.uuid4())


def test_a_number_that_opted_out_gets_nothing(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        # The opt-out comes after the message was written: it is checked when sending, not when writing.
        opt_out(session, f"whatsapp:{PHONE}")
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is None
    [row] = rows(any_db_runtime)
    assert (row.status, row.failure_reason, row.attempts, row.sent_at) == ("failed", "opted_out", 0, None)
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is None  # failed for good


def test_the_opt_out_confirmation_still_goes(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        opt_out(session, PHONE)
        confirmation = queue(session, purpose_key="opt-out:1", ignores_opt_out=True).id
    with any_db_runtime.unit_of_work() as session:
        snapshot = claim_for_sending(session, confirmation)
    assert snapshot is not None and snapshot.attempts == 1
    assert rows(any_db_runtime)[0].status == "sending"


def test_after_opting_in_again_messages_go(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        opt_out(session, PHONE)
        opt_in(session, PHONE)
        message_id = queue(session).id
        other_id = queue(session, purpose_key="reply:2", to_phone="+22376701431").id
        opt_out(session, "+22376701432")  # someone else's opt-out changes nothing here
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is not None
        assert claim_for_sending(session, other_id) is not None


def test_an_opt_out_from_a_number_of_an_unknown_range_is_honoured(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        opt_out(session, "whatsapp:+22300000000")
        message_id = queue(session, to_phone="+22300000000", channel="whatsapp").id
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is None
    assert rows(any_db_runtime)[0].failure_reason == "opted_out"


def test_a_purpose_key_of_200_characters_and_only_string_options_are_accepted(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        assert queue(session, purpose_key="k" * 200).is_new
        with pytest.raises(InvalidInput):
            queue(session, purpose_key="reply:options", options=["Oui", 2])


def test_a_send_result_is_one_of_four_and_about_a_message_that_exists(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        claim_for_sending(session, message_id)
        with pytest.raises(InvalidInput):
            record_send_result(session, message_id, "delivered", None, None)
        with pytest.raises(NotFound):
            record_send_result(session, uuid.uuid4(), "sent", "SM1", None)
    assert rows(any_db_runtime)[0].status == "sending"


def test_a_sent_message_keeps_when_it_went_and_no_reason_from_an_earlier_try(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "retry", None, "HTTP 503")
    with any_db_runtime.unit_of_work() as session:
        claim_for_sending(session, message_id, now=utcnow() + timedelta(minutes=1))
        before = utcnow()
        assert record_send_result(session, message_id, "sent", "SM1", None) == "sent"
    [row] = rows(any_db_runtime)
    assert (row.provider_message_id, row.failure_reason, row.attempts) == ("SM1", None, 2)
    assert before <= row.sent_at <= utcnow()


def test_a_failure_keeps_its_reason_cut_to_200_characters(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        long_id, bare_id = queue(session).id, queue(session, purpose_key="reply:sms:2").id
        claim_for_sending(session, long_id)
        claim_for_sending(session, bare_id)
        record_send_result(session, long_id, "failed", None, "Refused: " + "x" * 300)
        record_send_result(session, bare_id, "failed", None, None)
    reasons = {row.id: row.failure_reason for row in rows(any_db_runtime)}
    assert reasons == {long_id: ("Refused: " + "x" * 300)[:200], bare_id: "failed"}


def test_a_message_given_up_on_is_a_warning_and_a_send_or_retry_is_routine(any_db_runtime, caplog):
    # Whoever watches the logs is warned of a message lost to its reader, and only of that.
    caplog.set_level(logging.INFO, logger="casecore.messaging.outbox")
    with any_db_runtime.unit_of_work() as session:
        sent, retried, failed = (queue(session, purpose_key=f"reply:sms:{n}").id for n in range(3))
        for message_id, status in ((sent, "sent"), (retried, "retry"), (failed, "failed")):
            claim_for_sending(session, message_id)
            record_send_result(session, message_id, status, "SM1" if status == "sent" else None, None)
    levels = {record.getMessage().split()[2].rstrip(":"): record.levelname for record in caplog.records
              if record.name == "casecore.messaging.outbox" and "attempt(s)" in record.getMessage()}
    assert levels == {str(sent): "INFO", str(retried): "INFO", str(failed): "WARNING"}


def settled(session, how: str):
    """A message settled one way: sent, given up on after its outcome stayed unknown, or rerouted by SMS."""
    channel = "whatsapp" if how == "rerouted" else "sms"
    message_id = queue(session, purpose_key=f"settled:{how}", channel=channel).id
    snapshot = claim_for_sending(session, message_id)
    if how == "sent":
        record_send_result(session, message_id, "sent", "SM1", None)
    elif how == "failed":
        record_send_result(session, message_id, "unknown", None, "timeout")
        settle_unknown(session, message_id, None, give_up_before=utcnow() + timedelta(seconds=1))
    else:
        outside_window(session, snapshot, "sms", sms_backend="console", sms_body=str)
    return message_id


@pytest.mark.parametrize("how", ["sent", "failed", "rerouted"])
@pytest.mark.parametrize("late", ["retry", "sent", "failed", "unknown"])
def test_a_late_verdict_on_a_settled_message_changes_nothing(any_db_runtime, how, late):
    # A job slower than the sweep: its verdict comes after the message was settled otherwise (found at the provider,
    # given up on, sent by SMS). It must never put the message back in the queue, nor settle it again.
    with any_db_runtime.unit_of_work() as session:
        message_id = settled(session, how)
    before = {(r.id, r.status, r.provider_message_id, r.failure_reason, r.next_attempt_at, r.sent_at)
              for r in rows(any_db_runtime)}
    with any_db_runtime.unit_of_work() as session:
        assert record_send_result(session, message_id, late, "SMlate", "HTTP 503") == how
    assert {(r.id, r.status, r.provider_message_id, r.failure_reason, r.next_attempt_at, r.sent_at)
            for r in rows(any_db_runtime)} == before
    later = utcnow() + timedelta(days=1)
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id, now=later) is None
        assert message_id not in messages_awaiting_send(session, later, later)


def test_a_sent_verdict_and_a_retry_at_the_same_time_leave_the_message_sent(any_db_runtime):
    # A job slower than the sweep records "sent" while a later try of the same message records "retry". The sent
    # verdict is written first and its transaction held open until the retry waits on the message (PostgreSQL):
    # the retry must then read the message as sent, not as it was before, and leave it alone. Reading it without
    # a lock, it would put the sent message back in the queue: sent twice.
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        claim_for_sending(session, message_id)
    sent_written = threading.Event()

    def sent():
        with any_db_runtime.unit_of_work() as session:
            status = record_send_result(session, message_id, "sent", "SM1", None)
            sent_written.set()
            wait_for_lock_waiters(any_db_runtime.engine)
        return status

    def retry():
        assert sent_written.wait(20)
        with any_db_runtime.unit_of_work() as session:
            return record_send_result(session, message_id, "retry", None, "HTTP 503")

    verdicts = [retry, sent]
    results, errors = run_together(2, lambda: verdicts.pop()())  # one thread each
    assert errors == []
    assert results == ["sent", "sent"]
    [message] = rows(any_db_runtime)
    assert (message.status, message.provider_message_id, message.next_attempt_at, message.failure_reason) == (
        "sent", "SM1", None, None)


def sent_with_options(session, key, options, phone=PHONE, channel="whatsapp", sent_at=True):
    message_id = queue(session, purpose_key=key, to_phone=phone, channel=channel, options=options).id
    claim_for_sending(session, message_id)
    record_send_result(session, message_id, "sent", f"SM{key}", None)
    if not sent_at:  # sent before the time of sending was kept
        session.get(OutboundMessage, message_id).sent_at = None
    return message_id


def test_a_tap_is_read_against_the_buttons_last_sent_to_that_number_on_whatsapp(any_db_runtime):
    runtime = any_db_runtime
    with runtime.unit_of_work() as session:
        written_first = queue(session, purpose_key="written-first", channel="whatsapp", options=["Plus", "Tard"]).id
        sent_with_options(session, "first", ["Oui", "Non"])
        claim_for_sending(session, written_first)
        record_send_result(session, written_first, "sent", "SMwritten-first", None)  # sent last to this number
        sent_with_options(session, "legacy", ["Ancien"], sent_at=False)
        sent_with_options(session, "other-number", ["1", "2"], phone="+22376701431")
        sent_with_options(session, "by-sms", ["A", "B"], channel="sms")
        queue(session, purpose_key="not-yet-sent", channel="whatsapp", options=["Pas", "encore"])
        queue(session, purpose_key="only-queued", to_phone="+22376701432", channel="whatsapp",
              options=["Non", "envoyé"])
        sent_with_options(session, "legacy-1", ["Vieux"], phone="+22376701433", sent_at=False)
        sent_with_options(session, "legacy-2", ["Moins", "vieux"], phone="+22376701433", sent_at=False)
    with runtime.unit_of_work() as session:
        assert last_options_sent(session, f"whatsapp:{PHONE}") == ("Plus", "Tard")
        assert last_options_sent(session, PHONE, channel="sms") == ("A", "B")
        assert last_options_sent(session, "+22376701431") == ("1", "2")
        assert last_options_sent(session, "+22376701432") == ()
        assert last_options_sent(session, "+22376701433") == ("Moins", "vieux")


def test_the_messages_waiting_longest_are_swept_first_and_a_fresh_one_is_left_to_its_job(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        newer, older = queue(session, purpose_key="newer").id, queue(session, purpose_key="older").id
        fresh = queue(session, purpose_key="fresh").id
        session.get(OutboundMessage, older).created_at = utcnow() - timedelta(hours=1)
        session.get(OutboundMessage, newer).created_at = utcnow() - timedelta(minutes=10)
    with any_db_runtime.unit_of_work() as session:
        assert messages_awaiting_send(session, utcnow() - timedelta(minutes=5), limit=1) == [older]
        assert messages_awaiting_send(session, utcnow() - timedelta(minutes=5)) == [older, newer]
        assert messages_awaiting_send(session, utcnow() + timedelta(seconds=1)) == [older, newer, fresh]
        # Written before the cut-off, not at it: one written at that very time is still its own job's.
        written = session.get(OutboundMessage, newer).created_at
        assert messages_awaiting_send(session, written) == [older]
        assert messages_awaiting_send(session, written + timedelta(microseconds=1)) == [older, newer]


def test_a_retry_is_swept_and_claimed_at_the_very_time_it_is_due_not_before(any_db_runtime):
    # The sweep and the claim agree on when a retry is due: a sweep at that time enqueues a job that can claim it.
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "retry", None, "HTTP 503")
    with any_db_runtime.unit_of_work() as session:
        due = session.get(OutboundMessage, message_id).next_attempt_at
        written_long_ago = utcnow() - timedelta(days=1)  # only retries count: no first try is swept
        assert messages_awaiting_send(session, written_long_ago, due - timedelta(microseconds=1)) == []
        assert claim_for_sending(session, message_id, now=due - timedelta(microseconds=1)) is None
        assert messages_awaiting_send(session, written_long_ago, due) == [message_id]
        assert claim_for_sending(session, message_id, now=due).attempts == 2


def test_the_sweep_lists_alerts_to_staff_and_other_messages_apart_or_together(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        staff = make_user(session, make_organisation(session), phone="+22376701431")
        alert = queue(session, purpose_key="alert", to_phone=staff.phone, recipient_user_id=staff.id).id
        reply = queue(session).id
        session.get(OutboundMessage, alert).created_at = utcnow() - timedelta(minutes=2)
        session.get(OutboundMessage, reply).created_at = utcnow() - timedelta(minutes=1)
    with any_db_runtime.unit_of_work() as session:
        cut_off = utcnow()
        assert messages_awaiting_send(session, cut_off, to_staff=True) == [alert]
        assert messages_awaiting_send(session, cut_off, to_staff=False) == [reply]
        assert messages_awaiting_send(session, cut_off) == [alert, reply]


def test_a_sweep_takes_the_200_messages_waiting_longest_and_the_next_sweep_the_one_left(any_db_runtime):
    # A backlog (the provider was down) is swept 200 at a time, oldest first: one sweep enqueues a bounded number
    # of jobs, and what it left is found by the next one once those were claimed.
    start = utcnow() - timedelta(hours=1)
    with any_db_runtime.unit_of_work() as session:
        backlog = [queue(session, purpose_key=f"backlog:{n}").id for n in range(201)]
        for seconds, message_id in enumerate(backlog):
            session.get(OutboundMessage, message_id).created_at = start + timedelta(seconds=seconds)
    with any_db_runtime.unit_of_work() as session:
        swept = messages_awaiting_send(session, utcnow())
        assert swept == backlog[:200]
        for message_id in swept:
            claim_for_sending(session, message_id)
        assert messages_awaiting_send(session, utcnow()) == backlog[200:]

"""What becomes of an outbox message when sending goes wrong: retries with backoff, unknown outcomes settled from
the provider's records, opt-outs at the provider, and WhatsApp's 24-hour window (fake Twilio and AT servers)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.messaging.contacts import is_opted_out, opt_out
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.message_log import message_log_summary
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.messaging.outbox import queue_message
from casecore.messaging.routes import family_route
from casecore.messaging.unknown_outcomes import mark_stale_claims_unknown
from tests.factories import make_organisation
from tests.fakes.africastalking import Answer as AtAnswer
from tests.fakes.twilio import Answer
from tests.faults import conftest as faults
from tests.faults.conftest import SID, fault_settings, post_signed
from tests.faults.conftest import outbound as row
from tests.queues import drain
from workers import jobs
from workers.queueing import REPLIES, sibling
from workers.scheduler import run_once

PHONE = "+22376701430"
# A WhatsApp business-scoped user id: someone who hid their number behind a username, and has no SMS route.
BSUID = "US.13491208655302741918"
# The fault suite's fixtures: the fake providers, and a test client of the web app on a runtime's settings.
fake_twilio, fake_at, client_for = faults.fake_twilio, faults.fake_at, faults.client_for


def make_runtime(database_url, redis_url, fake_twilio, fake_at, **overrides):
    return bootstrap(fault_settings(database_url, redis_url, fake_twilio, fake_at, **overrides))


@pytest.fixture
def rt(database_url, redis_url, fake_twilio, fake_at):
    runtime = make_runtime(database_url, redis_url, fake_twilio, fake_at)
    yield runtime
    runtime.close()


def write(runtime, body="Bonjour", channel="sms", backend="twilio", key="m1", to=PHONE):
    with runtime.unit_of_work() as session:
        return queue_message(session, purpose_key=key, to_phone=to, body=body, backend=backend,
                             channel=channel).id


def whatsapp_from_the_person(runtime, hours_ago=1.0, key="SMin1", phone=PHONE):
    with runtime.unit_of_work() as session:
        store_inbound(session, InboundDraft(provider="twilio", provider_message_id=key, channel="whatsapp",
                                            phone=phone, to_address="+14155238886", body="Bonjour",
                                            received_at=utcnow() - timedelta(hours=hours_ago)))


# -- retries (the documented waits and number of tries: test_outbox_retries.py) ------------------------------

RATE_LIMITED_63018 = Answer.error(400, 63018, "Rate limit exceeded for Channel")


@pytest.mark.parametrize("answer", [Answer.server_error(), Answer.throttled(), Answer.error(503, 20503, "busy"),
                                    RATE_LIMITED_63018], ids=["500", "429", "503", "63018"])
def test_a_retryable_answer_waits_its_backoff_then_the_message_goes_once(rt, fake_twilio, answer):
    message_id = write(rt)
    fake_twilio.answer_next(answer)
    assert jobs.send_outbound(str(message_id)) == "queued"
    waiting = row(rt, message_id)
    assert waiting.next_attempt_at > utcnow() and waiting.attempts == 1
    assert jobs.send_outbound(str(message_id)) == "skipped"  # not before its time
    assert sibling(rt.queue, REPLIES).scheduled_job_registry.count == 1  # RQ's scheduler runs it when due
    with rt.unit_of_work() as session:  # what the admin's message log shows while it waits
        summary = message_log_summary(session)
    assert (summary.waiting_to_retry, summary.next_retry_at) == (1, waiting.next_attempt_at)
    assert summary.top_retry_reasons == [(waiting.failure_reason, 1)]

    run_once(rt, now=waiting.next_attempt_at + timedelta(seconds=1))  # the sweep finds it due
    drain(rt.queue, runtime=rt)
    sent = row(rt, message_id)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert [r["http_status"] for r in fake_twilio.requests] == [answer.http_status, 201]


# -- never twice ------------------------------------------------------------------------------------------------

def test_a_twilio_read_timeout_is_looked_up_and_not_sent_again(rt, fake_twilio):
    message_id = write(rt)
    fake_twilio.answer_next(Answer.hang(2))  # Twilio creates the message, the answer comes too late
    assert jobs.send_outbound(str(message_id)) == "unknown"
    fake_twilio.wait_for(1)
    assert jobs.send_outbound(str(message_id)) == "skipped"

    assert jobs.reconcile_outbound(str(message_id)) == "sent"
    settled = row(rt, message_id)
    [created] = fake_twilio.created_messages
    assert (settled.status, settled.provider_message_id) == ("sent", created["sid"])
    assert len(fake_twilio.requests) == 1 and len(fake_twilio.lookups) == 1


def test_a_job_that_died_before_the_provider_call_is_sent_after_the_look_up(rt, fake_twilio):
    message_id = write(rt)
    with rt.unit_of_work() as session:
        from casecore.messaging.outbox import claim_for_sending
        claim_for_sending(session, message_id)  # then the worker was killed
    later = utcnow() + timedelta(minutes=5)
    run_once(rt, now=later)  # the stale claim becomes "unknown"
    assert row(rt, message_id).status == "unknown"
    run_once(rt, now=later + timedelta(minutes=2))  # and is looked up
    drain(rt.queue, runtime=rt)
    sent = row(rt, message_id)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert len(fake_twilio.requests) == 1  # Twilio had nothing: sent once, now


def test_another_messages_id_is_not_taken_for_the_lost_one(rt, fake_twilio):
    first = write(rt, key="first")
    assert jobs.send_outbound(str(first)) == "sent"
    second = write(rt, key="second")
    with rt.unit_of_work() as session:
        from casecore.messaging.outbox import claim_for_sending
        claim_for_sending(session, second)
        mark_stale_claims_unknown(session, utcnow() + timedelta(seconds=1))
    assert jobs.reconcile_outbound(str(second)) == "queued"  # the only message listed is the first's
    assert jobs.send_outbound(str(second)) == "sent"
    assert len({m["sid"] for m in fake_twilio.created_messages}) == 2


def test_an_at_timeout_waits_for_a_delivery_report_naming_the_number(database_url, redis_url, fake_twilio, fake_at,
                                                                      client_for):
    rt = make_runtime(database_url, redis_url, fake_twilio, fake_at, SMS_BACKEND="africastalking")
    message_id = write(rt, backend="africastalking")
    fake_at.answer_next(AtAnswer.hang(2))
    assert jobs.send_outbound(str(message_id)) == "unknown"
    assert jobs.reconcile_outbound(str(message_id)) == "unknown"  # AT has no look-up: it waits

    client = client_for(rt)
    answer = client.post("/webhooks/africastalking/delivery", data={
        "id": "ATXid_late", "status": "Success", "phoneNumber": PHONE, "networkCode": "61002"})
    assert answer.status_code == 200
    settled = row(rt, message_id)
    assert (settled.status, settled.provider_message_id, settled.delivery_status) == (
        "sent", "ATXid_late", "delivered")
    assert len(fake_at.requests) == 1
    rt.close()


def test_an_at_outcome_never_known_is_failed_not_resent(database_url, redis_url, fake_twilio, fake_at):
    rt = make_runtime(database_url, redis_url, fake_twilio, fake_at, SMS_BACKEND="africastalking",
                      UNKNOWN_OUTCOME_WAIT_SECONDS=0)
    message_id = write(rt, backend="africastalking")
    fake_at.answer_next(AtAnswer.garbage())
    assert jobs.send_outbound(str(message_id)) == "unknown"
    assert jobs.reconcile_outbound(str(message_id)) == "failed"
    failed = row(rt, message_id)
    assert failed.failure_reason.startswith("outcome unknown")
    assert len(fake_at.requests) == 1
    rt.close()


# -- opt-out at the provider ------------------------------------------------------------------------------------

def test_twilio_21610_records_the_opt_out_and_withholds_later_messages(rt, fake_twilio):
    first = write(rt, key="a")
    fake_twilio.answer_next(Answer.opted_out())
    assert jobs.send_outbound(str(first)) == "failed"
    with rt.unit_of_work() as session:
        assert is_opted_out(session, PHONE)
    second = write(rt, key="b", channel="sms")
    assert jobs.send_outbound(str(second)) == "skipped"
    assert row(rt, second).failure_reason == "opted_out"
    assert len(fake_twilio.requests) == 1


def test_a_status_callback_with_21610_records_the_opt_out(rt, fake_twilio, client_for):
    message_id = write(rt)
    assert jobs.send_outbound(str(message_id)) == "sent"
    sid = row(rt, message_id).provider_message_id
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "21610", "To": PHONE,
            "AccountSid": SID}
    assert post_signed(client_for(rt), "/webhooks/twilio/status", form).status_code == 200
    with rt.unit_of_work() as session:
        assert is_opted_out(session, PHONE)


# -- rate limits at the provider -----------------------------------------------------------------------------------

def status_callback(rt, make_client, sid: str, status: str, error: str = ""):
    """Twilio's status callback on sid, posted to the web app on rt's settings (make_client: client_for)."""
    form = {"MessageSid": sid, "MessageStatus": status, "To": f"whatsapp:{PHONE}", "AccountSid": SID}
    if error:
        form["ErrorCode"] = error
    assert post_signed(make_client(rt), "/webhooks/twilio/status", form).status_code == 200


def test_a_63018_status_callback_sends_the_message_again_after_its_backoff(rt, fake_twilio, client_for):
    whatsapp_from_the_person(rt, hours_ago=1)
    message_id = write(rt, channel="whatsapp")
    assert jobs.send_outbound(str(message_id)) == "sent"
    first_sid = row(rt, message_id).provider_message_id

    status_callback(rt, client_for, first_sid, "failed", "63018")  # Twilio took it, then WhatsApp refused it for now
    waiting = row(rt, message_id)
    assert (waiting.status, waiting.failure_reason, waiting.attempts) == ("queued", "rate_limited", 1)
    assert waiting.next_attempt_at > utcnow() and waiting.provider_message_id is None
    assert (waiting.delivery_status, waiting.delivery_reason) == (None, None)  # not a failure for good
    assert jobs.send_outbound(str(message_id)) == "skipped"  # not before its time
    assert sibling(rt.queue, REPLIES).scheduled_job_registry.count == 1
    status_callback(rt, client_for, first_sid, "sent")  # a late word on the failed try changes nothing
    assert row(rt, message_id).delivery_status is None

    run_once(rt, now=waiting.next_attempt_at + timedelta(seconds=1))
    drain(rt.queue, runtime=rt)
    sent = row(rt, message_id)
    assert (sent.status, sent.attempts) == ("sent", 2) and sent.provider_message_id not in (None, first_sid)
    status_callback(rt, client_for, sent.provider_message_id, "delivered")
    assert row(rt, message_id).delivery_status == "delivered"
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{PHONE}"] * 2


def test_a_try_twilio_failed_for_a_rate_limit_is_not_taken_for_the_next_one(rt, fake_twilio, client_for):
    whatsapp_from_the_person(rt, hours_ago=1)
    message_id = write(rt, channel="whatsapp")
    assert jobs.send_outbound(str(message_id)) == "sent"
    first_sid = row(rt, message_id).provider_message_id
    fake_twilio.fail_message(first_sid, 63018)
    status_callback(rt, client_for, first_sid, "failed", "63018")
    with rt.unit_of_work() as session:  # the next try's job dies before it calls Twilio
        from casecore.messaging.outbox import claim_for_sending
        claim_for_sending(session, message_id, now=row(rt, message_id).next_attempt_at)
        mark_stale_claims_unknown(session, utcnow() + timedelta(hours=1))
    assert jobs.reconcile_outbound(str(message_id)) == "queued"  # Twilio lists only the failed try
    assert jobs.send_outbound(str(message_id)) == "sent"
    assert row(rt, message_id).provider_message_id != first_sid


# -- WhatsApp's 24-hour window ----------------------------------------------------------------------------------

def test_inside_the_window_whatsapp_goes_as_whatsapp(rt, fake_twilio):
    whatsapp_from_the_person(rt, hours_ago=23)
    message_id = write(rt, channel="whatsapp", body="Votre agent vous répondra.")
    assert jobs.send_outbound(str(message_id)) == "sent"
    assert fake_twilio.requests[0]["form"]["To"] == f"whatsapp:{PHONE}"


def test_outside_the_window_the_text_goes_by_sms_instead(rt, fake_twilio):
    whatsapp_from_the_person(rt, hours_ago=25)
    message_id = write(rt, channel="whatsapp", body="Votre agent vous répondra ç.")
    assert jobs.send_outbound(str(message_id)) == "rerouted"
    drain(rt.queue, runtime=rt)
    [request] = fake_twilio.requests
    assert request["form"]["To"] == PHONE and request["form"]["From"] == "+14155550100"
    assert request["form"]["Body"] == "Votre agent vous répondra c."  # respelt for GSM-7
    with rt.unit_of_work() as session:
        rows = {m.channel: m for m in session.scalars(select(OutboundMessage))}
    assert rows["whatsapp"].status == "rerouted" and rows["sms"].status == "sent"


def test_an_opt_out_confirmation_outside_the_window_still_goes_by_sms(rt, fake_twilio):
    whatsapp_from_the_person(rt, hours_ago=25)
    with rt.unit_of_work() as session:
        opt_out(session, PHONE)
        message_id = queue_message(session, purpose_key="stop", to_phone=PHONE, body="Vous ne recevrez plus rien.",
                                   backend="twilio", channel="whatsapp", ignores_opt_out=True).id
    assert jobs.send_outbound(str(message_id)) == "rerouted"
    drain(rt.queue, runtime=rt)
    [request] = fake_twilio.requests
    assert (request["form"]["To"], request["form"]["Body"]) == (PHONE, "Vous ne recevrez plus rien.")


def test_a_63016_refusal_is_sent_by_sms_instead(rt, fake_twilio):
    whatsapp_from_the_person(rt, hours_ago=1)  # our records say open; Twilio knows better
    message_id = write(rt, channel="whatsapp")
    fake_twilio.answer_next(Answer.outside_window())
    assert jobs.send_outbound(str(message_id)) == "rerouted"
    drain(rt.queue, runtime=rt)
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{PHONE}", PHONE]


def test_a_whatsapp_message_failed_for_another_reason_is_not_sent_again(rt, fake_twilio, client_for):
    whatsapp_from_the_person(rt, hours_ago=1)
    message_id = write(rt, channel="whatsapp")
    assert jobs.send_outbound(str(message_id)) == "sent"
    status_callback(rt, client_for, row(rt, message_id).provider_message_id, "undelivered", "30003")  # unreachable
    drain(rt.queue, runtime=rt)
    failed = row(rt, message_id)
    assert (failed.status, failed.delivery_status, failed.attempts) == ("sent", "failed", 1)
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{PHONE}"]  # not by SMS, not again


def test_a_63016_status_callback_reroutes_the_message_it_names_only(rt, fake_twilio, client_for):
    other = "+22376701431"
    whatsapp_from_the_person(rt, hours_ago=1)
    whatsapp_from_the_person(rt, hours_ago=1, key="SMin2", phone=other)
    to_other = write(rt, channel="whatsapp", key="other", to=other)
    refused = write(rt, channel="whatsapp", key="refused")
    assert jobs.send_outbound(str(to_other)) == "sent" and jobs.send_outbound(str(refused)) == "sent"
    form = {"MessageSid": row(rt, refused).provider_message_id, "MessageStatus": "failed", "ErrorCode": "63016",
            "To": f"whatsapp:{PHONE}", "AccountSid": SID}
    assert post_signed(client_for(rt), "/webhooks/twilio/status", form).status_code == 200
    drain(rt.queue, runtime=rt)
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{other}", f"whatsapp:{PHONE}", PHONE]
    assert (row(rt, refused).status, row(rt, to_other).status) == ("rerouted", "sent")


def test_a_late_rate_limit_report_on_a_message_sent_by_sms_instead_sends_nothing_more(rt, fake_twilio, client_for):
    whatsapp_from_the_person(rt, hours_ago=1)
    message_id = write(rt, channel="whatsapp")
    assert jobs.send_outbound(str(message_id)) == "sent"
    sid = row(rt, message_id).provider_message_id
    status_callback(rt, client_for, sid, "failed", "63016")
    drain(rt.queue, runtime=rt)
    assert row(rt, message_id).status == "rerouted"
    status_callback(rt, client_for, sid, "failed", "63018")  # a later word on the same try, contradicting the first
    drain(rt.queue, runtime=rt)
    assert row(rt, message_id).status == "rerouted"
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{PHONE}", PHONE]


def test_a_63016_status_callback_sends_the_message_by_sms(rt, fake_twilio, client_for):
    whatsapp_from_the_person(rt, hours_ago=1)
    message_id = write(rt, channel="whatsapp")
    assert jobs.send_outbound(str(message_id)) == "sent"
    form = {"MessageSid": row(rt, message_id).provider_message_id, "MessageStatus": "failed", "ErrorCode": "63016",
            "To": f"whatsapp:{PHONE}", "AccountSid": SID}
    assert post_signed(client_for(rt), "/webhooks/twilio/status", form).status_code == 200
    drain(rt.queue, runtime=rt)
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{PHONE}", PHONE]
    assert row(rt, message_id).status == "rerouted"


def test_with_a_template_the_message_is_held_until_the_person_writes(database_url, redis_url, fake_twilio, fake_at):
    template = fake_twilio.add_template("Relais : un message vous attend. Écrivez-nous pour le lire.")
    rt = make_runtime(database_url, redis_url, fake_twilio, fake_at, WHATSAPP_OUTSIDE_WINDOW="template",
                      TWILIO_WHATSAPP_TEMPLATE_SID=template)
    first = write(rt, channel="whatsapp", key="w1", body="Premier")
    second = write(rt, channel="whatsapp", key="w2", body="Second")
    assert jobs.send_outbound(str(first)) == "held"
    assert jobs.send_outbound(str(second)) == "held"
    drain(rt.queue, runtime=rt)
    [asked] = fake_twilio.requests  # one template for both
    assert asked["form"]["ContentSid"] == template and "Body" not in asked["form"]
    assert asked["text"].startswith("Relais : un message vous attend")

    with rt.unit_of_work() as session:
        make_organisation(session)  # the person's message is answered by the receiving organisation's service
    whatsapp_from_the_person(rt, hours_ago=0, key="SMreply")
    with rt.unit_of_work() as session:
        from casecore.messaging.inbox import inbound_awaiting
        [inbound_id] = inbound_awaiting(session, utcnow() + timedelta(seconds=1))
    jobs.handle_inbound(str(inbound_id))
    drain(rt.queue, runtime=rt)
    bodies = [r["text"] for r in fake_twilio.requests[1:]]
    assert "Premier" in bodies and "Second" in bodies
    assert {row(rt, first).status, row(rt, second).status} == {"sent"}
    rt.close()


# -- a business-scoped id: the window's rules with no SMS route ---------------------------------------------------

def test_outside_the_window_a_business_scoped_id_is_held_not_sent_by_sms(rt, fake_twilio, fake_at):
    whatsapp_from_the_person(rt, hours_ago=25, phone=BSUID)
    message_id = write(rt, channel="whatsapp", body="Votre agent vous répondra.", to=BSUID)
    assert jobs.send_outbound(str(message_id)) == "held"
    drain(rt.queue, runtime=rt)
    assert fake_twilio.requests == [] and fake_at.requests == []  # no template configured: nothing to send yet
    with rt.unit_of_work() as session:
        [held] = session.scalars(select(OutboundMessage)).all()
    assert (held.channel, held.status) == ("whatsapp", "held")

    whatsapp_from_the_person(rt, hours_ago=0, key="SMback", phone=BSUID)  # they write again: the window opens
    with rt.unit_of_work() as session:
        make_organisation(session)  # their message is answered by the receiving organisation's service
        inbound_id = session.scalar(select(InboundMessage.id).where(InboundMessage.provider_message_id == "SMback"))
    jobs.handle_inbound(str(inbound_id))
    drain(rt.queue, runtime=rt)
    assert row(rt, message_id).status == "sent"
    assert {r["form"]["To"] for r in fake_twilio.requests} == {f"whatsapp:{BSUID}"} and fake_at.requests == []


def test_a_63016_refusal_to_a_business_scoped_id_holds_it(rt, fake_twilio, fake_at):
    whatsapp_from_the_person(rt, hours_ago=1, phone=BSUID)
    message_id = write(rt, channel="whatsapp", to=BSUID)
    fake_twilio.answer_next(Answer.outside_window())
    assert jobs.send_outbound(str(message_id)) == "held"
    drain(rt.queue, runtime=rt)
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{BSUID}"] and fake_at.requests == []


def test_a_63016_status_callback_for_a_business_scoped_id_holds_it(rt, fake_twilio, client_for):
    whatsapp_from_the_person(rt, hours_ago=1, phone=BSUID)
    message_id = write(rt, channel="whatsapp", to=BSUID)
    assert jobs.send_outbound(str(message_id)) == "sent"
    form = {"MessageSid": row(rt, message_id).provider_message_id, "MessageStatus": "failed", "ErrorCode": "63016",
            "To": f"whatsapp:{BSUID}", "AccountSid": SID}
    assert post_signed(client_for(rt), "/webhooks/twilio/status", form).status_code == 200
    drain(rt.queue, runtime=rt)
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{BSUID}"]
    assert row(rt, message_id).status == "held"


def test_with_a_template_a_business_scoped_id_is_asked_to_write_back_on_whatsapp(
        database_url, redis_url, fake_twilio, fake_at):
    template = fake_twilio.add_template("Relais : un message vous attend. Écrivez-nous pour le lire.")
    # The SMS policy, as most deployments run: for the id the template stands in for the SMS it cannot get.
    rt = make_runtime(database_url, redis_url, fake_twilio, fake_at, TWILIO_WHATSAPP_TEMPLATE_SID=template)
    whatsapp_from_the_person(rt, hours_ago=30, phone=BSUID)
    message_id = write(rt, channel="whatsapp", to=BSUID)
    assert jobs.send_outbound(str(message_id)) == "held"
    drain(rt.queue, runtime=rt)
    [asked] = fake_twilio.requests
    assert (asked["form"]["To"], asked["form"]["ContentSid"]) == (f"whatsapp:{BSUID}", template)
    rt.close()


def test_an_sms_to_a_business_scoped_id_is_never_written(rt):
    with rt.unit_of_work() as session, pytest.raises(InvalidInput, match="WhatsApp only"):
        queue_message(session, purpose_key="sms", to_phone=BSUID, body="Bonjour", backend="twilio", channel="sms")
    with rt.unit_of_work() as session:
        assert family_route(session, BSUID, "africastalking").channel == "whatsapp"

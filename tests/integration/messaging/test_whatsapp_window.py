"""The WhatsApp 24-hour window: opened only by the number's own WhatsApp message, for exactly 24 hours."""
from __future__ import annotations

from datetime import timedelta

import pytest

from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.outbox import claim_for_sending, queue_message, record_send_result, snapshot_in_status
from casecore.messaging.whatsapp_window import outside_window, release_held, window_open

AWA, FATOU = "+22376701430", "+22376701431"


def received(runtime, phone: str, at, channel: str = "whatsapp", key: str = "SM1") -> None:
    with runtime.unit_of_work() as session:
        store_inbound(session, InboundDraft(
            provider="twilio", provider_message_id=key, channel=channel,
            phone=f"whatsapp:{phone}" if channel == "whatsapp" else phone,
            to_address="whatsapp:+14155238886" if channel == "whatsapp" else "+14155238886", body="Bonjour",
            received_at=at))


def test_the_window_stays_open_exactly_24_hours_after_the_numbers_last_whatsapp_message(any_db_runtime):
    wrote = utcnow() - timedelta(hours=30)
    received(any_db_runtime, AWA, wrote)
    with any_db_runtime.unit_of_work() as session:
        assert window_open(session, AWA, now=wrote + timedelta(hours=24) - timedelta(seconds=1))
        assert not window_open(session, AWA, now=wrote + timedelta(hours=24))  # 24 hours on: closed
        assert not window_open(session, AWA, now=wrote + timedelta(hours=24, minutes=30))


def test_only_the_numbers_own_whatsapp_message_opens_its_window(any_db_runtime):
    now = utcnow()
    received(any_db_runtime, FATOU, now - timedelta(minutes=5), key="SM-fatou")  # another number, on WhatsApp
    received(any_db_runtime, AWA, now - timedelta(minutes=5), channel="sms", key="SM-awa-sms")  # Awa, by SMS
    with any_db_runtime.unit_of_work() as session:
        assert window_open(session, FATOU, now=now)
        assert not window_open(session, AWA, now=now)


@pytest.mark.parametrize("policy, template_sid, refusal", [
    ("template", "", "the template policy needs an approved template"),
    ("drop", "HX1", "unknown WhatsApp window policy 'drop'; choose one of"),
])
def test_a_policy_that_cannot_be_applied_is_refused_with_the_reason(any_db_runtime, policy, template_sid, refusal):
    with any_db_runtime.unit_of_work() as session:
        ref = queue_message(session, purpose_key="w1", to_phone=f"whatsapp:{AWA}", body="Votre dossier avance",
                            backend="twilio", channel="whatsapp")
        message = snapshot_in_status(session, ref.id, "queued")
        with pytest.raises(InvalidInput, match=refusal):
            outside_window(session, message, policy, sms_backend="console", sms_body=str, template_sid=template_sid)


def test_a_number_that_never_wrote_on_whatsapp_has_no_window(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        assert not window_open(session, AWA)


def test_outside_the_window_the_sms_policy_sends_the_same_text_by_sms_to_a_number(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        ref = queue_message(session, purpose_key="w2", to_phone=f"whatsapp:{AWA}", body="Votre dossier avance",
                            backend="twilio", channel="whatsapp")
        message = snapshot_in_status(session, ref.id, "queued")
        status, to_send = outside_window(session, message, "sms", sms_backend="console", sms_body=str.upper)
    assert status == "rerouted" and len(to_send) == 1
    with any_db_runtime.unit_of_work() as session:
        replacement = snapshot_in_status(session, to_send[0], "queued")
    assert (replacement.channel, replacement.body, replacement.to_phone) == ("sms", "VOTRE DOSSIER AVANCE", AWA)


def held(runtime, phone: str, key: str):
    with runtime.unit_of_work() as session:
        ref = queue_message(session, purpose_key=key, to_phone=f"whatsapp:{phone}", body="Votre dossier avance",
                            backend="twilio", channel="whatsapp")
        message = snapshot_in_status(session, ref.id, "queued")
        status, to_send = outside_window(session, message, "template", sms_backend="console", sms_body=str,
                                         template_sid="HX0123456789abcdef0123456789abcdef")
    assert status == "held"
    return ref.id, to_send


def test_each_number_held_for_gets_its_own_template_and_writing_releases_only_its_own(any_db_runtime):
    awas, awa_template = held(any_db_runtime, AWA, "h1")
    fatous, fatou_template = held(any_db_runtime, FATOU, "h2")
    awas_second, none_asked = held(any_db_runtime, AWA, "h3")
    # One template per number while something waits for it: Fatou's held message does not stand for Awa's.
    assert len(awa_template) == 1 and len(fatou_template) == 1 and none_asked == []
    with any_db_runtime.unit_of_work() as session:
        assert sorted(release_held(session, AWA)) == sorted([awas, awas_second])
        assert snapshot_in_status(session, fatous, "held") is not None  # still waiting for Fatou to write


def test_a_number_whose_earlier_messages_went_is_still_told_one_waits(any_db_runtime):
    # Only a held message has asked the person to write: messages sent or queued to them before do not stand for
    # the template, or nobody would tell them something waits.
    with any_db_runtime.unit_of_work() as session:
        went = queue_message(session, purpose_key="w0", to_phone=f"whatsapp:{AWA}", body="Bonjour",
                             backend="twilio", channel="whatsapp").id
        claim_for_sending(session, went)
        record_send_result(session, went, "sent", "SM0", None)
        queue_message(session, purpose_key="w0b", to_phone=f"whatsapp:{AWA}", body="Suite", backend="twilio",
                      channel="whatsapp")
    _awas, template = held(any_db_runtime, AWA, "h1")
    assert len(template) == 1

"""Each outbound SMS records its encoding and segments (cost); WhatsApp messages record neither."""
from __future__ import annotations

from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import queue_message
from casecore.reports.alerts import queue_report_alerts
from tests.factories import make_organisation, make_report, make_user
from workers.inbound import _queue_text


def size_of(runtime, message_id):
    with runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        return message.body, message.encoding, message.segments


def test_an_sms_records_gsm7_or_ucs2_and_its_segments(runtime):
    cases = [("Votre rendez-vous est confirmé à 10h. Merci!", ("GSM-7", 1)),
             ("ça marche: RDV confirmé.", ("UCS-2", 1)),
             ("A" * 161, ("GSM-7", 2)),
             ("ç" * 71, ("UCS-2", 2))]
    for n, (body, expected) in enumerate(cases):
        with runtime.unit_of_work() as session:
            ref = queue_message(session, purpose_key=f"size:{n}", to_phone="+22376701430", body=body,
                                backend="console")
        assert size_of(runtime, ref.id)[1:] == expected


def test_a_whatsapp_message_records_no_encoding(runtime):
    with runtime.unit_of_work() as session:
        ref = queue_message(session, purpose_key="wa", to_phone="+22376701430", body="ça marche",
                            backend="twilio", channel="whatsapp")
    assert size_of(runtime, ref.id) == ("ça marche", None, None)


def test_a_staff_alert_records_its_size(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org, language="fr")
        report = make_report(session, organisation_slug=org.slug)
        [message_id] = queue_report_alerts(session, report.id, "console")
    body, encoding, segments = size_of(runtime, message_id)
    assert body.startswith("Relais") and (encoding, segments) == ("GSM-7", 1)


def test_an_sms_reply_is_respelt_to_gsm7_before_it_is_measured(runtime):
    with runtime.unit_of_work() as session:
        sms = _queue_text(session, runtime, purpose_key="reply:sms", phone="+22376701430", channel="sms",
                          provider="africastalking", text="ça marche: RDV confirmé.")
        whatsapp = _queue_text(session, runtime, purpose_key="reply:wa", phone="+22376701430", channel="whatsapp",
                               provider="twilio", text="ça marche: RDV confirmé.")
    assert size_of(runtime, sms.id) == ("ca marche: RDV confirmé.", "GSM-7", 1)
    assert size_of(runtime, whatsapp.id) == ("ça marche: RDV confirmé.", None, None)

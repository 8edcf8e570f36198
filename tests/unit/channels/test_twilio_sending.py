"""Sending through Twilio without a network: the answer mapping table, configuration, and OutboundSms itself."""
from __future__ import annotations

import json

import pytest

from channels.sms import BACKENDS, OutboundSms, SendResult, SmsConfigError, make_sms_backend
from channels.sms.africastalking import AfricasTalkingBackend
from channels.sms.twilio import TwilioBackend, interpret_response

SID = "SM" + "0123456789abcdef" * 2
OPTIONS = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token", "TWILIO_SMS_FROM": "+14155550100",
           "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_API_URL": "http://127.0.0.1:9",
           "PROVIDER_TIMEOUT": 2.5}


def twilio_error(code: int, message: str, status: int = 400) -> str:
    return json.dumps({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                       "status": status})


@pytest.mark.parametrize("http_status, body, expected", [
    (201, json.dumps({"sid": SID, "status": "queued"}), SendResult("sent", SID, None)),
    (200, json.dumps({"sid": SID, "status": "accepted"}), SendResult("sent", SID, None)),
    (201, "<html>proxy</html>", SendResult("unknown", None, "unreadable answer")),
    (201, json.dumps({"status": "queued"}), SendResult("unknown", None, "unreadable answer")),
    (201, "", SendResult("unknown", None, "unreadable answer")),
    (429, twilio_error(20429, "Too Many Requests", 429), SendResult("retry", None, "HTTP 429")),
    (500, "Internal Server Error", SendResult("retry", None, "HTTP 500")),
    (503, "", SendResult("retry", None, "HTTP 503")),
    (400, twilio_error(21610, "Attempt to send to unsubscribed recipient"), SendResult("failed", None, "opted_out")),
    (400, twilio_error(63016, "Failed to send freeform message because you are outside the allowed window."),
     SendResult("failed", None, "outside_whatsapp_window")),
    (400, json.dumps({"code": "21610", "message": "x"}), SendResult("failed", None, "opted_out")),
    # Rate limits (the WhatsApp sender's, the account's): not taken now, tried again after a backoff like 429.
    (400, twilio_error(63018, "Rate limit exceeded for Channel"), SendResult("retry", None, "rate_limited")),
    (429, twilio_error(63018, "Rate limit exceeded for Channel", 429), SendResult("retry", None, "HTTP 429")),
    (400, twilio_error(63017, "Rate limit exceeded"), SendResult("retry", None, "rate_limited")),
    (401, twilio_error(20003, "Authenticate", 401), SendResult("failed", None, "bad credentials")),
    (403, "Forbidden", SendResult("failed", None, "bad credentials")),
    (400, twilio_error(21211, "The 'To' number +22376701430 is not a valid phone number."),
     SendResult("failed", None, "Twilio 21211: The 'To' number <number> is not a valid phone number.")),
    # A WhatsApp business-scoped id quoted back is cut out as a number is, letters and all.
    (400, twilio_error(21211, "The 'To' number whatsapp:US.ABC123XYZ is not a valid phone number."),
     SendResult("failed", None, "Twilio 21211: The 'To' number whatsapp:<id> is not a valid phone number.")),
    (400, twilio_error(21617, "The concatenated message body exceeds the 1600 character limit."),
     SendResult("failed", None, "Twilio 21617: The concatenated message body exceeds the 1600 character limit.")),
    (404, twilio_error(20404, ""), SendResult("failed", None, "Twilio 20404")),
    (400, "Bad request", SendResult("failed", None, "HTTP 400: Bad request")),
    (400, "", SendResult("failed", None, "HTTP 400")),
])
def test_twilio_answers_map_to_send_results(http_status, body, expected):
    assert interpret_response(http_status, body) == expected


def test_a_rate_limit_keeps_the_wait_twilio_asks_for():
    assert interpret_response(400, twilio_error(63018, "Rate limit exceeded for Channel"), 30.0) == \
        SendResult("retry", None, "rate_limited", 30.0)


def test_a_long_twilio_message_is_cut_short():
    result = interpret_response(400, twilio_error(21999, "x" * 1000))
    assert result.status == "failed" and len(result.reason) < 200


def test_registry_builds_twilio_from_a_plain_mapping():
    backend = make_sms_backend("twilio", OPTIONS)
    assert isinstance(backend, TwilioBackend) and "twilio" in BACKENDS
    assert backend.timeout == 2.5
    assert backend.url == f"http://127.0.0.1:9/2010-04-01/Accounts/{OPTIONS['TWILIO_ACCOUNT_SID']}/Messages.json"


def test_the_api_url_defaults_to_twilio():
    backend = make_sms_backend("twilio", {**OPTIONS, "TWILIO_API_URL": "", "PROVIDER_TIMEOUT": None})
    assert backend.url.startswith("https://api.twilio.com/2010-04-01/Accounts/AC")
    assert backend.timeout == 10.0


@pytest.mark.parametrize("blank, named", [
    ("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"),
    ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN"),
])
def test_registry_refuses_twilio_without_credentials(blank, named):
    with pytest.raises(SmsConfigError, match=named):
        make_sms_backend("twilio", {**OPTIONS, blank: ""})


def test_registry_refuses_twilio_without_any_sender():
    with pytest.raises(SmsConfigError, match="TWILIO_SMS_FROM or TWILIO_WHATSAPP_FROM"):
        make_sms_backend("twilio", {**OPTIONS, "TWILIO_SMS_FROM": "", "TWILIO_WHATSAPP_FROM": ""})


@pytest.mark.parametrize("blank, channel, named", [
    ("TWILIO_SMS_FROM", "sms", "TWILIO_SMS_FROM"),
    ("TWILIO_WHATSAPP_FROM", "whatsapp", "TWILIO_WHATSAPP_FROM"),
])
def test_a_channel_without_its_sender_fails_for_good_without_calling_twilio(blank, channel, named):
    backend = make_sms_backend("twilio", {**OPTIONS, blank: ""})  # the API URL is a closed port: no call made
    result = backend.send(OutboundSms(to="+22376701430", body="Bonjour", channel=channel))
    assert result.status == "failed" and named in result.reason


def test_a_body_twilio_would_refuse_fails_without_calling_twilio():
    result = make_sms_backend("twilio", OPTIONS).send(OutboundSms(to="+22376701430", body="x" * 1601))
    assert result == SendResult("failed", None, "body longer than 1600 characters")


def test_africastalking_refuses_whatsapp_for_good():
    backend = AfricasTalkingBackend(url="http://127.0.0.1:9/version1/messaging", username="u", api_key="k")
    result = backend.send(OutboundSms(to="+22376701430", body="Bonjour", channel="whatsapp"))
    assert result.status == "failed" and "WhatsApp".lower() in result.reason.lower()


def test_outbound_sms_defaults_to_sms_without_options():
    sms = OutboundSms(to="+22376701430", body="Bonjour")
    assert (sms.channel, sms.options) == ("sms", ())


def test_outbound_sms_keeps_quick_reply_options_as_a_tuple():
    sms = OutboundSms(to="+22376701430", body="1. Oui\n2. Non", channel="whatsapp", options=["Oui", "Non"])
    assert sms.options == ("Oui", "Non")
    hash(sms)


def test_outbound_sms_refuses_an_unknown_channel():
    with pytest.raises(ValueError, match="ussd"):
        OutboundSms(to="+22376701430", body="Bonjour", channel="ussd")  # type: ignore[arg-type]

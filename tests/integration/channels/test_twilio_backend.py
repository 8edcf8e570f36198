"""The Twilio backend against the fake Twilio server: the exact request, WhatsApp addressing, each kind of trouble."""
from __future__ import annotations

import base64
import re
import time

import pytest

from channels.sms import OutboundSms, SendResult, make_sms_backend
from tests.fakes.twilio import Answer, FakeTwilio
from tests.servers import free_port

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "secret-token"
SMS = OutboundSms(to="+22376701430", body="Relais: votre signalement ABC2345 est reçu. Merci.")
WHATSAPP = OutboundSms(to="+22376701430", body="Relais: choisissez 1 ou 2.", channel="whatsapp",
                       options=("Oui", "Non"))


@pytest.fixture
def fake_twilio():
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as fake:
        yield fake


def backend(url, **overrides):
    options = {"TWILIO_API_URL": url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_SMS_FROM": "+14155550100", "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
               "PROVIDER_TIMEOUT": 0.5, **overrides}
    return make_sms_backend("twilio", options)


def test_an_sms_request_is_exactly_what_twilio_expects(fake_twilio):
    result = backend(fake_twilio.url).send(SMS)

    [request] = fake_twilio.wait_for(1)
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    expected_auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request["headers"]["Authorization"] == f"Basic {expected_auth}"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {"To": "+22376701430", "From": "+14155550100", "Body": SMS.body}
    assert result.status == "sent" and re.fullmatch(r"SM[0-9a-f]{32}", result.provider_message_id)


def test_a_trailing_slash_on_the_api_url_is_harmless(fake_twilio):
    backend(fake_twilio.url + "/").send(SMS)
    assert fake_twilio.wait_for(1)[0]["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@pytest.mark.parametrize("whatsapp_from", ["whatsapp:+14155238886", "+14155238886"])
def test_whatsapp_is_addressed_with_the_prefix_on_both_sides(fake_twilio, whatsapp_from):
    result = backend(fake_twilio.url, TWILIO_WHATSAPP_FROM=whatsapp_from).send(WHATSAPP)

    [request] = fake_twilio.wait_for(1)
    assert request["form"] == {"To": "whatsapp:+22376701430", "From": "whatsapp:+14155238886",
                               "Body": WHATSAPP.body}
    assert result.status == "sent"


def test_a_number_already_prefixed_is_not_prefixed_twice(fake_twilio):
    backend(fake_twilio.url).send(OutboundSms(to="whatsapp:+22376701430", body="Bonjour", channel="whatsapp"))
    assert fake_twilio.wait_for(1)[0]["form"]["To"] == "whatsapp:+22376701430"


def test_whatsapp_only_configuration_sends_whatsapp(fake_twilio):
    result = backend(fake_twilio.url, TWILIO_SMS_FROM="").send(WHATSAPP)
    assert result.status == "sent" and len(fake_twilio.wait_for(1)) == 1


@pytest.mark.parametrize("answer, expected", [
    (Answer.throttled(), SendResult("retry", None, "HTTP 429")),
    (Answer.server_error(), SendResult("retry", None, "HTTP 500")),
    (Answer.error(503, 20503, "Service Unavailable"), SendResult("retry", None, "HTTP 503")),
    (Answer.opted_out(), SendResult("failed", None, "opted_out")),
    (Answer.outside_window(), SendResult("failed", None, "outside_whatsapp_window")),
    (Answer.error(400, 63018, "Rate limit exceeded for Channel"), SendResult("retry", None, "rate_limited")),
    (Answer.error(400, 21408, "Permission to send an SMS has not been enabled for the region indicated by the "
                              "'To' number: +22376701430."),
     SendResult("failed", None, "Twilio 21408: Permission to send an SMS has not been enabled for the region "
                                "indicated by the 'To' number: <number>.")),
    (Answer.garbage(), SendResult("unknown", None, "unreadable answer")),
    (Answer.hang(3), SendResult("unknown", None, "timeout")),
])
def test_each_kind_of_trouble(fake_twilio, answer, expected):
    fake_twilio.answer_next(answer)
    assert backend(fake_twilio.url).send(WHATSAPP) == expected
    # The next message goes through again: the answer was a one-off.
    assert backend(fake_twilio.url).send(WHATSAPP).status == "sent"


@pytest.mark.parametrize("overrides", [{"TWILIO_AUTH_TOKEN": "wrong"}, {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32}])
def test_wrong_credentials_fail_for_good(fake_twilio, overrides):
    assert backend(fake_twilio.url, **overrides).send(SMS) == SendResult("failed", None, "bad credentials")


def test_a_hanging_twilio_is_given_up_on_within_the_timeout(fake_twilio):
    fake_twilio.answer_next(Answer.hang(5))
    started = time.monotonic()
    result = backend(fake_twilio.url, PROVIDER_TIMEOUT=0.3).send(SMS)
    # Twilio may have taken the message before the answer timed out: unknown, never simply retried.
    assert result == SendResult("unknown", None, "timeout")
    assert time.monotonic() - started < 2


def test_nobody_listening_is_retried_later():
    # No connection was made, so the provider surely has nothing: safe to try again.
    result = backend(f"http://127.0.0.1:{free_port()}").send(SMS)
    assert result.status == "retry" and result.reason.startswith("no connection")


def test_the_fake_refuses_what_twilio_refuses(fake_twilio):
    # Mixing an SMS sender with a WhatsApp recipient is Twilio's 21910: reported with its code, for good.
    result = backend(fake_twilio.url, TWILIO_SMS_FROM="+14155550100").send(
        OutboundSms(to="whatsapp:+22376701430", body="Bonjour"))
    assert result.status == "failed" and result.reason.startswith("Twilio 21910")


def test_nothing_about_the_message_is_logged(fake_twilio, caplog):
    caplog.set_level("DEBUG")
    fake_twilio.answer_next(Answer.opted_out(), Answer.hang(3), Answer.error(400, 21211, "The 'To' number "
                                                                              "+22376701430 is not valid."))
    for message in (SMS, WHATSAPP, SMS, WHATSAPP):
        backend(fake_twilio.url).send(message)
    assert "76701430" not in caplog.text and "ABC2345" not in caplog.text and "choisissez" not in caplog.text
    assert AUTH_TOKEN not in caplog.text

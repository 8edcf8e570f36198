"""X-Twilio-Signature (providers §3d): both worked examples, what breaks a signature, and the public URL."""
from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from channels.twilio_messages import EMPTY_TWIML, public_url, twilio_signature_is_valid

VOICE_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VOICE_FORM = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
VOICE_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

WHATSAPP_RAW = ("AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01&Body=Bonjour"
                "&From=whatsapp%3A%2B22376701430&MessageSid=SM00000000000000000000000000000001&NumMedia=0"
                "&ProfileName=Awa&To=whatsapp%3A%2B14155238886&WaId=22376701430")
WHATSAPP_FORM = dict(parse_qsl(WHATSAPP_RAW, keep_blank_values=True))
WHATSAPP_URL = "https://example.com/webhooks/twilio/sms"
WHATSAPP_SIGNATURE = "GDOJRBuTNos1Cg0ok16F28RP/nY="


def test_twilios_own_worked_example():
    assert twilio_signature_is_valid(VOICE_URL, VOICE_FORM, VOICE_SIGNATURE, "12345")


def test_the_whatsapp_example():
    assert twilio_signature_is_valid(WHATSAPP_URL, WHATSAPP_FORM, WHATSAPP_SIGNATURE, "12345")


def test_the_signature_does_not_depend_on_the_order_of_the_form():
    reordered = dict(reversed(list(WHATSAPP_FORM.items())))
    assert twilio_signature_is_valid(WHATSAPP_URL, reordered, WHATSAPP_SIGNATURE, "12345")


def test_a_flask_style_multidict_is_accepted():
    from werkzeug.datastructures import ImmutableMultiDict

    assert twilio_signature_is_valid(WHATSAPP_URL, ImmutableMultiDict(WHATSAPP_FORM), WHATSAPP_SIGNATURE, "12345")


@pytest.mark.parametrize("url, form, signature, token", [
    ("http://example.com/webhooks/twilio/sms", WHATSAPP_FORM, WHATSAPP_SIGNATURE, "12345"),  # behind a TLS proxy
    (WHATSAPP_URL, {**WHATSAPP_FORM, "Body": "Bonsoir"}, WHATSAPP_SIGNATURE, "12345"),
    (WHATSAPP_URL, {**WHATSAPP_FORM, "Extra": "1"}, WHATSAPP_SIGNATURE, "12345"),
    (WHATSAPP_URL, {k: v for k, v in WHATSAPP_FORM.items() if k != "ProfileName"}, WHATSAPP_SIGNATURE, "12345"),
    (WHATSAPP_URL + "?x=1", WHATSAPP_FORM, WHATSAPP_SIGNATURE, "12345"),
    ("https://example.com/webhooks/twilio/messages", WHATSAPP_FORM, WHATSAPP_SIGNATURE, "12345"),
    (WHATSAPP_URL, WHATSAPP_FORM, WHATSAPP_SIGNATURE, "54321"),
    (WHATSAPP_URL, WHATSAPP_FORM, "", "12345"),
    (WHATSAPP_URL, WHATSAPP_FORM, WHATSAPP_SIGNATURE, ""),
    (WHATSAPP_URL, WHATSAPP_FORM, "not base64 at all", "12345"),
    ("https://mycompany.com/myapp.php?foo=1&bar=3", VOICE_FORM, VOICE_SIGNATURE, "12345"),
])
def test_anything_changed_is_rejected(url, form, signature, token):
    assert not twilio_signature_is_valid(url, form, signature, token)


def test_an_explicit_default_port_still_validates():
    assert twilio_signature_is_valid("https://example.com:443/webhooks/twilio/sms", WHATSAPP_FORM,
                                     WHATSAPP_SIGNATURE, "12345")


@pytest.mark.parametrize("base, path, query, expected", [
    ("https://example.com", "/webhooks/twilio/sms", "", "https://example.com/webhooks/twilio/sms"),
    ("https://example.com/", "/webhooks/twilio/sms", "", "https://example.com/webhooks/twilio/sms"),
    ("https://example.com/", "webhooks/twilio/sms", "", "https://example.com/webhooks/twilio/sms"),
    ("https://example.com/relais/", "/webhooks/twilio/sms", "", "https://example.com/relais/webhooks/twilio/sms"),
    ("https://mycompany.com", "/myapp.php", "foo=1&bar=2", VOICE_URL),
    ("https://mycompany.com", "/myapp.php", b"foo=1&bar=2", VOICE_URL),  # Flask's request.query_string
    ("https://mycompany.com", "/myapp.php", "?foo=1&bar=2", VOICE_URL),
    (" https://example.com// ", "//webhooks/twilio/sms", "", "https://example.com/webhooks/twilio/sms"),
])
def test_public_url(base, path, query, expected):
    assert public_url(base, path, query) == expected


def test_the_rebuilt_url_validates_where_the_proxied_one_does_not():
    proxied = "http://10.0.0.5:8000/webhooks/twilio/sms"
    assert not twilio_signature_is_valid(proxied, WHATSAPP_FORM, WHATSAPP_SIGNATURE, "12345")
    rebuilt = public_url("https://example.com", "/webhooks/twilio/sms", b"")
    assert twilio_signature_is_valid(rebuilt, WHATSAPP_FORM, WHATSAPP_SIGNATURE, "12345")


def test_public_url_needs_a_base():
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        public_url("", "/webhooks/twilio/sms", "")


def test_the_empty_twiml_answer():
    assert EMPTY_TWIML == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


TWILIO_URLS = ["https://example.com/webhooks/twilio/sms", "https://example.com:443/webhooks/twilio/sms",
               "http://example.com/webhooks/twilio/sms", "http://example.com:80/webhooks/twilio/sms",
               "https://example.com:8443/webhooks/twilio/sms?token=a%20b&x=", "https://example.com/relais/?"]


@pytest.mark.parametrize("signed_url", TWILIO_URLS)
@pytest.mark.parametrize("checked_url", TWILIO_URLS)
@pytest.mark.parametrize("form", [
    WHATSAPP_FORM, {}, {"Body": "é ü 😀 & = +", "From": "whatsapp:+22376701430"},
    MultiDict([("MediaUrl0", "b"), ("MediaUrl0", "a"), ("MediaUrl0", "b"), ("Body", "x")]),
])
def test_the_verdict_is_twilios_own_validators(signed_url, checked_url, form):
    # Signed by Twilio's library for one URL, checked against another: the same verdict as its validator gives.
    validator = RequestValidator("12345")
    signature = validator.compute_signature(signed_url, form)
    expected = validator.validate(checked_url, form, signature)
    assert twilio_signature_is_valid(checked_url, form, signature, "12345") is expected
    assert twilio_signature_is_valid(checked_url, form, signature[:-2], "12345") is False

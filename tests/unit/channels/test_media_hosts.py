"""Which hosts a WhatsApp file may be fetched from: the names a deployment gives, never an internal address."""
from __future__ import annotations

import pytest

from channels.media_download import HostRule

# Names only (no lookup: the tests have no DNS); the addresses are checked below.
RULE = HostRule.parse("*.twiliocdn.com, s3-external-1.amazonaws.com", "api.twilio.com", allow_private=True)


@pytest.mark.parametrize("url, reason", [
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", None),
    ("https://mms.twiliocdn.com/AC1/abc", None),
    ("https://API.Twilio.com./x", None),  # names are case-insensitive, a final dot is the same host
    ("https://twiliocdn.com.evil.example/x", "host_not_allowed"),
    ("https://eviltwiliocdn.com/x", "host_not_allowed"),
    ("https://api.twilio.com.evil.example/x", "host_not_allowed"),
    ("ftp://api.twilio.com/x", "bad_url"),
    ("file:///etc/passwd", "bad_url"),
    # Read differently by the standard library and the HTTP client: the client would connect to 127.0.0.1.
    ("http://127.0.0.1:9\\@api.twilio.com/x", "bad_url"),
    ("https://evil\\.twiliocdn.com/x", "bad_url"),
    ("https://user:secret@api.twilio.com/x", "bad_url"),
    ("https://api.twilio.com /x", "bad_url"),
])
def test_only_the_names_given_are_fetched_from(url, reason):
    assert RULE.refusal(url) == reason


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "192.168.1.1", "169.254.169.254", "[::1]",
                                     "[::ffff:127.0.0.1]", "[fd00::1]", "0.0.0.0", "100.64.0.1"])
def test_an_internal_address_is_refused_even_when_named(address):
    host = address.strip("[]")
    assert HostRule((host,)).refusal(f"http://{address}/media") == "internal_address"
    assert HostRule((host,), allow_private=True).refusal(f"http://{address}/media") is None  # development


def test_a_public_address_named_is_fetched_from_and_a_name_that_does_not_resolve_is_tried_later():
    assert HostRule(("8.8.8.8",)).refusal("https://8.8.8.8/x") is None
    assert HostRule(("no-such-host.invalid",)).refusal("https://no-such-host.invalid/x") == "unresolved"

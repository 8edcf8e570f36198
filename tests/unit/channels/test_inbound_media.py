"""Twilio's MediaUrl{N} and MediaContentType{N} read from raw payloads (providers §3a, §3f)."""
from __future__ import annotations

from dataclasses import replace as with_fields

import pytest

from channels.inbound import InboundMedia, InvalidInbound, media_url_is_usable
from channels.twilio_messages import parse_twilio_message
from tests.unit.channels.test_inbound_text import TWILIO_WHATSAPP, form, replace

ME = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM1/Media/ME{}"


def test_a_photo_without_a_caption_is_accepted_with_its_media():
    raw = replace(TWILIO_WHATSAPP, Body="", NumMedia="1", MessageType="image", MediaUrl0=ME.format(1),
                  MediaContentType0="image/jpeg")
    message = parse_twilio_message(form(raw))
    assert message.body == "" and message.num_media == 1
    assert message.media == (InboundMedia(ME.format(1), "image/jpeg"),)


def test_several_media_keep_their_order():
    fields = {}
    for n, kind in enumerate(["image/jpeg", "application/pdf", "audio/ogg"]):
        fields.update({f"MediaUrl{n}": ME.format(n), f"MediaContentType{n}": kind})
    message = parse_twilio_message(form(replace(TWILIO_WHATSAPP, NumMedia="3", **fields)))
    assert [(m.url, m.content_type) for m in message.media] == [
        (ME.format(0), "image/jpeg"), (ME.format(1), "application/pdf"), (ME.format(2), "audio/ogg")]


@pytest.mark.parametrize("fields, kept", [
    ({"MediaUrl0": "javascript:alert(1)", "MediaUrl1": ME.format(1)}, [ME.format(1)]),
    ({"MediaUrl0": "file:///etc/passwd"}, []),
    ({"MediaUrl0": "ftp://example.org/x.jpg"}, []),
    ({"MediaUrl0": "https://"}, []),
    ({"MediaUrl0": "https://api.twilio.com/" + "a" * 1200}, []),
    ({"MediaUrl0": "https://api.twilio.com/x y"}, []),
    ({"MediaUrl0": ""}, []),
    ({"MediaUrl0": "http://[::1"}, []),  # not even a URL
    ({"MediaUrl9": ME.format(9)}, [ME.format(9)]),  # read whatever NumMedia says
    ({"MediaUrl10": ME.format(10)}, []),  # Twilio sends at most 10, numbered 0 to 9
])
def test_garbled_entries_are_skipped_and_the_text_kept(fields, kept):
    message = parse_twilio_message(form(replace(TWILIO_WHATSAPP, NumMedia="lots", **fields)))
    assert [m.url for m in message.media] == kept and message.body == "Bonjour"


def test_a_missing_or_long_content_type_is_kept_as_sent_within_bounds():
    message = parse_twilio_message(form(replace(
        TWILIO_WHATSAPP, MediaUrl0=ME.format(0), MediaUrl1=ME.format(1), MediaContentType1="x/" + "y" * 300)))
    assert [m.content_type for m in message.media] == ["", "x/" + "y" * 98]


def test_an_inbound_text_refuses_more_than_ten_media_or_unusable_urls():
    message = parse_twilio_message(form(TWILIO_WHATSAPP))
    with pytest.raises(InvalidInbound, match="at most 10 media"):
        with_fields(message, media=tuple(InboundMedia(ME.format(n), "image/jpeg") for n in range(11)))
    with pytest.raises(InvalidInbound):
        with_fields(message, media=(InboundMedia("gopher://x", "image/jpeg"),))
    assert media_url_is_usable(ME.format(1)) and not media_url_is_usable("https://exa mple.org/")

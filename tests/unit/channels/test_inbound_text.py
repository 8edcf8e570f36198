"""Inbound SMS and WhatsApp, replayed from raw urlencoded payloads exactly as providers §2a and §3a show them."""
from __future__ import annotations

import sys
import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote

import pytest

from channels.africastalking_sms import parse_africastalking_sms
from channels.inbound import (
    MAX_BODY,
    InboundText,
    InvalidInbound,
    clean_body,
    has_control_characters,
    without_control_characters,
)
from channels.twilio_messages import parse_twilio_message

UTC = timezone.utc

# providers §2a, verbatim.
AT_SMS = ("linkId=03090445075804249226&text=Msg&to=21512&id=ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3"
          "&date=2017-05-03T06%3A04%3A45Z&from=%2B254791541111")
# providers §3a, verbatim (WhatsApp).
TWILIO_WHATSAPP = ("AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01&Body=Bonjour"
                   "&From=whatsapp%3A%2B22376701430&MessageSid=SM00000000000000000000000000000001&NumMedia=0"
                   "&ProfileName=Awa&To=whatsapp%3A%2B14155238886&WaId=22376701430")
# WhatsApp from someone who hides their number behind a username: Twilio puts their business-scoped user id (Meta's
# BSUID: a country code, a dot, letters and digits) in From and in ExternalUserId, and no number anywhere.
BSUID = "US.13491208655302741918"
TWILIO_WHATSAPP_BSUID = ("AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01&Body=Bonjour"
                         f"&ExternalUserId=whatsapp%3A{BSUID}&From=whatsapp%3A{BSUID}"
                         "&MessageSid=SM00000000000000000000000000000002&NumMedia=0&ProfileName=Awa"
                         "&To=whatsapp%3A%2B14155238886")
# An SMS with every parameter §3a lists, in the order Twilio tends to send them.
TWILIO_SMS = ("ToCountry=US&ToState=CA&SmsMessageSid=SM11111111111111111111111111111111&NumMedia=0&ToCity="
              "&FromZip=&SmsSid=SM11111111111111111111111111111111&FromState=&SmsStatus=received&FromCity="
              "&Body=SIGNALER&FromCountry=ML&To=%2B14155550100&MessagingServiceSid=&ToZip=&NumSegments=1"
              "&MessageSid=SM11111111111111111111111111111111&AccountSid=AC00000000000000000000000000000000"
              "&From=%2B22376701430&ApiVersion=2010-04-01")


def form(raw: str) -> dict[str, str]:
    """What request.form holds for this raw body."""
    return dict(parse_qsl(raw, keep_blank_values=True))


def replace(raw: str, **fields: str | None) -> str:
    """raw with fields set (urlencoded here) or removed (None)."""
    pairs = [(k, v) for k, v in parse_qsl(raw, keep_blank_values=True) if k not in fields]
    pairs += [(k, v) for k, v in fields.items() if v is not None]
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)


# -- Africa's Talking ------------------------------------------------------------------------------------------

def test_the_africastalking_example_of_providers_2a():
    assert parse_africastalking_sms(form(AT_SMS)) == InboundText(
        provider="africastalking", channel="sms", message_id="ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3",
        phone="+254791541111", to_address="21512", body="Msg",
        received_at=datetime(2017, 5, 3, 6, 4, 45, tzinfo=UTC), num_media=0,
    )


@pytest.mark.parametrize("raw_date, expected", [
    ("2017-05-03T06%3A04%3A45Z", datetime(2017, 5, 3, 6, 4, 45, tzinfo=UTC)),
    ("2017-05-03+06%3A04%3A45", datetime(2017, 5, 3, 6, 4, 45, tzinfo=UTC)),  # `+` is a space here
    ("2017-05-03%2006%3A04%3A45", datetime(2017, 5, 3, 6, 4, 45, tzinfo=UTC)),
    ("2018-03-19T08%3A34%3A18.445Z", datetime(2018, 3, 19, 8, 34, 18, 445000, tzinfo=UTC)),
    ("2018-03-19T11%3A34%3A18%2B03%3A00", datetime(2018, 3, 19, 8, 34, 18, tzinfo=UTC)),
])
def test_africastalking_dates_in_every_format_seen_are_utc(raw_date, expected):
    raw = AT_SMS.replace("2017-05-03T06%3A04%3A45Z", raw_date)
    received_at = parse_africastalking_sms(form(raw)).received_at
    assert received_at == expected and received_at.tzinfo == UTC


@pytest.mark.parametrize("raw_date", ["", "yesterday", "03%2F05%2F2017", "2017-13-45T99%3A00%3A00Z", None])
def test_a_missing_or_garbled_africastalking_date_is_now(raw_date):
    before = datetime.now(UTC)
    received_at = parse_africastalking_sms(form(replace(AT_SMS, date=raw_date))).received_at
    assert before - timedelta(seconds=1) <= received_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert received_at.tzinfo == UTC


@pytest.mark.parametrize("raw, expected", [
    (replace(AT_SMS, text=""), {"body": ""}),  # an empty SMS is valid
    (replace(AT_SMS, text=None), {"body": ""}),
    (replace(AT_SMS, linkId=None, networkCode="63902", extra="ignored"), {"body": "Msg"}),
    (replace(AT_SMS, to=None), {"to_address": ""}),
    (replace(AT_SMS, text="  1 \n"), {"body": "1"}),
    (replace(AT_SMS, text="Ligne 1\r\nLigne 2\t!\x00\x07"), {"body": "Ligne 1\nLigne 2!"}),
    (replace(AT_SMS, text="A" * 5000), {"body": "A" * MAX_BODY}),
    (replace(AT_SMS, text="Aidez-moi 🙏 😢"), {"body": "Aidez-moi 🙏 😢"}),
    (replace(AT_SMS, text="مرحبا، طفل مفقود"), {"body": "مرحبا، طفل مفقود"}),
    (replace(AT_SMS, text="I ni cɛ, ɲɔgɔn"), {"body": "I ni cɛ, ɲɔgɔn"}),
    (replace(AT_SMS, id="  ATXid_1  ", **{"from": " +22376701430 "}), {"message_id": "ATXid_1",
                                                                      "phone": "+22376701430"}),
])
def test_africastalking_payloads(raw, expected):
    message = parse_africastalking_sms(form(raw))
    assert {key: getattr(message, key) for key in expected} == expected


@pytest.mark.parametrize("raw, error", [
    (replace(AT_SMS, **{"from": None}), "missing from"),
    (replace(AT_SMS, **{"from": "  "}), "missing from"),
    (replace(AT_SMS, id=None), "missing id"),
    (replace(AT_SMS, id=""), "missing id"),
    (replace(AT_SMS, id="x" * 500), "message id too long"),
    # A `+` sent raw decodes to a space (providers §0): the number is then not E.164 and is refused, not guessed.
    (AT_SMS.replace("%2B254791541111", "+254791541111"), "not an E.164"),
    (replace(AT_SMS, **{"from": "0791541111"}), "not an E.164"),
    (replace(AT_SMS, **{"from": "MPESA"}), "not an E.164"),
    ("", "missing"),
])
def test_malformed_africastalking_payloads_are_refused_with_the_reason(raw, error):
    with pytest.raises(InvalidInbound, match=error) as refused:
        parse_africastalking_sms(form(raw))
    assert "791541111" not in str(refused.value)  # errors get logged: never the number


# -- Twilio -----------------------------------------------------------------------------------------------------

def test_the_twilio_whatsapp_example_of_providers_3a():
    message = parse_twilio_message(form(TWILIO_WHATSAPP))
    assert message == InboundText(
        provider="twilio", channel="whatsapp", message_id="SM00000000000000000000000000000001",
        phone="+22376701430", to_address="+14155238886", body="Bonjour", received_at=message.received_at,
        num_media=0,
    )
    assert abs(message.received_at - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_twilio_whatsapp_message_from_a_business_scoped_id_keeps_the_id_as_it_came():
    message = parse_twilio_message(form(TWILIO_WHATSAPP_BSUID))
    assert (message.channel, message.phone, message.message_id, message.to_address, message.body) == (
        "whatsapp", BSUID, "SM00000000000000000000000000000002", "+14155238886", "Bonjour")


def test_a_twilio_sms():
    message = parse_twilio_message(form(TWILIO_SMS))
    assert (message.provider, message.channel, message.message_id, message.phone, message.to_address,
            message.body, message.num_media) == (
        "twilio", "sms", "SM11111111111111111111111111111111", "+22376701430", "+14155550100", "SIGNALER", 0)


@pytest.mark.parametrize("raw, expected", [
    # A quick reply: the payload (the option number) is the answer, not the label.
    (replace(TWILIO_WHATSAPP, Body="Signaler un enfant", ButtonText="Signaler un enfant", ButtonPayload="1"),
     {"body": "1", "channel": "whatsapp"}),
    (replace(TWILIO_WHATSAPP, Body="Oui", ButtonText="Oui", ButtonPayload=""), {"body": "Oui"}),
    (replace(TWILIO_WHATSAPP, Body="Oui", ButtonPayload="   "), {"body": "Oui"}),
    (replace(TWILIO_SMS, ButtonPayload="1"), {"body": "SIGNALER"}),  # only WhatsApp has quick replies
    # A photo with no caption.
    (replace(TWILIO_WHATSAPP, Body="", NumMedia="2", MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC0/"
             "Messages/MM1/Media/ME1", MediaContentType0="image/jpeg", MediaUrl1="https://x/ME2",
             MediaContentType1="application/pdf"), {"body": "", "num_media": 2}),
    (replace(TWILIO_WHATSAPP, NumMedia=None), {"num_media": 0}),
    (replace(TWILIO_WHATSAPP, NumMedia="lots"), {"num_media": 0}),
    (replace(TWILIO_WHATSAPP, NumMedia="-3"), {"num_media": 0}),
    # MessageSid missing: SmsSid and SmsMessageSid repeat it.
    (replace(TWILIO_SMS, MessageSid=None), {"message_id": "SM11111111111111111111111111111111"}),
    (replace(TWILIO_SMS, MessageSid=None, SmsSid=None), {"message_id": "SM11111111111111111111111111111111"}),
    (replace(TWILIO_WHATSAPP, From="WhatsApp:+22376701430"), {"channel": "whatsapp", "phone": "+22376701430"}),
    # A business-scoped id in From, whatever WaId holds (absent, the id, anything): From alone names the sender.
    (replace(TWILIO_WHATSAPP, From="whatsapp:US.1234", WaId=None), {"channel": "whatsapp", "phone": "US.1234"}),
    (replace(TWILIO_WHATSAPP_BSUID, WaId=BSUID), {"phone": BSUID}),
    (replace(TWILIO_WHATSAPP_BSUID, WaId=""), {"phone": BSUID}),
    (replace(TWILIO_WHATSAPP_BSUID, WaId="22376701430"), {"phone": BSUID}),
    (replace(TWILIO_WHATSAPP_BSUID, ExternalUserId=None), {"phone": BSUID}),
    (replace(TWILIO_WHATSAPP, From="whatsapp:ML.13491208655302741918"), {"phone": "ML.13491208655302741918"}),
    (replace(TWILIO_WHATSAPP, From="whatsapp:ML.abcDEF123"), {"phone": "ML.abcDEF123"}),  # letters too, as sent
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:US.ENT.11815799212886844830"),
     {"phone": "US.ENT.11815799212886844830"}),  # a parent id
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:US." + "7" * 128), {"phone": "US." + "7" * 128}),
    # The number visible, the id beside it in ExternalUserId: the number is the sender, as it always was.
    (replace(TWILIO_WHATSAPP, ExternalUserId=f"whatsapp:{BSUID}"), {"phone": "+22376701430"}),
    (replace(TWILIO_SMS, To=None), {"to_address": ""}),
    (replace(TWILIO_WHATSAPP, Forwarded="true", FrequentlyForwarded="true", NewField="x"), {"body": "Bonjour"}),
    (replace(TWILIO_WHATSAPP, Body="  Bonjour\x00\x1b[31m \u200b\n"), {"body": "Bonjour[31m \u200b"}),
    (replace(TWILIO_WHATSAPP, Body="é" * 1700), {"body": "é" * MAX_BODY}),
    (replace(TWILIO_WHATSAPP, Body="👨‍👩‍👧 Aidez-nous ❤️"), {"body": "👨‍👩‍👧 Aidez-nous ❤️"}),
    (replace(TWILIO_WHATSAPP, Body="\u202bשלום, ילד נעדר\u202c"), {"body": "\u202bשלום, ילד נעדר\u202c"}),
])
def test_twilio_payloads(raw, expected):
    message = parse_twilio_message(form(raw))
    assert {key: getattr(message, key) for key in expected} == expected


SENT = ("Oui", "Non", "Réessayer")


@pytest.mark.parametrize("raw, sent, body, asked", [
    # Older WhatsApp clients and template buttons send the tapped button's title without its payload: it is read
    # as the option it titles among the buttons last sent to the number, as the payload would have said.
    (replace(TWILIO_WHATSAPP, Body="Non", ButtonText="Non"), SENT, "2", True),
    (replace(TWILIO_WHATSAPP, Body="", ButtonText="Oui"), SENT, "1", True),
    (replace(TWILIO_WHATSAPP, Body="Oui", ButtonText="Oui", ButtonPayload=""), SENT, "1", True),
    (replace(TWILIO_WHATSAPP, Body="NON", ButtonText=" non "), SENT, "2", True),
    (replace(TWILIO_WHATSAPP, ButtonText="Réessayer"), SENT, "3", True),  # é as e + accent
    # A title that is none of ours, or no buttons sent: kept as typed text, never lost.
    (replace(TWILIO_WHATSAPP, Body="Voir le message", ButtonText="Voir le message"), SENT, "Voir le message", True),
    (replace(TWILIO_WHATSAPP, Body="", ButtonText="Oui"), (), "Oui", True),
    # The payload, when there is one, is the answer; SMS has no buttons; a plain message asks nothing.
    (replace(TWILIO_WHATSAPP, ButtonText="Oui", ButtonPayload="2"), SENT, "2", False),
    (replace(TWILIO_SMS, ButtonText="Oui"), SENT, "SIGNALER", False),
    (TWILIO_WHATSAPP, SENT, "Bonjour", False),
])
def test_a_tap_reported_by_its_title_alone_is_read_as_that_option(raw, sent, body, asked):
    numbers = []
    message = parse_twilio_message(form(raw), buttons_sent=lambda phone: numbers.append(phone) or sent)
    assert message.body == body
    assert numbers == (["+22376701430"] if asked else [])


@pytest.mark.parametrize("raw, error", [
    (replace(TWILIO_WHATSAPP, From=None), "missing From"),
    (replace(TWILIO_WHATSAPP, From="whatsapp:"), "not an E.164"),
    (replace(TWILIO_SMS, MessageSid=None, SmsSid=None, SmsMessageSid=None), "missing MessageSid"),
    # Not a business-scoped id as Meta shapes them, nor a number: refused, never read as digits.
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:us.1234"), "nor a WhatsApp business-scoped id"),
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:USA.1234"), "nor a WhatsApp business-scoped id"),
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:US."), "nor a WhatsApp business-scoped id"),
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:US.12-34"), "nor a WhatsApp business-scoped id"),
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:US.1234.5"), "nor a WhatsApp business-scoped id"),
    (replace(TWILIO_WHATSAPP_BSUID, From="whatsapp:US." + "7" * 129), "nor a WhatsApp business-scoped id"),
    # Only WhatsApp has business-scoped ids: an SMS sender must be a number.
    (replace(TWILIO_SMS, From=BSUID), "sender is not an E.164 phone number$"),
    (TWILIO_WHATSAPP.replace("%2B22376701430", "+22376701430"), "not an E.164"),  # a raw `+` became a space
    (replace(TWILIO_SMS, From="RELAIS"), "not an E.164"),  # an alphanumeric sender cannot be answered
    (replace(TWILIO_SMS, MessageSid="SM" + "0" * 200), "too long"),
])
def test_malformed_twilio_payloads_are_refused_with_the_reason(raw, error):
    with pytest.raises(InvalidInbound, match=error) as refused:
        parse_twilio_message(form(raw))
    assert "76701430" not in str(refused.value) and "1234" not in str(refused.value)  # errors get logged


# -- the value itself ---------------------------------------------------------------------------------------------

def test_inbound_text_checks_what_it_is_given():
    base = dict(provider="x", channel="sms", message_id="1", phone="+22376701430", to_address="", body="b",
                received_at=datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInbound, match="channel"):
        InboundText(**{**base, "channel": "ussd"})
    with pytest.raises(InvalidInbound, match="timezone"):
        InboundText(**{**base, "received_at": datetime(2024, 1, 1)})
    paris = timezone(timedelta(hours=1))
    assert InboundText(**{**base, "received_at": datetime(2024, 1, 1, 1, tzinfo=paris)}).received_at == datetime(
        2024, 1, 1, tzinfo=UTC)
    assert InboundText(**{**base, "body": " \x07hi\x00 "}).body == "hi"


@pytest.mark.parametrize("text, expected", [
    ("", ""), ("  \n ", ""), ("a\r\nb", "a\nb"), ("\x85a\x9fb\x7f", "ab"), ("a\u00a0", "a"),
    ("x" * (MAX_BODY - 1) + "  y", "x" * (MAX_BODY - 1)),
])
def test_clean_body(text, expected):
    assert clean_body(text) == expected


def test_the_control_characters_removed_are_exactly_unicodes_category_cc():
    every = "".join(chr(n) for n in range(sys.maxunicode + 1) if not 0xD800 <= n <= 0xDFFF)
    controls = {ch for ch in every if unicodedata.category(ch) == "Cc"}
    others = "".join(ch for ch in every if ch not in controls)
    assert len(controls) == 65
    assert all(has_control_characters(f"a{ch}b") for ch in controls) and not has_control_characters(others)
    assert without_control_characters("x" + "".join(sorted(controls)) + "y") == "xy"
    assert clean_body("x" + "".join(sorted(controls)) + "y") == "x\ny"
    assert without_control_characters(others) == others.strip()

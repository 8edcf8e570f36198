"""Raw bodies, malformed ones included, posted to every provider webhook: always a clear answer, never a 500.

One table per the issue's list: missing fields, bad signature, wrong or missing token, very long bodies, invalid
numbers, emoji and right-to-left text, control characters, bytes that are not UTF-8, a JSON body. Each runs on
SQLite and PostgreSQL (PostgreSQL refuses a NUL in text, SQLite does not). A message that is valid is stored as
sent, control characters removed.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app import create_app
from app.webhooks.common import form_fields
from casecore.messaging.models import InboundMessage, UssdSessionEnd
from tests.conftest import make_settings
from tests.factories import make_receiving_service

FORM = "application/x-www-form-urlencoded"
AT_TOKEN = "s3cret"
TWILIO_TOKEN = "twilio-token"
PUBLIC = "https://relais.example"
SID = "SM1f0e8ae6ade43cb3c0ce4525424e404f"
BSUID = "US.13491208655302741918"  # a WhatsApp business-scoped user id, as Meta shapes them
MEDIA_URL = ("https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/"
             "MM1f0e8ae6ade43cb3c0ce4525424e404f/Media/ME1f0e8ae6ade43cb3c0ce4525424e404f")
EMOJI = "👨‍👩‍👧 Aidez-nous ❤️"
ARABIC = "\u202bمرحبا، طفل مفقود في السوق\u202c"  # right-to-left, with its embedding marks
LONG = "é" * 5_000  # 10 kB of text in one field (30 kB urlencoded)
MEGABYTE = "x" * 1024 * 1024

AT_USSD = "/webhooks/africastalking/ussd"
AT_SMS = "/webhooks/africastalking/sms"
AT_DELIVERY = "/webhooks/africastalking/delivery"
AT_EVENTS = "/webhooks/africastalking/ussd-events"
TWILIO_MESSAGES = "/webhooks/twilio/messages"
TWILIO_STATUS = "/webhooks/twilio/status"

# A valid form per endpoint (providers §1, §2a, §2b, §3a, §3b); each case changes some fields of it.
VALID = {
    AT_USSD: {"sessionId": "ATUid_bad", "serviceCode": "*384*1234#", "phoneNumber": "+22376701430",
              "networkCode": "99999", "text": "1"},
    AT_SMS: {"from": "+22376701430", "to": "21512", "text": "Bonjour", "id": "ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3",
             "date": "2017-05-03T06:04:45Z", "linkId": ""},
    AT_DELIVERY: {"id": "ATXid_dda018a640edfcc5d2ce455de3e4a6e7", "status": "Failed", "phoneNumber": "+254711000111",
                  "networkCode": "63902", "failureReason": "UserInBlackList", "retryCount": "0"},
    AT_EVENTS: {"date": "2026-03-01 10:15:30", "sessionId": "ATUid_ended", "serviceCode": "*384*1234#",
                "networkCode": "63902", "phoneNumber": "+254711000111", "status": "Incomplete", "cost": "KES 0.10",
                "durationInMillis": "61234", "hopsCount": "3", "input": "1*2", "lastAppResponse": "CON ?",
                "errorMessage": ""},
    TWILIO_MESSAGES: {"AccountSid": "AC00000000000000000000000000000000", "ApiVersion": "2010-04-01",
                      "Body": "Bonjour", "From": "whatsapp:+22376701430", "MessageSid": SID, "NumMedia": "0",
                      "ProfileName": "Awa", "To": "whatsapp:+14155238886", "WaId": "22376701430"},
    TWILIO_STATUS: {"MessageSid": SID, "MessageStatus": "delivered", "SmsSid": SID, "SmsStatus": "delivered",
                    "To": "+22376701430", "From": "+15005550006", "AccountSid": "AC00000000000000000000000000000000"},
}


@dataclass(frozen=True)
class Case:
    """A raw request to one endpoint and what it must get back."""

    path: str
    changes: dict  # fields set (None removes one); ignored when raw is given
    status: int
    answer: str  # what the body starts with
    raw: bytes | None = None  # the exact body, when it cannot be a form of str values
    content_type: str = FORM
    query: str | None = None  # None: the right token
    signature: str | None = None  # None: Twilio's signature of the form as the app reads it
    stored: str | None = None  # the body the inbox must then hold for the message
    sender: str | None = None  # whom the inbox must then hold the message from

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        form = {**VALID[self.path], **self.changes}
        return "&".join(f"{k}={quote(v, safe='')}" for k, v in form.items() if v is not None).encode()


def case(path, changes, status, answer, **kw) -> Case:
    return Case(path, changes, status, answer, **kw)


OK_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
USSD_BAD = "END Invalid request: "
BAD = "Invalid request: "
TOKEN_REFUSED = "Forbidden: missing or wrong token"
SIGNATURE_REFUSED = "Forbidden: the request signature does not match"
NOT_A_SENDER = "sender is not an E.164 phone number nor a WhatsApp business-scoped id"
TOO_LARGE = "Request too large: a webhook body may hold at most 64 kB"

CASES = {
    # -- Africa's Talking USSD (a session already dialled, as AT always sends the dial first) --
    "ussd-valid": case(AT_USSD, {}, 200, "CON "),
    "ussd-no-sessionId": case(AT_USSD, {"sessionId": None}, 400, USSD_BAD + "missing sessionId"),
    "ussd-no-phoneNumber": case(AT_USSD, {"phoneNumber": None}, 400, USSD_BAD + "missing phoneNumber"),
    "ussd-no-text": case(AT_USSD, {"text": None}, 400, USSD_BAD + "missing text"),
    "ussd-no-token": case(AT_USSD, {}, 403, "END " + TOKEN_REFUSED, query=""),
    "ussd-wrong-token": case(AT_USSD, {}, 403, "END " + TOKEN_REFUSED, query="?token=guess"),
    "ussd-long-text": case(AT_USSD, {"text": LONG}, 200, "CON "),
    # A caller sees every 200 answer as a screen, anything else as a network error: a session gone on too long
    # (not a malformed request) ends on a screen of its own.
    "ussd-long-path": case(AT_USSD, {"text": "*".join(["1"] * 5000)}, 200, "END Cette session est trop longue"),
    "ussd-megabyte": case(AT_USSD, {"text": MEGABYTE}, 413, "END " + TOO_LARGE),
    "ussd-national-number": case(AT_USSD, {"phoneNumber": "76701430"}, 400, USSD_BAD + "phoneNumber is not"),
    "ussd-letters-number": case(AT_USSD, {"phoneNumber": "+2237670abcd"}, 400, USSD_BAD + "phoneNumber is not"),
    "ussd-raw-plus": case(AT_USSD, {}, 400, USSD_BAD + "phoneNumber is not",
                          raw=b"sessionId=ATUid_bad&phoneNumber=+22376701430&text=1"),
    "ussd-emoji": case(AT_USSD, {"text": "1*" + EMOJI}, 200, "CON "),
    "ussd-arabic": case(AT_USSD, {"text": "1*" + ARABIC}, 200, "CON "),
    "ussd-nul-text": case(AT_USSD, {"text": "1*\x00\x1b[2J"}, 200, "CON "),
    "ussd-nul-session": case(AT_USSD, {"sessionId": "ATUid_\x00x"}, 400, USSD_BAD + "sessionId has control"),
    "ussd-nul-number": case(AT_USSD, {"phoneNumber": "+22376701430\x00"}, 400, USSD_BAD + "phoneNumber is not"),
    "ussd-not-utf8": case(AT_USSD, {}, 200, "CON ",
                          raw=b"sessionId=ATUid_bad&phoneNumber=%2B22376701430&text=1*%FF%FE\xff"),
    "ussd-json": case(AT_USSD, {}, 400, USSD_BAD + "missing sessionId", raw=b'{"sessionId": "ATUid_bad"}',
                      content_type="application/json"),
    # -- Africa's Talking SMS --
    "sms-valid": case(AT_SMS, {}, 200, "OK", stored="Bonjour"),
    "sms-no-from": case(AT_SMS, {"from": None}, 400, BAD + "missing from"),
    "sms-no-id": case(AT_SMS, {"id": None}, 400, BAD + "missing id"),
    "sms-no-text": case(AT_SMS, {"text": None}, 200, "OK", stored=""),
    "sms-no-token": case(AT_SMS, {}, 403, TOKEN_REFUSED, query=""),
    "sms-wrong-token": case(AT_SMS, {}, 403, TOKEN_REFUSED, query="?token=S3CRET"),
    "sms-long-text": case(AT_SMS, {"text": LONG}, 200, "OK", stored="é" * 1600),
    "sms-megabyte": case(AT_SMS, {"text": MEGABYTE}, 413, TOO_LARGE),
    "sms-national-number": case(AT_SMS, {"from": "076701430"}, 400, BAD + "sender is not an E.164"),
    "sms-letters-number": case(AT_SMS, {"from": "MPESA"}, 400, BAD + "sender is not an E.164"),
    "sms-too-long-number": case(AT_SMS, {"from": "+2237670143012345678"}, 400, BAD + "sender is not an E.164"),
    "sms-emoji": case(AT_SMS, {"text": EMOJI}, 200, "OK", stored=EMOJI),
    "sms-arabic": case(AT_SMS, {"text": ARABIC}, 200, "OK", stored=ARABIC),
    "sms-control-characters": case(AT_SMS, {"text": "Au\x00 se\x1b[31mcours\x07\r\n!"}, 200, "OK",
                                   stored="Au se[31mcours\n!"),  # the ESC goes, what followed it stays
    "sms-nul-id": case(AT_SMS, {"id": "ec9adc86\x00"}, 400, BAD + "message id has control characters"),
    "sms-nul-to": case(AT_SMS, {"to": "21512\x00\x1b"}, 200, "OK", stored="Bonjour"),
    "sms-long-to": case(AT_SMS, {"to": "2" * 100}, 400, BAD),
    "sms-not-utf8": case(AT_SMS, {}, 200, "OK", stored="Bonjour \ufffd\ufffd",
                         raw=b"from=%2B22376701430&id=x-not-utf8&text=Bonjour+%FF\xfe"),
    "sms-json": case(AT_SMS, {}, 400, BAD + "missing", raw=b'{"from": "+22376701430", "id": "1", "text": "hi"}',
                     content_type="application/json"),
    "sms-multipart": case(AT_SMS, {}, 400, BAD + "missing", raw=b"--x\r\n\r\n--x--",
                          content_type="multipart/form-data; boundary=x"),
    # -- Twilio messages (SMS and WhatsApp), signed with the tests' token --
    "twilio-valid": case(TWILIO_MESSAGES, {}, 200, OK_TWIML, stored="Bonjour"),
    "twilio-no-from": case(TWILIO_MESSAGES, {"From": None}, 400, BAD + "missing From"),
    "twilio-no-sid": case(TWILIO_MESSAGES, {"MessageSid": None}, 400, BAD + "missing MessageSid"),
    "twilio-bad-signature": case(TWILIO_MESSAGES, {}, 403, SIGNATURE_REFUSED, signature="bm90IGEgc2lnbmF0dXJl"),
    "twilio-no-signature": case(TWILIO_MESSAGES, {}, 403, SIGNATURE_REFUSED, signature=""),
    "twilio-signature-of-other-body": case(TWILIO_MESSAGES, {"Body": "changed"}, 403, SIGNATURE_REFUSED,
                                           signature=RequestValidator(TWILIO_TOKEN).compute_signature(
                                               PUBLIC + TWILIO_MESSAGES, VALID[TWILIO_MESSAGES])),
    "twilio-long-body": case(TWILIO_MESSAGES, {"Body": LONG}, 200, OK_TWIML, stored="é" * 1600),
    "twilio-megabyte": case(TWILIO_MESSAGES, {"Body": MEGABYTE}, 413, TOO_LARGE),
    # A WhatsApp username hides the number: Twilio posts the business-scoped user id in From and ExternalUserId.
    "twilio-business-scoped": case(TWILIO_MESSAGES, {"From": f"whatsapp:{BSUID}", "ExternalUserId": f"whatsapp:{BSUID}",
                                                     "WaId": None}, 200, OK_TWIML, stored="Bonjour", sender=BSUID),
    "twilio-business-scoped-waid": case(TWILIO_MESSAGES, {"From": f"whatsapp:{BSUID}", "WaId": BSUID}, 200, OK_TWIML,
                                        stored="Bonjour", sender=BSUID),
    "twilio-business-scoped-parent": case(TWILIO_MESSAGES, {"From": "whatsapp:US.ENT.11815799212886844830",
                                                            "WaId": None}, 200, OK_TWIML, stored="Bonjour",
                                          sender="US.ENT.11815799212886844830"),
    "twilio-number-and-business-scoped": case(TWILIO_MESSAGES, {"ExternalUserId": f"whatsapp:{BSUID}"}, 200, OK_TWIML,
                                              stored="Bonjour", sender="+22376701430"),
    "twilio-business-scoped-lowercase": case(TWILIO_MESSAGES, {"From": "whatsapp:us.13491208655302741918",
                                                               "WaId": None}, 400, BAD + NOT_A_SENDER),
    "twilio-business-scoped-too-long": case(TWILIO_MESSAGES, {"From": "whatsapp:US." + "7" * 129, "WaId": None}, 400,
                                            BAD + NOT_A_SENDER),
    "twilio-business-scoped-by-sms": case(TWILIO_MESSAGES, {"From": BSUID, "To": "+14155550100", "WaId": None}, 400,
                                          BAD + "sender is not an E.164 phone number"),
    "twilio-letters-number": case(TWILIO_MESSAGES, {"From": "whatsapp:+2237670ABCD"}, 400,
                                  BAD + "sender is not an E.164"),
    "twilio-alphanumeric-sms": case(TWILIO_MESSAGES, {"From": "RELAIS"}, 400, BAD + "sender is not an E.164"),
    # A quick-reply tap with its title and no payload (older clients, template buttons): nothing was sent to this
    # number, so the title is kept as typed text (tests/web/test_text_conversations.py reads it as the option).
    "twilio-button-text-only": case(TWILIO_MESSAGES, {"Body": "", "ButtonText": "Oui"}, 200, OK_TWIML, stored="Oui"),
    "twilio-button-text-control": case(TWILIO_MESSAGES, {"Body": "Oui", "ButtonText": "\x00Oui\x1b"}, 200, OK_TWIML,
                                       stored="Oui"),
    "twilio-button-text-bad-number": case(TWILIO_MESSAGES, {"From": "whatsapp:+2237670ABCD", "ButtonText": "Oui"},
                                          400, BAD + "sender is not an E.164"),
    "twilio-emoji": case(TWILIO_MESSAGES, {"Body": EMOJI}, 200, OK_TWIML, stored=EMOJI),
    "twilio-arabic": case(TWILIO_MESSAGES, {"Body": ARABIC}, 200, OK_TWIML, stored=ARABIC),
    "twilio-control-characters": case(TWILIO_MESSAGES, {"Body": "\x00Aidez\x1b[0m-moi\x7f"}, 200, OK_TWIML,
                                      stored="Aidez[0m-moi"),
    "twilio-nul-sid": case(TWILIO_MESSAGES, {"MessageSid": "SM\x00" + "1" * 32}, 400,
                           BAD + "message id has control characters"),
    "twilio-nul-to": case(TWILIO_MESSAGES, {"To": "whatsapp:+14155238886\x00"}, 200, OK_TWIML, stored="Bonjour"),
    "twilio-media-nul-type": case(TWILIO_MESSAGES, {"NumMedia": "1", "MediaUrl0": MEDIA_URL,
                                                    "MediaContentType0": "image/jpeg\x00\x1b"}, 200, OK_TWIML,
                                  stored="Bonjour"),
    "twilio-media-nul-url": case(TWILIO_MESSAGES, {"NumMedia": "1", "MediaUrl0": MEDIA_URL + "\x00",
                                                   "MediaContentType0": "image/jpeg"}, 200, OK_TWIML, stored="Bonjour"),
    "twilio-not-utf8": case(TWILIO_MESSAGES, {}, 200, OK_TWIML, stored="Bonjour \ufffd",
                            raw=b"From=whatsapp%3A%2B22376701430&MessageSid=SMnotutf8&Body=Bonjour+%C3"),
    "twilio-json": case(TWILIO_MESSAGES, {}, 400, BAD + "missing From", raw=b'{"From": "whatsapp:+22376701430"}',
                        content_type="application/json"),
    # -- Africa's Talking delivery reports --
    "delivery-valid": case(AT_DELIVERY, {}, 200, "OK"),
    "delivery-no-id": case(AT_DELIVERY, {"id": None}, 400, BAD + "missing id"),
    "delivery-no-status": case(AT_DELIVERY, {"status": None}, 400, BAD + "missing status"),
    "delivery-no-token": case(AT_DELIVERY, {}, 403, TOKEN_REFUSED, query=""),
    "delivery-wrong-token": case(AT_DELIVERY, {}, 403, TOKEN_REFUSED, query="?token=s3cret%00"),
    "delivery-long-reason": case(AT_DELIVERY, {"failureReason": LONG}, 200, "OK"),
    "delivery-megabyte": case(AT_DELIVERY, {"failureReason": MEGABYTE}, 413, TOO_LARGE),
    "delivery-bad-number": case(AT_DELIVERY, {"phoneNumber": "abc"}, 200, "OK"),
    "delivery-emoji-reason": case(AT_DELIVERY, {"failureReason": EMOJI + ARABIC}, 200, "OK"),
    "delivery-nul-id": case(AT_DELIVERY, {"id": "ATXid_\x00"}, 400, BAD + "id has control characters"),
    "delivery-nul-status": case(AT_DELIVERY, {"status": "Failed\x00"}, 400, BAD + "unknown status"),
    "delivery-nul-reason": case(AT_DELIVERY, {"failureReason": "User\x00InBlackList\x1b"}, 200, "OK"),
    "delivery-not-utf8": case(AT_DELIVERY, {}, 400, BAD + "unknown status", raw=b"id=ATXid_1&status=Succ%FFess"),
    "delivery-json": case(AT_DELIVERY, {}, 400, BAD + "missing id", raw=b'{"id": "1", "status": "Success"}',
                          content_type="application/json"),
    # -- Twilio status callbacks --
    "status-valid": case(TWILIO_STATUS, {}, 200, "OK"),
    "status-no-sid": case(TWILIO_STATUS, {"MessageSid": None, "SmsSid": None}, 400, BAD + "missing MessageSid"),
    "status-no-status": case(TWILIO_STATUS, {"MessageStatus": None, "SmsStatus": None}, 400,
                             BAD + "missing MessageStatus"),
    "status-bad-signature": case(TWILIO_STATUS, {}, 403, SIGNATURE_REFUSED, signature="AAAA"),
    "status-long-error": case(TWILIO_STATUS, {"MessageStatus": "failed", "ErrorCode": LONG}, 200, "OK"),
    "status-megabyte": case(TWILIO_STATUS, {"ErrorCode": MEGABYTE}, 413, TOO_LARGE),
    "status-bad-number": case(TWILIO_STATUS, {"To": "whatsapp:US.12-34"}, 200, "OK"),
    "status-business-scoped": case(TWILIO_STATUS, {"To": f"whatsapp:{BSUID}", "From": "whatsapp:+14155238886"}, 200,
                                   "OK"),
    "status-nul-sid": case(TWILIO_STATUS, {"MessageSid": "SM\x00"}, 400, BAD + "MessageSid has control characters"),
    "status-emoji": case(TWILIO_STATUS, {"MessageStatus": "failed", "ErrorCode": EMOJI}, 200, "OK"),
    "status-read": case(TWILIO_STATUS, {"MessageStatus": "read", "SmsStatus": "read"}, 200, "OK"),
    "status-rate-limited": case(TWILIO_STATUS, {"MessageStatus": "failed", "SmsStatus": "failed", "ErrorCode": "63018"},
                                200, "OK"),
    "status-json": case(TWILIO_STATUS, {}, 400, BAD + "missing MessageSid", raw=b'{"MessageSid": "SM1"}',
                        content_type="application/json"),
    # -- Africa's Talking USSD end-of-session notifications --
    "events-valid": case(AT_EVENTS, {}, 200, "OK"),
    "events-no-sessionId": case(AT_EVENTS, {"sessionId": None}, 400, BAD + "missing sessionId"),
    "events-no-status": case(AT_EVENTS, {"status": None}, 400, BAD + "missing status"),
    "events-no-token": case(AT_EVENTS, {}, 403, TOKEN_REFUSED, query=""),
    "events-long-input": case(AT_EVENTS, {"input": "*".join(["1"] * 5000), "errorMessage": LONG}, 200, "OK"),
    "events-megabyte": case(AT_EVENTS, {"input": MEGABYTE}, 413, TOO_LARGE),
    "events-bad-number": case(AT_EVENTS, {"phoneNumber": "not a number"}, 200, "OK"),
    "events-emoji": case(AT_EVENTS, {"input": EMOJI, "errorMessage": ARABIC, "status": EMOJI}, 200, "OK"),
    "events-control-characters": case(AT_EVENTS, {"sessionId": "ATUid_\x00\x1b", "status": "Success\x00",
                                                  "cost": "KES\x00 1", "errorMessage": "\x00"}, 200, "OK"),
    "events-not-utf8": case(AT_EVENTS, {}, 200, "OK", raw=b"sessionId=ATUid_%FF&status=Succ\xffess"),
    "events-json": case(AT_EVENTS, {}, 400, BAD + "missing sessionId", raw=b'{"sessionId": "x"}',
                        content_type="application/json"),
}


@pytest.fixture
def app(database_url, redis_url):
    flask_app = create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, AT_WEBHOOK_TOKEN=AT_TOKEN,
                                         TWILIO_AUTH_TOKEN=TWILIO_TOKEN, PUBLIC_BASE_URL=PUBLIC))
    runtime = flask_app.extensions["relais"]
    with runtime.unit_of_work() as session:
        make_receiving_service(session)
    yield flask_app
    runtime.close()


def post(client, c: Case):
    body = c.body()
    query = f"?token={AT_TOKEN}" if c.query is None and "/africastalking/" in c.path else (c.query or "")
    headers = {}
    if "/twilio/" in c.path:
        # Signed as Twilio signs: the public URL and the fields, read as the app reads them.
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)) \
            if c.content_type == FORM else {}
        headers["X-Twilio-Signature"] = c.signature if c.signature is not None else \
            RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + c.path, form)
    return client.post(c.path + query, data=body, content_type=c.content_type, headers=headers)


@pytest.mark.parametrize("name", list(CASES))
def test_every_raw_payload_gets_a_clear_answer(app, name):
    c = CASES[name]
    client = app.test_client()
    if c.path == AT_USSD:
        client.post(f"{AT_USSD}?token={AT_TOKEN}", data="sessionId=ATUid_bad&phoneNumber=%2B22376701430&text=",
                    content_type=FORM)
    response = post(client, c)
    text = response.get_data(as_text=True)
    assert (response.status_code, text[:len(c.answer)]) == (c.status, c.answer), text[:300]
    if c.path != TWILIO_MESSAGES or response.status_code != 200:
        assert response.mimetype == "text/plain"
    if c.path == AT_USSD:
        assert len(text) <= 160 and text.isascii()
    with app.extensions["relais"].unit_of_work() as session:
        stored = session.scalars(select(InboundMessage.body)).all()
        senders = session.scalars(select(InboundMessage.phone)).all()
        ended = session.scalars(select(UssdSessionEnd.status)).all()
    if c.stored is not None:
        assert stored == [c.stored]
    elif c.path in (AT_SMS, TWILIO_MESSAGES):
        assert stored == []  # refused: nothing half-stored
    if c.sender is not None:
        assert senders == [c.sender]
    if c.path == AT_EVENTS:
        assert len(ended) == (1 if response.status_code == 200 else 0)


@pytest.mark.parametrize("body", [
    b"", b"&", b"&&a=1&&", b"a", b"a=", b"=", b"=1", b"a=1&a=2", b"a=1=2", b"a+b=c+d", b"a%2Bb=c%2bd%20e",
    b"text=%C3%A9t%C3%A9&from=%2B22376701430", b"bad=%E9%ZZ%4", b"raw=\xc3\xa9\xff", b"x=%00%0A%F0%9F%98%80",
    b"semi=a;b&c=d", b"?q=1", quote(ARABIC).encode(), ("Body=" + quote(EMOJI) + "&To=whatsapp%3A%2B1").encode(),
])
def test_a_form_is_read_as_parse_qsl_reads_it(body):
    # The Twilio signature is computed over these fields: a difference would refuse a genuine message.
    assert form_fields(body) == dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))

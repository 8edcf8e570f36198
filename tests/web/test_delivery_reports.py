"""Delivery reports from Africa's Talking and Twilio status callbacks, posted raw as the providers send them."""
from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from app import create_app
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import claim_for_sending, queue_message, record_send_result
from channels.africastalking_delivery import parse_africastalking_delivery
from channels.twilio_status import parse_twilio_status
from tests.conftest import make_settings

FORM = "application/x-www-form-urlencoded"
TOKEN = "twilio-token"
AT_TOKEN = "s3cret"
PUBLIC = "https://relais.example"
AT_ID = "ATXid_dda018a640edfcc5d2ce455de3e4a6e7"
SID = "SM1f0e8ae6ade43cb3c0ce4525424e404f"
AT_URL = f"/webhooks/africastalking/delivery?token={AT_TOKEN}"
TWILIO_URL = "/webhooks/twilio/status"


def at_body(status: str, reason: str = "", message_id: str = AT_ID) -> str:
    """An AT delivery report exactly as providers §2b shows it."""
    body = f"id={message_id}&status={status}&phoneNumber=%2B254711000111&networkCode=63902"
    if reason:
        body += f"&failureReason={reason}"
    return body + "&retryCount=0"


def twilio_body(status: str, error: str = "", sid: str = SID) -> str:
    """A Twilio status callback with the fields of providers §3b."""
    body = (f"SmsSid={sid}&SmsStatus={status}&MessageStatus={status}&To=%2B22376701430&MessageSid={sid}"
            "&AccountSid=ACae0e1cbb5a2a9f5d6b1c1e2f3a4b5c6d&From=%2B15005550006&ApiVersion=2010-04-01")
    return body + (f"&ErrorCode={error}" if error else "")


@pytest.fixture
def app(database_url, redis_url):
    flask_app = create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, TWILIO_AUTH_TOKEN=TOKEN,
                                         PUBLIC_BASE_URL=PUBLIC, AT_WEBHOOK_TOKEN=AT_TOKEN))
    runtime = flask_app.extensions["relais"]
    for provider_id, backend in ((AT_ID, "africastalking"), (SID, "twilio")):
        with runtime.unit_of_work() as session:
            ref = queue_message(session, purpose_key=f"test:{provider_id}", to_phone="+22376701430",
                                body="Relais: test", backend=backend)
            claim_for_sending(session, ref.id)
            record_send_result(session, ref.id, "sent", provider_id, None)
    yield flask_app
    runtime.close()


def outbox_row(app, provider_id) -> OutboundMessage:
    """The message the fixture sent as provider_id (found by its purpose key: a report may clear the id)."""
    with app.extensions["relais"].unit_of_work() as session:
        return session.query(OutboundMessage).filter_by(purpose_key=f"test:{provider_id}").one()


def delivery(app, provider_id):
    message = outbox_row(app, provider_id)
    return message.delivery_status, message.delivery_reason


def post_at(app, body: str, url: str = AT_URL):
    return app.test_client().post(url, data=body, content_type=FORM)


def post_twilio(app, body: str, signature: str | None = None):
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + TWILIO_URL, dict(parse_qsl(body)))
    return app.test_client().post(TWILIO_URL, data=body, content_type=FORM,
                                  headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("status, reason, expected", [
    ("Sent", "", ("sent", None)),
    ("Submitted", "", ("sent", None)),
    ("Buffered", "", ("sent", None)),
    ("Success", "", ("delivered", None)),
    ("Failed", "UserInBlackList", ("failed", "UserInBlackList")),
    ("Rejected", "NotNetworkSubcriber", ("failed", "NotNetworkSubcriber")),
    ("Rejected", "SomethingAtAddsLater", ("failed", "SomethingAtAddsLater")),
    ("Expired", "", ("failed", "Expired")),
])
def test_at_reports_map_to_one_status_set(app, status, reason, expected):
    response = post_at(app, at_body(status, reason))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
    assert delivery(app, AT_ID) == expected


@pytest.mark.parametrize("status, error, expected", [
    ("queued", "", ("queued", None)),
    ("accepted", "", ("queued", None)),
    ("sending", "", ("queued", None)),
    ("sent", "", ("sent", None)),
    ("delivered", "", ("delivered", None)),
    ("read", "", ("read", None)),  # WhatsApp: the person opened it
    ("failed", "30008", ("failed", "30008")),
    ("undelivered", "30003", ("failed", "30003")),
    # Errors about the recipient go by the names a refused send gets, so the outbox acts on both alike.
    ("undelivered", "21610", ("failed", "opted_out")),
    ("failed", "63016", ("failed", "outside_whatsapp_window")),
    # A rate limit is not a failure for good: the message is queued to go again (test below), nothing recorded.
    ("failed", "63018", (None, None)),
    ("undelivered", "63017", (None, None)),
    ("canceled", "", ("failed", "canceled")),
    ("received", "", (None, None)),
])
def test_twilio_callbacks_map_to_one_status_set(app, status, error, expected):
    response = post_twilio(app, twilio_body(status, error))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
    assert delivery(app, SID) == expected


def test_the_providers_own_failed_report_is_read():
    raw = ("id=ATXid_dda018a640edfcc5d2ce455de3e4a6e7&status=Failed&phoneNumber=%2B254711000111&networkCode=63902"
           "&failureReason=UserInBlackList&retryCount=0")
    report = parse_africastalking_delivery(dict(parse_qsl(raw)))
    assert (report.provider_message_id, report.status, report.reason) == (AT_ID, "failed", "UserInBlackList")


@pytest.mark.parametrize("to, phone", [
    ("%2B22376701430", "+22376701430"),
    ("whatsapp%3A%2B22376701430", "+22376701430"),
    # A WhatsApp business-scoped id (the number hidden behind a username) names the recipient as well.
    ("whatsapp%3AUS.13491208655302741918", "US.13491208655302741918"),
    ("US.13491208655302741918", None),  # only on WhatsApp
    ("whatsapp%3AUS.12-34", None),
])
def test_a_twilio_callback_names_its_recipient_when_it_can(to, phone):
    raw = f"MessageSid={SID}&MessageStatus=delivered&To={to}&From=whatsapp%3A%2B14155238886&AccountSid=AC0"
    assert parse_twilio_status(dict(parse_qsl(raw))).phone == phone


@pytest.mark.parametrize("first, late, expected", [
    ("Success", "Sent", ("delivered", None)),
    ("Success", "Failed", ("delivered", None)),
    ("Failed", "Buffered", ("failed", "DeliveryFailure")),
])
def test_a_late_at_report_never_downgrades_a_final_status(app, first, late, expected):
    post_at(app, at_body(first, "DeliveryFailure" if first == "Failed" else ""))
    assert post_at(app, at_body(late, "DeliveryFailure" if late == "Failed" else "")).status_code == 200
    assert delivery(app, AT_ID) == expected


@pytest.mark.parametrize("statuses, expected", [
    (("delivered", "sent", "sending", "queued"), ("delivered", None)),
    (("sent", "delivered", "read"), ("read", None)),
    # read before delivered (callbacks cross): a late delivered, sent or failure never takes read back.
    (("read", "delivered", "sent", "queued"), ("read", None)),
    (("read", "failed:30008"), ("read", None)),
    (("delivered", "read", "undelivered:30003"), ("read", None)),
    # A failed message stays failed: the first final word wins.
    (("failed:30008", "read"), ("failed", "30008")),
    (("failed:30008", "delivered"), ("failed", "30008")),
])
def test_twilio_callbacks_out_of_order_keep_the_final_status(app, statuses, expected):
    for status in statuses:
        status, _, error = status.partition(":")
        assert post_twilio(app, twilio_body(status, error)).status_code == 200
    assert delivery(app, SID) == expected


def test_a_read_receipt_says_delivered_too(app):
    post_twilio(app, twilio_body("read"))
    read = outbox_row(app, SID)
    assert read.delivery_status == "read" and read.delivered_at is not None
    post_twilio(app, twilio_body("delivered"))
    assert outbox_row(app, SID).delivered_at == read.delivered_at


@pytest.mark.parametrize("status, error", [("failed", "63018"), ("undelivered", "63018"), ("failed", "63017")])
def test_a_twilio_rate_limit_queues_the_message_to_go_again(app, status, error):
    assert post_twilio(app, twilio_body(status, error)).status_code == 200
    again = outbox_row(app, SID)
    assert (again.status, again.failure_reason, again.provider_message_id) == ("queued", "rate_limited", None)
    assert again.next_attempt_at is not None and (again.delivery_status, again.delivered_at) == (None, None)
    # Twilio posting the same callback again finds no message: it is answered and changes nothing.
    assert post_twilio(app, twilio_body(status, error)).status_code == 200
    assert outbox_row(app, SID).next_attempt_at == again.next_attempt_at


def test_a_report_for_an_unknown_message_is_acknowledged_and_ignored(app):
    assert post_at(app, at_body("Success", message_id="ATXid_not_ours")).get_data(as_text=True) == "OK"
    assert post_twilio(app, twilio_body("delivered", sid="SMnotours")).status_code == 200
    assert delivery(app, AT_ID) == (None, None) and delivery(app, SID) == (None, None)


@pytest.mark.parametrize("body, reason", [
    ("", "missing id"),
    ("status=Success", "missing id"),
    (f"id={AT_ID}", "missing status"),
    (f"id={AT_ID}&status=Delivered", "unknown status"),
    (f"id={'x' * 200}&status=Success", "id too long"),
])
def test_a_malformed_at_report_is_refused(app, body, reason):
    response = post_at(app, body)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert delivery(app, AT_ID) == (None, None)


@pytest.mark.parametrize("body, reason", [
    ("MessageStatus=delivered", "missing MessageSid"),
    (f"MessageSid={SID}", "missing MessageStatus"),
    (f"MessageSid={SID}&MessageStatus=teleported", "unknown MessageStatus"),
])
def test_a_malformed_twilio_callback_is_refused(app, body, reason):
    response = post_twilio(app, body)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)


def test_a_twilio_callback_with_a_bad_signature_is_forbidden(app):
    body = twilio_body("failed", "30003")
    assert post_twilio(app, body, signature="").status_code == 403
    signed_other = RequestValidator(TOKEN).compute_signature(PUBLIC + TWILIO_URL, dict(parse_qsl(twilio_body("sent"))))
    assert post_twilio(app, body, signature=signed_other).status_code == 403
    assert delivery(app, SID) == (None, None)


def test_twilio_callbacks_are_forbidden_without_an_auth_token(sqlite_url, redis_url):
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, TWILIO_AUTH_TOKEN=""))
    response = flask_app.test_client().post(TWILIO_URL, data=twilio_body("sent"), content_type=FORM)
    assert response.status_code == 403 and "TWILIO_AUTH_TOKEN" in response.get_data(as_text=True)
    flask_app.extensions["relais"].close()


@pytest.mark.parametrize("url", ["/webhooks/africastalking/delivery", "/webhooks/africastalking/delivery?token=no"])
def test_an_at_report_without_the_token_is_forbidden(app, url):
    assert post_at(app, at_body("Success"), url).status_code == 403
    assert delivery(app, AT_ID) == (None, None)


def test_a_report_is_refused_with_503_when_the_database_is_down(tmp_path, redis_url):
    down = f"sqlite:///{tmp_path / 'missing' / 'relais.db'}"
    flask_app = create_app(make_settings(DATABASE_URL=down, REDIS_URL=redis_url, TWILIO_AUTH_TOKEN=TOKEN,
                                         PUBLIC_BASE_URL=PUBLIC))
    response = flask_app.test_client().post("/webhooks/africastalking/delivery", data=at_body("Success"),
                                            content_type=FORM)
    assert response.status_code == 503
    flask_app.extensions["relais"].close()

"""The SMS backends without a network: AT's answer mapping table, the console backend, the registry."""
from __future__ import annotations

import io
import json

import pytest

from channels.sms import OutboundSms, SendResult, SmsConfigError, make_sms_backend
from channels.sms.africastalking import AfricasTalkingBackend, interpret_bulk_response, interpret_response
from channels.sms.console import ConsoleBackend


def at_body(code: int, status: str, message_id: str = "ATXid_1") -> str:
    recipient = {"statusCode": code, "number": "+22376700001", "status": status, "cost": "KES 0.8000",
                 "messageId": message_id}
    return json.dumps({"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [recipient]}})


@pytest.mark.parametrize("http_status, body, expected", [
    (201, at_body(101, "Success", "ATXid_7"), SendResult("sent", "ATXid_7", None)),
    (201, at_body(100, "Processed", "ATXid_8"), SendResult("sent", "ATXid_8", None)),
    (200, at_body(102, "Queued", "ATXid_9"), SendResult("sent", "ATXid_9", None)),
    (201, at_body(101, "Success", "None"), SendResult("sent", None, None)),
    (201, at_body(405, "InsufficientBalance", "None"), SendResult("retry", None, "InsufficientBalance")),
    (201, at_body(500, "InternalServerError", "None"), SendResult("retry", None, "InternalServerError")),
    (201, at_body(501, "GatewayError", "None"), SendResult("retry", None, "GatewayError")),
    (201, at_body(502, "RejectedByGateway", "None"), SendResult("retry", None, "RejectedByGateway")),
    (201, at_body(401, "RiskHold", "None"), SendResult("failed", None, "RiskHold")),
    (201, at_body(402, "InvalidSenderId", "None"), SendResult("failed", None, "InvalidSenderId")),
    (201, at_body(403, "InvalidPhoneNumber", "None"), SendResult("failed", None, "InvalidPhoneNumber")),
    (201, at_body(404, "UnsupportedNumberType", "None"), SendResult("failed", None, "UnsupportedNumberType")),
    (201, at_body(406, "UserInBlacklist", "None"), SendResult("failed", None, "UserInBlacklist")),
    (201, at_body(407, "CouldNotRoute", "None"), SendResult("failed", None, "CouldNotRoute")),
    (201, at_body(409, "DoNotDisturbRejection", "None"), SendResult("failed", None, "DoNotDisturbRejection")),
    (201, json.dumps({"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}),
     SendResult("failed", None, "InvalidSenderId")),
    (401, "The supplied authentication is invalid", SendResult("failed", None, "unauthorized (check AT_API_KEY)")),
    (429, "Too many requests", SendResult("retry", None, "HTTP 429")),
    (500, "Internal error", SendResult("retry", None, "HTTP 500")),
    (502, "<html>Bad gateway</html>", SendResult("retry", None, "HTTP 502")),
    (503, "", SendResult("retry", None, "HTTP 503")),
    (400, "Invalid senderId", SendResult("failed", None, "HTTP 400: Invalid senderId")),
    (201, "<html>oops</html>", SendResult("unknown", None, "unreadable answer")),
    (201, "", SendResult("unknown", None, "unreadable answer")),
    (201, json.dumps({"unexpected": True}), SendResult("unknown", None, "unreadable answer")),
    (201, json.dumps({"SMSMessageData": {"Recipients": [{"statusCode": "x"}]}}),
     SendResult("unknown", None, "unreadable answer")),
])
def test_africastalking_answers_map_to_send_results(http_status, body, expected):
    assert interpret_response(http_status, body) == expected


def test_status_codes_given_as_strings_are_read_too():
    assert interpret_response(201, at_body("101", "Success")).status == "sent"  # type: ignore[arg-type]


def test_phone_numbers_never_reach_a_failure_reason():
    result = interpret_response(400, "Invalid phone number: +223 76 70 00 01")
    assert result.status == "failed"
    assert "76" not in result.reason and "<number>" in result.reason


def test_console_backend_shows_the_message_with_the_number_masked():
    stream = io.StringIO()
    result = ConsoleBackend(stream).send(OutboundSms(to="+22376701430", body="Relais: nouveau signalement ABC2345"))
    shown = stream.getvalue()
    assert "+223******30" in shown
    assert "76701430" not in shown
    assert "Relais: nouveau signalement ABC2345" in shown
    assert result.status == "sent" and result.provider_message_id.startswith("console-")


def test_console_backend_prints_to_stdout_by_default(capsys):
    make_sms_backend("console", {}).send(OutboundSms(to="+22376701430", body="hello"))
    out = capsys.readouterr().out
    assert "+223******30" in out and "hello" in out


def test_registry_builds_africastalking_from_a_plain_mapping():
    backend = make_sms_backend("africastalking", {
        "AT_API_URL": "http://127.0.0.1:9/version1/messaging", "AT_USERNAME": "relais", "AT_API_KEY": "k",
        "AT_SENDER_ID": "", "PROVIDER_TIMEOUT": 2.5,
    })
    assert isinstance(backend, AfricasTalkingBackend)
    assert backend.timeout == 2.5 and backend.sender_id == ""


def test_registry_refuses_africastalking_without_an_api_key():
    with pytest.raises(SmsConfigError, match="AT_API_KEY"):
        make_sms_backend("africastalking", {"AT_API_URL": "http://x", "AT_USERNAME": "sandbox", "AT_API_KEY": ""})


def test_registry_refuses_an_unknown_backend():
    with pytest.raises(SmsConfigError, match="console"):
        make_sms_backend("carrier-pigeon", {})


def bulk_body(*recipients: tuple[str, int, str, str]) -> str:
    entries = [{"statusCode": code, "number": number, "status": status, "messageId": message_id}
               for number, code, status, message_id in recipients]
    return json.dumps({"SMSMessageData": {"Message": f"Sent to ?/{len(entries)}", "Recipients": entries}})


def test_a_bulk_answer_gives_each_number_its_own_outcome_in_the_order_asked():
    body = bulk_body(("+22376700002", 403, "InvalidPhoneNumber", "None"), ("+22376700001", 101, "Success", "ATXid_1"),
                     ("+22376700003", 405, "InsufficientBalance", "None"))
    numbers = ["+22376700001", "+22376700002", "+22376700003", "+22376700004"]
    assert interpret_bulk_response(201, body, numbers) == [
        SendResult.sent("ATXid_1"), SendResult.failed("InvalidPhoneNumber"), SendResult.retry("InsufficientBalance"),
        # Not named in the answer: AT may or may not have it, so it is never sent again blindly.
        SendResult.unknown("no answer for this recipient"),
    ]


@pytest.mark.parametrize("http_status, body, expected", [
    (503, "", SendResult.retry("HTTP 503")),
    (401, "", SendResult.failed("unauthorized (check AT_API_KEY)")),
    (201, "<html>oops</html>", SendResult.unknown("unreadable answer")),
    (201, json.dumps({"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}),
     SendResult.failed("InvalidSenderId")),
])
def test_a_bulk_answer_about_the_whole_call_applies_to_every_number(http_status, body, expected):
    assert interpret_bulk_response(http_status, body, ["+22376700001", "+22376700002"]) == [expected, expected]


@pytest.mark.parametrize("http_status", [408, 500, 504])
def test_a_batch_a_gateway_gave_up_on_is_unknown_never_resent(http_status):
    # AT may have queued the SMS behind a gateway that timed out: resending would send every number twice.
    numbers = ["+22376700001", "+22376700002"]
    assert interpret_bulk_response(http_status, "", numbers) == [SendResult.unknown(f"HTTP {http_status}")] * 2
    assert interpret_bulk_response(http_status, "", numbers[:1]) == [SendResult.retry(f"HTTP {http_status}")]
    assert interpret_bulk_response(503, "", numbers) == [SendResult.retry("HTTP 503")] * 2


def test_africastalking_sends_in_bulk_only_when_asked_and_within_its_limit():
    options = {"AT_API_URL": "http://127.0.0.1:9/version1/messaging", "AT_USERNAME": "u", "AT_API_KEY": "k"}
    assert make_sms_backend("africastalking", options).batch_size == 1
    assert make_sms_backend("africastalking", {**options, "AT_BULK_RECIPIENTS": 20}).batch_size == 20
    assert make_sms_backend("africastalking", {**options, "AT_BULK_RECIPIENTS": 100000}).batch_size == 100

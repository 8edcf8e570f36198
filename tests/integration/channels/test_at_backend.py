"""The Africa's Talking backend against the fake AT server: the exact request, and each kind of trouble."""
from __future__ import annotations

import pytest

from channels.sms import OutboundSms, SendResult, make_sms_backend
from tests.fakes.africastalking import Answer, FakeAfricasTalking
from tests.servers import free_port

SMS = OutboundSms(to="+22376701430", body="Relais: nouveau signalement ABC2345 dans la file de tri.")


@pytest.fixture
def fake_at():
    with FakeAfricasTalking(api_key="secret-key") as fake:
        yield fake


def backend(url, **overrides):
    options = {"AT_API_URL": url, "AT_USERNAME": "relais", "AT_API_KEY": "secret-key", "AT_SENDER_ID": "RELAIS",
               "PROVIDER_TIMEOUT": 0.5, **overrides}
    return make_sms_backend("africastalking", options)


def test_the_request_is_exactly_what_at_expects(fake_at):
    result = backend(fake_at.url).send(SMS)

    [request] = fake_at.wait_for(1)
    assert request["path"] == "/version1/messaging"
    assert request["headers"]["apiKey"] == "secret-key"
    assert request["headers"]["Accept"] == "application/json"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {"username": "relais", "to": "+22376701430", "message": SMS.body, "from": "RELAIS",
                               "enqueue": "1"}
    assert result == SendResult("sent", "ATXid_1", None)


def test_from_is_left_out_without_a_sender_id(fake_at):
    backend(fake_at.url, AT_SENDER_ID="").send(SMS)
    assert "from" not in fake_at.wait_for(1)[0]["form"]


@pytest.mark.parametrize("answer, expected", [
    (Answer.http_error(500), SendResult("retry", None, "HTTP 500")),
    (Answer.http_error(429), SendResult("retry", None, "HTTP 429")),
    (Answer.recipient(405, "InsufficientBalance"), SendResult("retry", None, "InsufficientBalance")),
    (Answer.recipient(403, "InvalidPhoneNumber"), SendResult("failed", None, "InvalidPhoneNumber")),
    (Answer.garbage(), SendResult("unknown", None, "unreadable answer")),
    (Answer.hang(3), SendResult("unknown", None, "timeout")),
])
def test_each_kind_of_trouble(fake_at, answer, expected):
    fake_at.answer_next(answer)
    assert backend(fake_at.url).send(SMS) == expected


def test_a_wrong_key_fails_for_good(fake_at):
    assert backend(fake_at.url, AT_API_KEY="wrong").send(SMS) == SendResult(
        "failed", None, "unauthorized (check AT_API_KEY)")


def test_nobody_listening_is_retried_later():
    # No connection was made, so the provider surely has nothing: safe to try again.
    result = backend(f"http://127.0.0.1:{free_port()}/version1/messaging").send(SMS)
    assert result.status == "retry" and result.reason.startswith("no connection")


def test_nothing_about_the_message_is_logged(fake_at, caplog):
    caplog.set_level("DEBUG")
    fake_at.answer_next(Answer.recipient(403, "InvalidPhoneNumber"), Answer.hang(3))
    for _ in range(3):
        backend(fake_at.url).send(SMS)
    assert "76701430" not in caplog.text and "ABC2345" not in caplog.text

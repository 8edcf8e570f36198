"""AT USSD end-of-session notifications, posted raw as providers §1 lists their fields."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from app import create_app
from casecore.messaging.models import UssdSessionEnd
from channels.africastalking_ussd_events import parse_ussd_event
from tests.conftest import make_settings

FORM = "application/x-www-form-urlencoded"
AT_TOKEN = "s3cret"
URL = f"/webhooks/africastalking/ussd-events?token={AT_TOKEN}"
PHONE = "%2B254711000111"
FULL = ("date=2026-03-01+10%3A15%3A30&sessionId=ATUid_abc123&serviceCode=%2A384%2A1234%23&networkCode=63902"
        f"&phoneNumber={PHONE}&status=Incomplete&cost=KES+0.10&durationInMillis=61234&hopsCount=3"
        "&input=1%2A2%2AAwa+Traore&lastAppResponse=CON+Votre+nom%3F&errorMessage=")


@pytest.fixture
def app(sqlite_url, redis_url):
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, AT_WEBHOOK_TOKEN=AT_TOKEN))
    yield flask_app
    flask_app.extensions["relais"].close()


def post(app, body: str, url: str = URL):
    return app.test_client().post(url, data=body, content_type=FORM)


def rows(app) -> list[dict]:
    with app.extensions["relais"].unit_of_work() as session:
        return [{c.name: getattr(row, c.name) for c in UssdSessionEnd.__table__.columns if c.name != "id"}
                for row in session.query(UssdSessionEnd).order_by(UssdSessionEnd.session_id)]


def test_a_full_notification_is_stored_as_counts_only(app, caplog):
    caplog.set_level(logging.DEBUG)
    response = post(app, FULL)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
    [row] = rows(app)
    received_at = row.pop("received_at")
    assert received_at.tzinfo is not None
    assert row == {
        "session_id": "ATUid_abc123", "status": "Incomplete", "network_code": "63902", "duration_ms": 61234,
        "hops": 3, "cost_amount": Decimal("0.1000"), "cost_currency": "KES", "last_step_count": 3,
        "error_message": None, "ended_at": datetime(2026, 3, 1, 10, 15, 30, tzinfo=timezone.utc),
    }
    # The person's number and answers appear nowhere: neither stored (no such column) nor logged.
    assert not {"phone", "phone_number", "input", "input_path"} & set(UssdSessionEnd.__table__.columns.keys())
    for secret in ("254711000111", "Awa", "Traore", "Votre nom"):
        assert secret not in caplog.text


@pytest.mark.parametrize("body, expected", [
    # The minimum AT could send: only the two required fields.
    ("sessionId=ATUid_min&status=Success",
     {"status": "Success", "duration_ms": None, "hops": None, "cost_amount": None, "cost_currency": None,
      "last_step_count": 0, "ended_at": None, "network_code": None, "error_message": None}),
    # Garbled numbers, cost and date are dropped, not refused: the session still counts.
    (("sessionId=ATUid_bad&status=Failed&durationInMillis=12s&hopsCount=-1&cost=KES+abc&date=yesterday"
      "&errorMessage=Application+timed+out&input=1"),
     {"status": "Failed", "duration_ms": None, "hops": None, "cost_amount": None, "cost_currency": "KES",
      "last_step_count": 1, "ended_at": None, "network_code": None, "error_message": "Application timed out"}),
    ("sessionId=ATUid_nan&status=Success&cost=KES+NaN&durationInMillis=99999999999&hopsCount=%EF%BC%92",
     {"status": "Success", "duration_ms": None, "hops": None, "cost_amount": None, "cost_currency": "KES",
      "last_step_count": 0, "ended_at": None, "network_code": None, "error_message": None}),
    # A status AT adds later is kept as given, control characters gone, cut to 16.
    ("sessionId=ATUid_new&status=TimedOutByTheTelcoNetwork%00&cost=0.05&input=",
     {"status": "TimedOutByTheTel", "duration_ms": None, "hops": None, "cost_amount": Decimal("0.0500"),
      "cost_currency": None, "last_step_count": 0, "ended_at": None, "network_code": None, "error_message": None}),
    # Unknown fields are ignored; a very long error message is cut.
    ("sessionId=ATUid_long&status=Failed&somethingNew=1&errorMessage=" + "x" * 5000,
     {"status": "Failed", "duration_ms": None, "hops": None, "cost_amount": None, "cost_currency": None,
      "last_step_count": 0, "ended_at": None, "network_code": None, "error_message": "x" * 200}),
])
def test_optional_fields_are_read_tolerantly(app, body, expected):
    assert post(app, body).get_data(as_text=True) == "OK"
    [row] = rows(app)
    assert {key: row[key] for key in expected} == expected


@pytest.mark.parametrize("raw, kind", [
    ("CON+Choisissez", "CON"), ("END+Merci", "END"), ("Merci", None), ("", None),
])
def test_only_the_kind_of_the_last_screen_is_read(raw, kind):
    event = parse_ussd_event(dict(parse_qsl(f"sessionId=ATUid_1&status=Success&lastAppResponse={raw}")))
    assert event.last_screen_started_with == kind


def test_the_parser_reads_the_documented_fields():
    event = parse_ussd_event(dict(parse_qsl(FULL)))
    assert (event.session_id, event.service_code, event.phone, event.input_path, event.step_count) == (
        "ATUid_abc123", "*384*1234#", "+254711000111", "1*2*Awa Traore", 3)
    assert (event.cost_amount, event.cost_currency, event.last_screen_started_with) == (
        Decimal("0.10"), "KES", "CON")


def test_a_repeated_notification_is_stored_once(app):
    assert post(app, FULL).get_data(as_text=True) == "OK"
    again = post(app, FULL.replace("status=Incomplete", "status=Success"))
    assert (again.status_code, again.get_data(as_text=True)) == (200, "OK")
    assert [row["status"] for row in rows(app)] == ["Incomplete"]


@pytest.mark.parametrize("body, reason", [
    ("", "missing sessionId"),
    ("status=Success", "missing sessionId"),
    ("sessionId=+++&status=Success", "missing sessionId"),
    ("sessionId=ATUid_x", "missing status"),
    ("sessionId=ATUid_x&status=", "missing status"),
    (f"sessionId={'x' * 200}&status=Success", "sessionId too long"),
])
def test_a_malformed_notification_is_refused(app, body, reason):
    response = post(app, body)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert rows(app) == []


def test_a_json_body_posts_no_fields(app):
    response = app.test_client().post(URL, json={"sessionId": "ATUid_j", "status": "Success"})
    assert response.status_code == 400 and rows(app) == []


@pytest.mark.parametrize("url", ["/webhooks/africastalking/ussd-events",
                                 "/webhooks/africastalking/ussd-events?token=no"])
def test_a_notification_without_the_token_is_forbidden(app, url):
    assert post(app, FULL, url).status_code == 403
    assert rows(app) == []


def test_a_notification_is_refused_with_503_when_the_database_is_down(tmp_path, redis_url, caplog):
    down = f"sqlite:///{tmp_path / 'missing' / 'relais.db'}"
    flask_app = create_app(make_settings(DATABASE_URL=down, REDIS_URL=redis_url))
    response = flask_app.test_client().post("/webhooks/africastalking/ussd-events", data=FULL, content_type=FORM)
    assert response.status_code == 503
    assert "254711000111" not in caplog.text and "Awa" not in caplog.text
    flask_app.extensions["relais"].close()

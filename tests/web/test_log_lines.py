"""Every log line of the main flows, with LOG_FORMAT=json: a JSON object, with no number, name, reference or message
body in it, and the request id of the USSD step that made a report on the lines of its alert and the alert's send.

The flows run as deployed but in one process: webhooks through the test client, jobs through the worker's own
class (tests.queues), replies and alerts through fake providers on 127.0.0.1.
"""
from __future__ import annotations

import io
import json
import logging
import re
import sys

import pytest
from sqlalchemy import select

import logs
from app import create_app
from casecore.cases.models import Case
from casecore.complaints.models import Complaint
from casecore.demo import DEMO_FAMILY_PHONE, load_demo
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.people.models import User
from casecore.reports.models import Report
from tests.conftest import TEST_SECRET, make_settings
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.twilio import DEFAULT_SID, FakeTwilio
from tests.queues import drain
from tests.web.conftest import csrf_from
from tests.web.test_text_conversations import PUBLIC, TOKEN, Phone
from tests.web.test_ussd_webhook import FULL_PATH_FR, at_body

FORM = "application/x-www-form-urlencoded"
USSD = "/webhooks/africastalking/ussd"
# A number in any form: a + and digits, or eight digits and more (a national number); ids taken out first.
NUMBER = re.compile(r"\+\s?\d{4,}|\d{8,}")
IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{16}\b|\b[0-9a-f]{32}\b"
                 r"|\b[A-Z]{2}[0-9a-f]{32}\b")  # a Twilio sid (content HX..., message SM...)
UNREACHABLE = "+22376000777"


@pytest.fixture
def providers():
    with FakeAfricasTalking(api_key="k") as at, FakeTwilio(auth_token=TOKEN) as twilio:
        yield at, twilio


@pytest.fixture
def json_log():
    """What the processes would write with LOG_FORMAT=json, at their level (INFO)."""
    stream = io.StringIO()
    root = logging.getLogger()
    handler, level = logs.make_handler("json", stream), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def app(sqlite_url, redis_url, providers, json_log):
    at, twilio = providers
    flask_app = create_app(make_settings(
        DATABASE_URL=sqlite_url, REDIS_URL=redis_url, LOG_FORMAT="json", SMS_BACKEND="africastalking",
        AT_API_URL=at.url, AT_USERNAME="relais", AT_API_KEY="k", TWILIO_API_URL=twilio.url,
        TWILIO_ACCOUNT_SID=DEFAULT_SID, TWILIO_AUTH_TOKEN=TOKEN, TWILIO_SMS_FROM="+15005550006",
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886", TWILIO_CONTENT_API_URL=twilio.url, PUBLIC_BASE_URL=PUBLIC,
        PROVIDER_TIMEOUT=2.0,
    ))
    runtime = flask_app.extensions["relais"]
    with runtime.unit_of_work() as session:
        load_demo(session, "ML", secret_key=TEST_SECRET)  # the demo's staff, their names and numbers, a demo case
    yield flask_app
    runtime.close()


def ussd_report(app) -> str:
    """An urgent report made by USSD, step by step as AT posts it; the last step's request id."""
    client = app.test_client()
    for n in range(len(FULL_PATH_FR) + 1):
        response = client.post(USSD, data=at_body("*".join(FULL_PATH_FR[:n]), session="ATUid_logs1"),
                               content_type=FORM)
        assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("END ")
    return response.headers["X-Request-Id"]


def failed_login(app) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    with app.extensions["relais"].unit_of_work() as session:
        email = session.scalars(select(User.email)).first()
    response = client.post("/login", data={"email": email, "password": "not the password", "csrf_token": token})
    assert response.status_code == 200


def personal_data(app, phones: list[Phone], said: list[str]) -> set[str]:
    """What no log line may hold: the numbers, names and emails, references, and the messages' bodies."""
    with app.extensions["relais"].unit_of_work() as session:
        found = {DEMO_FAMILY_PHONE, UNREACHABLE, *(phone.number for phone in phones)}
        for user in session.scalars(select(User)):
            found |= {user.display_name, user.email, *(user.display_name.split()), user.phone or ""}
        found |= set(session.scalars(select(Report.reference))) | set(session.scalars(select(Case.reference)))
        found |= set(session.scalars(select(Complaint.reference)))
        bodies = [*session.scalars(select(OutboundMessage.body)), *session.scalars(select(InboundMessage.body))]
    found |= {number.lstrip("+") for number in found if number.startswith("+")}
    # A body whole, and each of its lines long enough to be its own (a menu's "1 Oui" would match anything).
    for body in [*bodies, *said]:
        found |= {body or ""} | {line.strip() for line in (body or "").splitlines() if len(line.strip()) >= 12}
    return {text for text in found if len(text) >= 4}


def test_every_line_of_the_main_flows_is_json_without_personal_data(app, providers, json_log):
    at, _twilio = providers
    rid = ussd_report(app)
    drain(app.extensions["relais"].queue)
    sms = Phone(app, providers, "sms")
    said = ["SIGNALER", "Mariée la semaine prochaine, elle a 14 ans.", "Il a demandé de l'argent pour l'inscrire",
            "A volunteer asked for money"]
    sms.send("SIGNALER")
    for answer in ["4", "2", "1", "3", "1", "1", said[1], "1", "1", "1"]:
        sms.send(answer)
    for answer in ["PLAINTE", "3", said[2], "2", "1"]:  # a complaint by SMS, not anonymous
        sms.send(answer)
    whatsapp = Phone(app, providers, "whatsapp")  # its ProfileName, Awa, is a name too
    for answer in ["COMPLAINT", "4", said[3], "1", "1"]:
        whatsapp.send(answer)
    at.answer_for_number(UNREACHABLE, 403, "InvalidPhoneNumber")  # a failed send
    unreachable = Phone(app, providers, "sms", UNREACHABLE)
    unreachable.send("AIDE")
    failed_login(app)

    lines = json_log.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]  # every line one JSON object
    assert all({"time", "level", "logger", "message", "role"} <= entry.keys() for entry in entries)
    assert {entry["level"] for entry in entries} <= {"INFO", "WARNING", "ERROR"}
    forbidden = personal_data(app, [sms, whatsapp, unreachable], said) | {"Awa"}
    with app.extensions["relais"].unit_of_work() as session:
        references = set(session.scalars(select(Report.reference))) | set(session.scalars(select(Complaint.reference)))
    # What is looked for is there: the references (the demo's report, two reports, two complaints), a number, a body.
    assert len(references) == 5 and references | {DEMO_FAMILY_PHONE, DEMO_FAMILY_PHONE[1:], said[1]} <= forbidden
    leaks = [(text, line) for line in lines for text in forbidden if text in line]
    leaks += [(number, line) for line, entry in zip(lines, entries, strict=True)
              for number in NUMBER.findall(IDS.sub("", json.dumps({**entry, "time": ""})))]
    assert leaks == []
    # The USSD step that made the report, its alert job, and the send of the alert, on one request id.
    followed = [entry for entry in entries if entry.get("request_id") == rid]
    loggers = {entry["logger"] for entry in followed}
    assert {"casecore.reports.intake", "workers.jobs", "casecore.messaging.outbox"} <= loggers, loggers
    jobs = {entry.get("job_id", "").split("-")[0] for entry in followed}
    assert {"report", "send"} <= jobs
    assert any("failed" in entry["message"] for entry in entries if entry["logger"] == "casecore.messaging.outbox")
    assert any(entry["message"] == "failed login attempt" for entry in entries)


def test_a_request_id_given_by_the_proxy_is_kept_and_answered(app):
    client = app.test_client()
    ussd = client.post(USSD, data=at_body(""), content_type=FORM, headers={"X-Request-Id": "edge-4f2a"})
    page = client.get("/login", headers={"X-Request-Id": "edge-77b1"})
    assert (ussd.headers["X-Request-Id"], page.headers["X-Request-Id"]) == ("edge-4f2a", "edge-77b1")
    # A number is no request id: the answer carries one made here instead.
    number = client.post(USSD, data=at_body(""), content_type=FORM, headers={"X-Request-Id": "22376000100"})
    assert re.fullmatch(r"[0-9a-f]{16}", number.headers["X-Request-Id"])


def test_an_unhandled_exception_is_logged_without_the_reference_in_its_path(sqlite_url, redis_url, json_log):
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, LOG_FORMAT="json"))
    try:
        # What Flask does with an exception no handler takes, in a request for a case by its reference.
        with flask_app.test_request_context("/api/v1/cases/ABC2345/broken"):
            try:
                raise RuntimeError("a bug")
            except RuntimeError:
                flask_app.log_exception(sys.exc_info())
    finally:
        flask_app.extensions["relais"].close()
    [line] = [json.loads(line) for line in json_log.getvalue().splitlines() if "Exception on" in line]
    assert line["message"] == "Exception on /api/v1/cases/{ref}/broken [GET]" and line["level"] == "ERROR"
    assert "RuntimeError: a bug" in line["exception"] and "ABC2345" not in json.dumps(line)

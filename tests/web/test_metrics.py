"""GET /metrics: what a USSD report and an SMS move, with no number, name, reference or text in the answer; who may
read it; and a source that is down still gives 200 with the source marked down."""
from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from app import create_app
from casecore.messaging.models import OutboundMessage
from casecore.people.models import User
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_receiving_service
from tests.queues import BurstWorker
from workers.queueing import ALERTS, sibling

TOKEN = "metrics-token-for-the-tests-0123456789"
FORM = "application/x-www-form-urlencoded"
USSD = "/webhooks/africastalking/ussd"
SMS = "/webhooks/africastalking/sms"
REPORTER = "+22376701430"
SMS_SENDER = "+22376701431"
SMS_TEXT = "Bonjour Mariam Coulibaly a besoin d'aide"
# French, report, concern, danger now (yes), past the emergency numbers, sex, age, region, commune, consent, call,
# send: an urgent report.
FULL_PATH = ["1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "1"]
SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (\S+)$")


def samples(text: str) -> dict[str, float]:
    """Every sample of a scrape, by name and labels as written: {'relais_x{a="b"}': 1.0}."""
    found = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            found[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return found


def scrape(client, **headers) -> dict[str, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return samples(response.get_data(as_text=True))


def ussd_step(client, inputs: list[str], session: str = "ATUid_metrics"):
    body = urlencode({"sessionId": session, "serviceCode": "*384*1234#", "phoneNumber": REPORTER,
                      "networkCode": "99999", "text": "*".join(inputs)})
    return client.post(USSD, data=body, content_type=FORM)


def moved(before: dict[str, float], after: dict[str, float], name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


@pytest.fixture
def seeded(runtime):
    with runtime.unit_of_work() as session:
        make_receiving_service(session)
    return runtime


@pytest.fixture
def app(seeded):
    flask_app = create_app(make_settings(DATABASE_URL=seeded.settings.DATABASE_URL,
                                         REDIS_URL=seeded.settings.REDIS_URL, METRICS_TOKEN=TOKEN))
    yield flask_app
    flask_app.extensions["relais"].close()


def test_a_ussd_report_and_an_sms_move_the_metrics_and_the_answer_holds_no_personal_data(app):
    client = app.test_client()
    before = scrape(client)
    screens = [ussd_step(client, FULL_PATH[:n]).get_data(as_text=True) for n in range(len(FULL_PATH) + 1)]
    assert screens[-1].startswith("END ")
    assert ussd_step(client, [], session="ATUid_bad").status_code == 200  # a second session, first screen
    assert client.post(USSD, data="sessionId=&text=", content_type=FORM).status_code == 400
    sms = {"from": SMS_SENDER, "to": "21512", "text": SMS_TEXT, "date": "2026-11-22T06:04:45Z", "id": "ATXid_m1",
           "linkId": ""}
    assert client.post(SMS, data=urlencode(sms), content_type=FORM).status_code == 200
    runtime = app.extensions["relais"]
    # The alert about the urgent report is sent (console backend), the SMS stays in the inbox (its queue is not run).
    BurstWorker([sibling(runtime.queue, ALERTS)], connection=runtime.redis).work(burst=True)
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    text = response.get_data(as_text=True)
    after = samples(text)

    steps = len(FULL_PATH) + 1
    assert moved(before, after, 'relais_ussd_steps_total{outcome="continue"}') == steps  # the second session's too
    assert moved(before, after, 'relais_ussd_steps_total{outcome="end"}') == 1
    assert moved(before, after, 'relais_ussd_steps_total{outcome="refused"}') == 1
    assert moved(before, after, 'relais_ussd_steps_total{outcome="error"}') == 0
    ussd_ok = 'relais_webhook_request_duration_seconds_count{code="200",endpoint="africastalking_ussd"}'
    assert moved(before, after, ussd_ok) == steps + 1
    assert moved(before, after, ussd_ok.replace("200", "400")) == 1
    assert moved(before, after, ussd_ok.replace("_count", "_sum")) > 0
    sms_ok = 'relais_webhook_request_duration_seconds_count{code="200",endpoint="africastalking_sms"}'
    assert moved(before, after, sms_ok) == 1
    assert after['relais_inbox_waiting_messages'] == 1
    assert after['relais_inbox_oldest_waiting_age_seconds'] >= 0
    assert after['relais_queue_jobs{queue="background"}'] >= 1
    assert after['relais_queue_jobs{queue="alerts"}'] == 0
    assert after['relais_urgent_reports_recent{alert="sent"}'] == 1
    assert after['relais_urgent_reports_recent{alert="unsent"}'] == 0
    assert 0 <= after['relais_urgent_alert_delay_seconds{quantile="1"}'] < 60
    assert after['relais_urgent_alert_oldest_unsent_age_seconds'] == 0
    assert after['relais_outbox_messages{status="queued"}'] == 0
    for source in ("inbox", "outbox", "handoffs", "deadlines", "urgent_alerts", "queues"):
        assert after[f'relais_scrape_source_up{{source="{source}"}}'] == 1

    with runtime.unit_of_work() as session:
        report = session.scalars(select(Report)).one()
        supervisor = session.scalars(select(User)).one()
        alert = session.scalars(select(OutboundMessage)).one()
        personal = [report.reference, str(report.id), supervisor.display_name, supervisor.email, alert.body]
    assert alert.status == "sent"
    numbers = [REPORTER, SMS_SENDER, "+22376000001"]
    personal += numbers + [n.lstrip("+") for n in numbers] + [n[-8:] for n in numbers] + [quote(n) for n in numbers]
    personal += [SMS_TEXT, "Mariam", "Coulibaly", "ATUid_metrics", "ATXid_m1"]
    assert [item for item in personal if item in text] == []


def test_every_label_value_comes_from_a_fixed_set(app):
    client = app.test_client()
    ussd_step(client, [])
    client.post("/webhooks/nowhere/+22376701430", data="x=1", content_type=FORM)
    labels = set()
    for name in scrape(client):
        if name.startswith("relais_"):
            labels |= set(re.findall(r'(\w+)="([^"]*)"', name))
    allowed = {"endpoint": {"africastalking_ussd", "africastalking_sms", "twilio_messages", "africastalking_delivery",
                            "twilio_status", "africastalking_ussd_events", "primero_case", "unknown"},
               "outcome": {"continue", "end", "error", "refused"},
               "reason": {"wrong_credentials", "account_locked", "address_throttled"},
               "status": {"queued", "sending", "unknown", "failed", "held", "waiting"},
               "stage": {"warning", "overdue"}, "alert": {"sent", "unsent"},
               "queue": {"alerts", "replies", "background"}, "quantile": {"0.5", "0.9", "0.99", "1"},
               "source": {"inbox", "outbox", "handoffs", "deadlines", "urgent_alerts", "queues"}}
    wrong = [(key, value) for key, value in labels
             if not (key in allowed and value in allowed[key] or key == "le" or key == "code" and value.isdigit())]
    assert wrong == []
    assert ("endpoint", "unknown") in labels  # the path with a number in it is not a label


def test_failed_logins_and_a_lockout_are_counted(app, seeded):
    client = app.test_client()
    before = scrape(client)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    with seeded.unit_of_work() as session:
        email = session.scalars(select(User.email)).one()
    for _ in range(seeded.settings.LOGIN_MAX_FAILURES + 1):
        client.post("/login", data={"email": email, "password": "wrong", "csrf_token": token})
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    after = samples(text)
    assert moved(before, after, 'relais_login_failures_total{reason="wrong_credentials"}') == \
        seeded.settings.LOGIN_MAX_FAILURES
    assert moved(before, after, 'relais_login_failures_total{reason="account_locked"}') == 1
    assert moved(before, after, "relais_login_lockouts_total") == 1
    assert email not in text


# -- who may read it -----------------------------------------------------------------------------------------------
def metrics_app(runtime, **settings):
    return create_app(make_settings(DATABASE_URL=runtime.settings.DATABASE_URL, REDIS_URL=runtime.settings.REDIS_URL,
                                    **settings))


@pytest.mark.parametrize(("settings", "remote", "headers", "status", "reason"), [
    ({}, "127.0.0.1", {}, 403, "metrics are not enabled here"),
    ({"METRICS_ALLOW": "127.0.0.1/32"}, "127.0.0.1", {}, 200, ""),
    ({"METRICS_ALLOW": "10.1.0.0/16, 127.0.0.1"}, "10.1.2.3", {}, 200, ""),
    ({"METRICS_ALLOW": "10.1.0.0/16"}, "10.2.0.1", {}, 403, "this address may not read the metrics"),
    ({"METRICS_ALLOW": "::1/128"}, "::1", {}, 200, ""),
    ({"METRICS_TOKEN": TOKEN}, "203.0.113.9", {"Authorization": f"Bearer {TOKEN}"}, 200, ""),
    ({"METRICS_TOKEN": TOKEN}, "203.0.113.9", {"Authorization": f"bearer {TOKEN}"}, 200, ""),
    ({"METRICS_TOKEN": TOKEN}, "203.0.113.9", {"Authorization": f"Bearer {TOKEN}x"}, 403, "wrong metrics token"),
    ({"METRICS_TOKEN": TOKEN}, "203.0.113.9", {}, 403, "no bearer token was given"),
    ({"METRICS_TOKEN": TOKEN, "METRICS_ALLOW": "127.0.0.1/32"}, "127.0.0.1", {"Authorization": "Bearer nope"}, 403,
     "wrong metrics token"),
    ({"METRICS_TOKEN": TOKEN}, "203.0.113.9", {"Authorization": f"Basic {TOKEN}"}, 403, "no bearer token"),
])
def test_only_allowed_addresses_or_the_token_read_the_metrics(runtime, settings, remote, headers, status, reason):
    client = metrics_app(runtime, **settings).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == status
    text = response.get_data(as_text=True)
    if status == 403:
        assert text.startswith("Forbidden: ") and reason in text
        assert "relais_" not in text
    else:
        assert "relais_scrape_source_up" in text
    assert "Set-Cookie" not in response.headers  # no session, no login


def test_behind_a_trusted_proxy_both_the_forwarded_address_and_the_connections_are_checked(runtime):
    client = metrics_app(runtime, METRICS_ALLOW="10.0.0.5/32,127.0.0.1/32", TRUSTED_PROXY_COUNT=1).test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.0.0.5"}, environ_base=proxy).status_code == 200
    # Through the proxy, a visitor from the internet is refused, and cannot name an allowed address.
    assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"}, environ_base=proxy).status_code == 403
    forged = {"X-Forwarded-For": "10.0.0.5, 198.51.100.7"}
    assert client.get("/metrics", headers=forged, environ_base=proxy).status_code == 403


def test_a_host_that_reaches_gunicorn_directly_cannot_name_an_allowed_address(runtime):
    # Prometheus scrapes each web host on its private address; another host of that network writes the header
    # X-Forwarded-For itself, naming Prometheus's address. The connection's own address is refused.
    client = metrics_app(runtime, METRICS_ALLOW="10.0.0.5/32", TRUSTED_PROXY_COUNT=1).test_client()
    spoofed = client.get("/metrics", headers={"X-Forwarded-For": "10.0.0.5"}, environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert spoofed.status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200


@pytest.mark.parametrize(("settings", "message"), [
    ({"METRICS_ALLOW": "10.0.0.300/32"}, "METRICS_ALLOW must be addresses or networks"),
    ({"METRICS_ALLOW": "prometheus.internal"}, "METRICS_ALLOW must be addresses or networks"),
    ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 32 characters"),
])
def test_a_malformed_setting_stops_the_web_process_naming_it(runtime, settings, message):
    with pytest.raises(ValueError, match=message):
        metrics_app(runtime, **settings)


# -- a source down -------------------------------------------------------------------------------------------------
def scrape_of(settings) -> tuple[int, dict[str, float]]:
    flask_app = create_app(make_settings(METRICS_TOKEN=TOKEN, **settings))
    try:
        response = flask_app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        return response.status_code, samples(response.get_data(as_text=True))
    finally:
        flask_app.extensions["relais"].close()


DATABASE_SOURCES = ("inbox", "outbox", "handoffs", "deadlines", "urgent_alerts")


def test_with_redis_down_the_database_is_still_read(sqlite_url):
    status, found = scrape_of({"DATABASE_URL": sqlite_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert status == 200
    assert found['relais_scrape_source_up{source="queues"}'] == 0
    assert not any(name.startswith("relais_queue_") for name in found)
    assert all(found[f'relais_scrape_source_up{{source="{source}"}}'] == 1 for source in DATABASE_SOURCES)
    assert found["relais_inbox_waiting_messages"] == 0


def test_with_the_database_unreachable_redis_is_still_read(redis_url):
    # Nothing listens on port 1: the connection is refused, as when PostgreSQL is stopped.
    status, found = scrape_of({"DATABASE_URL": "postgresql+psycopg://relais:x@127.0.0.1:1/relais",
                               "REDIS_URL": redis_url})
    assert status == 200
    assert all(found[f'relais_scrape_source_up{{source="{source}"}}'] == 0 for source in DATABASE_SOURCES)
    assert "relais_inbox_waiting_messages" not in found and "relais_outbox_messages" not in str(found)
    assert found['relais_scrape_source_up{source="queues"}'] == 1
    assert found['relais_queue_jobs{queue="alerts"}'] == 0


def test_a_failing_query_marks_its_source_down_and_the_others_are_still_read(tmp_path, redis_url):
    # A database without the schema: every query fails, each in its own savepoint.
    status, found = scrape_of({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "REDIS_URL": redis_url})
    assert status == 200
    assert all(found[f'relais_scrape_source_up{{source="{source}"}}'] == 0 for source in DATABASE_SOURCES)
    assert found['relais_scrape_source_up{source="queues"}'] == 1


def test_a_database_that_cannot_even_be_opened_still_gives_200(tmp_path, redis_url):
    (tmp_path / "not-a-folder").write_text("")
    status, found = scrape_of({"DATABASE_URL": f"sqlite:///{tmp_path / 'not-a-folder' / 'relais.db'}",
                               "REDIS_URL": redis_url})
    assert status == 200
    assert all(found[f'relais_scrape_source_up{{source="{source}"}}'] == 0 for source in DATABASE_SOURCES)
    assert found['relais_scrape_source_up{source="queues"}'] == 1

"""Alerting supervisors: report -> alert job -> outbox rows -> send jobs -> the (fake) Africa's Talking API."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import MAX_SEND_ATTEMPTS, claim_for_sending, record_send_result
from casecore.reports.alerts import queue_report_alerts
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_organisation, make_report, make_user
from tests.fakes.africastalking import Answer, FakeAfricasTalking
from tests.queues import drain, queued_job_ids, work_once
from tests.servers import free_port
from workers import jobs
from workers.queueing import ALERTS, alert_job_id, enqueue_report_alert, enqueue_send, sibling

API_KEY = "test-api-key"


@pytest.fixture
def fake_at():
    with FakeAfricasTalking(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
def at_runtime(database_url, redis_url, fake_at):
    """The runtime on each database, sending SMS through Africa's Talking (the fake one)."""
    rt = bootstrap(make_settings(
        DATABASE_URL=database_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking", AT_API_URL=fake_at.url,
        AT_USERNAME="relais", AT_API_KEY=API_KEY, AT_SENDER_ID="RELAIS", PROVIDER_TIMEOUT=0.5,
    ))
    yield rt
    rt.close()


def seed(runtime, *, urgent=False, bystanders=False):
    """An organisation with two supervisors to alert (and staff who must not be); returns (report, phones)."""
    with runtime.unit_of_work() as session:
        org = make_organisation(session, name="Association Espoir Bamako")
        fr = make_user(session, org, language="fr")
        en = make_user(session, org, language="en")
        if bystanders:  # only where it matters: each account costs a password hash
            make_user(session, org, role="caseworker")
            make_user(session, org).is_active = False
            make_user(session, org).phone = None
            make_user(session, make_organisation(session))  # another organisation's supervisor
        report = make_report(session, organisation_slug=org.slug, concern="child_marriage", danger_now=urgent)
        return report, {fr.phone: "fr", en.phone: "en"}


def messages(runtime):
    with runtime.unit_of_work() as session:
        return {m.to_phone: m for m in session.scalars(select(OutboundMessage))}


def test_a_report_alerts_each_supervisor_once_by_sms(at_runtime, fake_at):
    report, phones = seed(at_runtime, bystanders=True)

    assert enqueue_report_alert(at_runtime.queue, report.id) is True
    drain(at_runtime.queue)

    received = fake_at.wait_for(2)
    assert len(received) == 2
    assert sorted(r["form"]["to"] for r in received) == sorted(phones)
    for request in received:
        form, headers = request["form"], request["headers"]
        assert headers["apiKey"] == API_KEY
        assert headers["Accept"] == "application/json"
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert form["username"] == "relais" and form["from"] == "RELAIS" and form["enqueue"] == "1"
        body = form["message"]
        assert report.reference in body and len(body) <= 160
        for secret in ("marriage", "mariage", "Espoir", str(report.id)):
            assert secret.lower() not in body.lower()
        expected = "nouveau signalement" if phones[form["to"]] == "fr" else "new report"
        assert expected in body and "URGENT" not in body
    sent = messages(at_runtime)
    assert {m.status for m in sent.values()} == {"sent"}
    assert all(m.provider_message_id.startswith("ATXid_") and m.attempts == 1 for m in sent.values())
    with at_runtime.unit_of_work() as session:
        assert session.get(Report, report.id).alerted_at is not None


def test_an_urgent_report_says_so(at_runtime, fake_at):
    report, _ = seed(at_runtime, urgent=True)
    enqueue_report_alert(at_runtime.queue, report.id)
    drain(at_runtime.queue)
    assert all("URGENT" in r["form"]["message"] for r in fake_at.wait_for(2))


def test_running_the_alert_twice_sends_nothing_more(at_runtime, fake_at):
    report, _ = seed(at_runtime)
    assert enqueue_report_alert(at_runtime.queue, report.id)
    assert enqueue_report_alert(at_runtime.queue, report.id)  # same job id: still one job
    assert queued_job_ids(at_runtime.queue) == [alert_job_id(report.id)]
    drain(at_runtime.queue)
    jobs.alert_supervisors(str(report.id))  # the job run again by hand, after everything was sent
    enqueue_report_alert(at_runtime.queue, report.id)
    drain(at_runtime.queue)
    for message_id in [m.id for m in messages(at_runtime).values()]:
        assert jobs.send_outbound(str(message_id)) == "skipped"

    assert len(fake_at.requests) == 2
    assert len(messages(at_runtime)) == 2


def test_queue_report_alerts_is_idempotent(at_runtime):
    report, _ = seed(at_runtime)
    with at_runtime.unit_of_work() as session:
        first = queue_report_alerts(session, report.id, "africastalking")
    with at_runtime.unit_of_work() as session:
        second = queue_report_alerts(session, report.id, "africastalking")
        alerted_at = session.get(Report, report.id).alerted_at
    assert len(first) == 2 and sorted(first) == sorted(second)
    with at_runtime.unit_of_work() as session:
        claim_for_sending(session, first[0])
        record_send_result(session, first[0], "sent", "ATXid_1", None)
    with at_runtime.unit_of_work() as session:
        assert queue_report_alerts(session, report.id, "africastalking") == [first[1]]
        assert session.get(Report, report.id).alerted_at == alerted_at
    assert len(messages(at_runtime)) == 2


def test_a_server_error_is_retried_and_the_sms_sent_once(at_runtime, fake_at):
    report, phones = seed(at_runtime)
    fake_at.answer_next(Answer.http_error(500))

    enqueue_report_alert(at_runtime.queue, report.id)
    drain(at_runtime.queue, runtime=at_runtime)

    received = fake_at.wait_for(3)
    assert len(received) == 3 and [r["http_status"] for r in received] == [500, 201, 201]
    assert sorted(r["form"]["to"] for r in received if r["http_status"] == 201) == sorted(phones)
    sent = messages(at_runtime)
    assert {m.status for m in sent.values()} == {"sent"}
    assert sorted(m.attempts for m in sent.values()) == [1, 2]


def test_throttling_is_retried(at_runtime, fake_at):
    report, _ = seed(at_runtime)
    fake_at.answer_next(Answer.http_error(429), Answer.recipient(405, "InsufficientBalance"))
    enqueue_report_alert(at_runtime.queue, report.id)
    drain(at_runtime.queue, runtime=at_runtime)
    assert len(fake_at.requests) == 4
    assert {m.status for m in messages(at_runtime).values()} == {"sent"}


def test_a_rejected_number_fails_for_good_without_retry(at_runtime, fake_at):
    report, _ = seed(at_runtime)
    fake_at.answer_always(Answer.recipient(403, "InvalidPhoneNumber"))

    enqueue_report_alert(at_runtime.queue, report.id)
    drain(at_runtime.queue)

    assert len(fake_at.requests) == 2
    failed = messages(at_runtime)
    assert {(m.status, m.failure_reason, m.attempts) for m in failed.values()} == {
        ("failed", "InvalidPhoneNumber", 1)}
    assert sibling(at_runtime.queue, ALERTS).failed_job_registry.count == 0  # the job did its work; the message failed


def test_a_timeout_leaves_the_outcome_unknown_and_the_sms_is_not_sent_again(at_runtime, fake_at):
    # AT may have taken the message before the answer timed out; it has no look-up, so it is never resent.
    report, _ = seed(at_runtime)
    fake_at.answer_always(Answer.hang(3))

    enqueue_report_alert(at_runtime.queue, report.id)
    work_once(at_runtime.queue)

    assert len(fake_at.wait_for(2)) == 2
    pending = messages(at_runtime)
    assert {(m.status, m.failure_reason, m.attempts) for m in pending.values()} == {
        ("unknown", "outcome unknown: timeout", 1)}
    fake_at.answer_always(Answer.success())
    for message_id in (m.id for m in pending.values()):
        assert jobs.reconcile_outbound(str(message_id)) == "unknown"  # waits for a delivery report
        assert jobs.send_outbound(str(message_id)) == "skipped"
    drain(at_runtime.queue, runtime=at_runtime)
    assert len(fake_at.requests) == 2


def test_a_provider_not_listening_is_retried_with_backoff(at_runtime, fake_at):
    report, _ = seed(at_runtime)
    with at_runtime.unit_of_work() as session:
        [first, _second] = queue_report_alerts(session, report.id, "africastalking")
    fake_at.stop()  # nothing listens on its port any more: the request never reaches AT
    before = utcnow()
    assert jobs.send_outbound(str(first)) == "queued"
    with at_runtime.unit_of_work() as session:
        waiting = session.get(OutboundMessage, first)
        assert waiting.failure_reason.startswith("no connection") and waiting.attempts == 1
        # The first backoff step (10 s, with jitter), not tried again before that.
        assert before + timedelta(seconds=7) < waiting.next_attempt_at < utcnow() + timedelta(seconds=13)
    assert jobs.send_outbound(str(first)) == "skipped"


def test_a_message_that_never_goes_through_is_given_up(at_runtime, fake_at):
    report, _ = seed(at_runtime)
    with at_runtime.unit_of_work() as session:
        [first, _second] = queue_report_alerts(session, report.id, "africastalking")
        session.get(OutboundMessage, first).attempts = MAX_SEND_ATTEMPTS - 1
    fake_at.answer_always(Answer.http_error(503))
    enqueue_send(at_runtime.queue, first)
    work_once(at_runtime.queue)
    message = messages(at_runtime)
    [given_up] = [m for m in message.values() if m.id == first]
    assert given_up.status == "failed" and given_up.failure_reason.startswith(f"gave up after {MAX_SEND_ATTEMPTS}")


def test_the_console_backend_prints_the_sms_with_the_number_masked(any_db_runtime, capsys):
    report, phones = seed(any_db_runtime)

    enqueue_report_alert(any_db_runtime.queue, report.id)
    drain(any_db_runtime.queue)

    out = capsys.readouterr().out
    for phone in phones:
        assert phone not in out
        assert f"+223{'*' * (len(phone) - 6)}{phone[-2:]}" in out
    assert out.count(report.reference) == 2
    sent = messages(any_db_runtime)
    assert {m.status for m in sent.values()} == {"sent"}
    assert all(m.backend == "console" and m.provider_message_id.startswith("console-") for m in sent.values())


def test_a_report_nobody_can_be_alerted_about_is_still_marked(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org, role="caseworker")
        report = make_report(session, organisation_slug=org.slug)
    assert jobs.alert_supervisors(str(report.id)) == 0
    with any_db_runtime.unit_of_work() as session:
        assert session.get(Report, report.id).alerted_at is not None
    assert messages(any_db_runtime) == {}


def test_enqueueing_without_redis_returns_false_instead_of_raising(sqlite_url, caplog):
    rt = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    try:
        assert enqueue_report_alert(rt.queue, "3f2c7b1e-0000-4000-8000-000000000001") is False
        assert enqueue_send(rt.queue, "3f2c7b1e-0000-4000-8000-000000000002") is False
    finally:
        rt.close()
    assert "the scheduler will enqueue it again" in caplog.text
